"""Findings as claim edits: the rule, its severity, what a biller reads and the fix, in the
claim's own places (SV101-2, SV101-7, SV104, SV107). The wording of the cards is for a
clinician at the order; this is for the person about to send the claim."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from plugin.codes import CodeKind, is_pla
from plugin.findings import Evidence, Finding, Fix
from plugin.orders import OrderFacts

_PLACE = {CodeKind.CPT: "SV101-2", CodeKind.ZCODE: "SV101-7"}


@dataclass(frozen=True)
class ClaimEdit:
    rule: str
    severity: str
    message: str
    fix: str | None  # the fix in words; alternatives separated by "; or "
    certain: bool  # the fix follows from the catalog for a test known for sure

    def as_json(self) -> dict:
        return {"rule": self.rule, "severity": self.severity, "message": self.message,
                "fix": self.fix, "certain": self.certain}


def edit(finding: Finding, facts: OrderFacts) -> ClaimEdit:
    words = _MESSAGES.get(finding.rule)
    message = words(finding.evidence, facts) if words else finding.rule
    fixes = "; or ".join(describe(fix) for fix in finding.fixes) or None
    return ClaimEdit(finding.rule, finding.severity.value, message, fixes,
                     finding.certain_fix is not None)


def describe(fix: Fix) -> str:
    parts = []
    for change in fix.changes:
        if change.kind is CodeKind.TEST:  # the lab's test code has no place on the claim
            parts.append(f"if the test is {change.code}:")
            continue
        name = "CPT" if change.kind is CodeKind.CPT else "Z-code"
        parts.append(f"{name} {change.code} in {_PLACE[change.kind]}" + (
            f" in place of {change.replaces}" if change.replaces else ""))
    if fix.quantity is not None:
        parts.append(f"{fix.quantity} unit in SV104")
    for reason in fix.reasons:
        if reason.code:
            parts.append(f"diagnosis {reason.code} in HI" + (
                f" in place of {reason.replaces}" if reason.replaces else ""))
        elif reason.condition:
            parts.append(f"add the diagnosis of {reason.display or 'the covered condition'}")
    if fix.cancel:
        parts.append("remove this line")
    text = ", ".join(parts).replace(":,", ":") or "see the message"
    return text if fix.certain else f"{text} (check first: not certain)"


def _test(e: Evidence, f: OrderFacts) -> str:
    row = e.row or f.row
    return row.test_name if row else f"CPT {', '.join(f.cpts) or '(none)'}"


def _payer(e: Evidence, f: OrderFacts) -> str:
    payer = e.payer or f.payer
    return payer.name if payer else "the payer"


def _lines(e: Evidence, f: OrderFacts) -> str:
    """The other lines, by LX01, with their claim when it is another (an earlier file's)."""
    claim = f.order.rpartition("#")[0]
    named = []
    for other in e.others:
        its_claim, _, line = other.order.rpartition("#")
        named.append(f"line {line}" if its_claim == claim else f"claim {its_claim} line {line}")
    return ", ".join(named) or "another line"


def _missing_zcode(e: Evidence, f: OrderFacts) -> str:
    return (f"No Z-code in SV101-7: {_payer(e, f)} requires the DEX Z-code for "
            f"{_test(e, f)} on {f.date_of_service}; the claim would deny CO-252 (N706).")


def _mismatched(e: Evidence, f: OrderFacts) -> str:
    owners = "; ".join(f"{code} belongs to {test}" for code, test in e.owners)
    row = e.row or f.row
    codes = f"CPT {row.cpt} with Z-code {row.zcode}" if row else "its own codes"
    if f.identified_for_sure:
        return (f"The line's codes do not match the test ({owners or 'another test'}): DEX "
                f"registered {_test(e, f)} as {codes}; CO-252 (N706) otherwise.")
    tests = [f"{t.test_name} is CPT {t.cpt} with Z-code {t.zcode}" for t in e.candidates]
    foreign = [f"{z} is not a Z-code of the lab's catalog" for z in f.zcodes
               if row and z != row.zcode]
    shared = [f"CPT {c} is " + ("a PLA code of another lab's test" if is_pla(c) else
                                "billed by several tests")
              for c in f.cpts if row and c != row.cpt and len(e.candidates) == 1]
    named = "; ".join(foreign + shared + tests)
    text = (f"The line's codes name different tests ({named}). Which test was run is not on "
            "the line, so neither code is changed unasked: correct the code of the test that "
            "was not run; CO-252 (N706) otherwise.")
    if e.priced:
        text += (f" The line's charge ({f.charge}) is the list price of "
                 f"{e.priced.test_name}.")
    return text


def _other_billing_provider(e: Evidence, f: OrderFacts) -> str:
    billed, lab = e.npis
    return (f"Billed under NPI {billed} (2010AA NM1-09), not the lab's NPI {lab}: a Z-code "
            "belongs to one test of one lab, and the payer checks the combination of Z-code, "
            "CPT and NPI, so the lab's catalog cannot say which test this line is. Its codes "
            "were not checked or fixed.")


def _referred_test(e: Evidence, f: OrderFacts) -> str:
    start = ("Modifier 90 (referred to a reference lab): the Z-code in SV101-7 must be the "
             "performing lab's, obtained from that lab (CGS CM00098)")
    if not e.codes:
        return f"{start}; the line has none: CO-252 (N706) otherwise."
    if e.row:
        return (f"{start}; {e.codes[0]} is this lab's own Z-code for {e.row.test_name}: if "
                "this lab ran the test, remove modifier 90; if not, put the performing lab's "
                "Z-code.")
    return f"{start}; {e.codes[0]} is taken to be the performing lab's (not checked)."


def _stale(e: Evidence, f: OrderFacts) -> str:
    ended = e.superseded.effective_to if e.superseded else None
    return (f"{', '.join(e.codes)} was the code of {_test(e, f)} until {ended}; on the date of "
            f"service {f.date_of_service} it is another.")


def _malformed(e: Evidence, f: OrderFacts) -> str:
    return (f"SV101-7 {', '.join(e.codes) or ''} is not a Z-code (Z and four letters or "
            "digits, nothing else in SV101-7).")


def _unknown_test(e: Evidence, f: OrderFacts) -> str:
    if e.periods:
        return (f"{', '.join(e.codes)} is not on the lab's menu on {f.date_of_service}: "
                "check the date of service or the catalog.")
    return (f"No test of the lab's catalog is billed as {', '.join(e.codes) or 'these codes'} "
            f"on {f.date_of_service}: nothing checked against DEX.")


def _ambiguous(e: Evidence, f: OrderFacts) -> str:
    names = ", ".join(row.test_name for row in e.candidates)
    return (f"CPT {', '.join(e.codes)} is billed by several of the lab's tests ({names}); "
            "the Z-code in SV101-7 must say which.")


def _not_payable(e: Evidence, f: OrderFacts) -> str:
    row = e.row or f.row
    status = row.dex_status.value if row else "not payable"
    return (f"{_test(e, f)} has DEX status {status}: {_payer(e, f)} will not pay it; a "
            "corrected code does not cure it.")


def _units(e: Evidence, f: OrderFacts) -> str:
    units = f"{e.quantity:g}" if e.quantity is not None else "more than one"
    return f"SV104 is {units}: an NGS panel is one unit of service (MolDX)."


def _invalid_diagnosis(e: Evidence, f: OrderFacts) -> str:
    return (f"{', '.join(e.codes)} is not a billable ICD-10-CM code: the claim needs the full "
            "code.")


def _unknown_payer(e: Evidence, f: OrderFacts) -> str:
    payer = e.payer_identifier[1] if e.payer_identifier else "(none)"
    return (f"Payer {payer} (2010BB NM1-09) is not in the lab's payer list: the Z-code, DEX "
            "status, panel coding and diagnosis checks were skipped.")


def _policy_unavailable(e: Evidence, f: OrderFacts) -> str:
    return (f"The billing article {e.article_id or ''} is not loaded: the diagnoses were not "
            "checked against it.")


def _not_covered(e: Evidence, f: OrderFacts) -> str:
    article = e.article.article if e.article else "the MolDX article"
    text = (f"No diagnosis that SV107 points to ({', '.join(e.codes) or 'none'}) is in a covered "
            f"group of {article}")
    if "GA" in f.modifiers:
        return (f"{text}. With modifier GA (a signed ABN on file) the denial will be patient "
                "liability, PR-50: billable to the patient, not a CO-50 write-off.")
    return text + ": expect CO-50 (N115)." + (
        " Modifier GA only with a signed ABN on file." if e.abn else "")


def _article_cpt(e: Evidence, f: OrderFacts) -> str:
    article = e.article.article if e.article else "the article"
    return (f"CPT {', '.join(e.codes)} is not in {article}'s code list "
            f"({', '.join(e.expected)}): the lab must correct the test's code with DEX.")


def _indication(e: Evidence, f: OrderFacts) -> str:
    return (f"{_test(e, f)} is a {e.neoplasm or 'different'} tumour test; the diagnoses "
            f"({', '.join(e.codes)}) are not: expect a medical-necessity denial.")


def _cgp_specimen(e: Evidence, f: OrderFacts) -> str:
    return (f"A comprehensive genomic profile on this specimen precludes further molecular tests "
            f"on it ({_lines(e, f)}): one CGP per specimen.")


def _repeat_cgp(e: Evidence, f: OrderFacts) -> str:
    claims = ", ".join(dict.fromkeys(o.order.rpartition("#")[0] for o in e.others))
    return ("The patient had a comprehensive genomic profile for the same cancer on "
            f"{'claim ' + claims if claims else 'another claim'}: a frequency question the "
            "payer may deny.")


def _single_gene(e: Evidence, f: OrderFacts) -> str:
    text = (f"CPT {', '.join(e.codes)} bills a gene the panel on {_lines(e, f)} tests: no "
            "single-gene code for a gene of a panel on the same specimen.")
    for modifier in (m for m in f.modifiers if m in _DISTINCT):
        text += (f" The line's modifier {modifier} claims {_DISTINCT[modifier]}: keep it only "
                 "if the gene was tested on another specimen than the panel's.")
    return text


# Modifiers that claim a line is a distinct service (CMS NCCI policy manual, chapter 1).
_DISTINCT = {"XS": "a separate specimen (separate structure)",
             "59": "a distinct procedural service, such as a separate specimen"}


def _units_across_lines(e: Evidence, f: OrderFacts) -> str:
    units = f"{e.quantity:g}" if e.quantity is not None else "more than one"
    text = (f"CPT {', '.join(e.codes)} is also billed on {_lines(e, f)} for "
            f"{f.date_of_service}: {units} units in all, and an NGS panel is one unit of "
            "service per date (MolDX).")
    if "91" in f.modifiers:
        text += " Modifier 91 (repeat test) does not make a second panel billable."
    return text


def _diagnosis_format(e: Evidence, f: OrderFacts) -> str:
    return (f"HI holds {', '.join(e.codes)} with the decimal point: the 837P carries ICD-10-CM "
            "without it, and the front end rejects the claim.")


def _component_modifier(e: Evidence, f: OrderFacts) -> str:
    cpt, *modifiers = e.codes
    return (f"Modifier {' and '.join(modifiers)} on CPT {cpt}: clinical laboratory fee "
            "schedule codes have no professional or technical component; remove it, else "
            "CO-4 (modifier inconsistent with the procedure).")


def _zcode_case(e: Evidence, f: OrderFacts) -> str:
    return (f"SV101-7 {', '.join(e.codes)}: only the Z-code, written as DEX assigned it "
            f"({(e.row or f.row).zcode}).")


def _modifier_gy(e: Evidence, f: OrderFacts) -> str:
    return (f"Modifier GY says the service is statutorily excluded, which forces a denial; "
            f"{_test(e, f)} is a MolDX test DEX covers: remove GY.")


def _diagnosis_pointer(e: Evidence, f: OrderFacts) -> str:
    article = e.article.article if e.article else "the MolDX article"
    return (f"SV107 points the line only to {', '.join(e.codes) or 'no diagnosis'}; the "
            f"claim's HI also holds {', '.join(e.choices)}, which {article} covers: point "
            "SV107 at it if it is the reason for the test (the coder decides).")


def _panel_cpt(e: Evidence, f: OrderFacts) -> str:
    return (f"CPT {', '.join(e.codes)} is not the panel code for {_test(e, f)} "
            f"({' or '.join(e.expected)} under the MolDX coding rules).")


def _one_service(e: Evidence, f: OrderFacts) -> str:
    return (f"This line and {_lines(e, f)} are one service on one specimen: bill "
            f"{' '.join(e.expected)} once, with one Z-code.")


_MESSAGES: dict[str, Callable[[Evidence, OrderFacts], str]] = {
    "missing-zcode": _missing_zcode, "mismatched-code": _mismatched, "stale-code": _stale,
    "malformed-zcode": _malformed, "unknown-test": _unknown_test,
    "ambiguous-test": _ambiguous, "not-payable": _not_payable, "units-of-service": _units,
    "invalid-diagnosis": _invalid_diagnosis, "unknown-payer": _unknown_payer,
    "policy-unavailable": _policy_unavailable, "diagnosis-not-covered": _not_covered,
    "article-cpt": _article_cpt, "test-indication": _indication,
    "cgp-specimen": _cgp_specimen, "repeat-cgp": _repeat_cgp,
    "single-gene-in-panel": _single_gene, "panel-cpt": _panel_cpt,
    "one-service": _one_service,
    "other-billing-provider": _other_billing_provider, "referred-test": _referred_test,
    "units-across-lines": _units_across_lines, "diagnosis-format": _diagnosis_format,
    "component-modifier": _component_modifier, "zcode-case": _zcode_case,
    "modifier-gy": _modifier_gy, "diagnosis-pointer": _diagnosis_pointer,
}
