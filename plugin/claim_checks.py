"""The edits only a claim has: what the 837P itself says beyond the codes an order also
carries (the billing NPI, modifiers, units across lines, the HI segment, SV107 pointers).
Each check reads one line with the other lines of its claim and returns findings like the
order rules'. A certain fix here, as there, is made only when `doubt` finds none, or when it
changes only how a code is written (the code itself stays)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .claim_lines import ClaimLine, Doubt, description, written_zcode
from .codes import CodeKind, is_pla, normalize_icd10
from .findings import CodeChange, Evidence, Finding, Fix, OtherOrder, ReasonChange, Severity
from .knowledge import DexStatus, Knowledge, PanelKind
from .orders import OrderFacts
from .rules.scope import checks_diagnoses, follows_moldx, governing_article, uses_dex


@dataclass(frozen=True)
class Line:
    """One claim line with its facts and the lines of its claim (itself included)."""

    line: ClaimLine
    facts: OrderFacts
    claim: tuple[ClaimLine, ...]


def other_billing_provider(c: Line, knowledge: Knowledge) -> list[Finding]:
    """Billed under another NPI: the lab's catalog cannot say which test it is."""
    if c.facts.doubt != Doubt.OTHER_PROVIDER:
        return []
    return [Finding("other-billing-provider", Severity.WARNING, c.facts.order,
                    Evidence(npis=(c.line.billing_npi or "(none)", knowledge.lab.npi),
                             codes=_codes(c.line)))]


def referred_test(c: Line, knowledge: Knowledge) -> list[Finding]:
    """Modifier 90: the Z-code must be the performing lab's (CGS CM00098). The line is a
    warning when SV101-7 holds no Z-code or this lab's own; another lab's Z-code is taken as
    the performing lab's, unchecked."""
    if c.facts.doubt != Doubt.REFERRED or not uses_dex(c.facts):
        return []
    zcode = written_zcode(c.line)
    own = knowledge.catalog.test_for_zcode(zcode) if zcode else None
    row = knowledge.catalog.row_on(own, c.line.date_of_service) if own else None
    severity = Severity.INFO if zcode and not own else Severity.WARNING
    return [Finding("referred-test", severity, c.facts.order,
                    Evidence(row=row, payer=c.facts.payer, codes=(zcode,) if zcode else ()))]


def units_across_lines(c: Line, knowledge: Knowledge) -> list[Finding]:
    """An NGS panel is one unit of service (MolDX TCGP article) per date of service, however
    many lines bill it: units are summed per CPT and date across the claim's lines, and
    modifier 91 (repeat test) does not make a second panel billable. The lines after the first
    are the edit; dropping one is for a person."""
    row, line = c.facts.row, c.line
    if row is None or row.panel_kind is PanelKind.SINGLE_GENE or not follows_moldx(c.facts):
        return []
    earlier = [o for o in c.claim[:c.claim.index(line)] if o.cpt == line.cpt
               and o.date_of_service == line.date_of_service]
    if not earlier:
        return []
    return [Finding("units-across-lines", Severity.WARNING, c.facts.order, Evidence(
        row=row, payer=c.facts.payer, codes=(line.cpt or "",),
        quantity=sum(o.units or 1 for o in (*earlier, line)),
        others=tuple(OtherOrder(o.key, row, draft=True) for o in earlier)),
        (Fix(cancel=True, certain=False),))]


def diagnosis_format(c: Line, knowledge: Knowledge) -> list[Finding]:
    """The 837P carries ICD-10-CM without the decimal point (X12 005010X222A1, HI): a code
    written with it is rejected at the front end. Taking the dot out changes no code, so the
    fix is certain. Said once per claim, on its first line."""
    dotted = tuple(dict.fromkeys(d for d in c.line.claim_diagnoses if "." in d))
    if not dotted or c.line is not c.claim[0]:
        return []
    fix = Fix(reasons=tuple(ReasonChange(code=d.replace(".", ""), replaces=d) for d in dotted))
    return [Finding("diagnosis-format", Severity.WARNING, c.facts.order, Evidence(codes=dotted),
                    (fix,))]


def component_modifier(c: Line, knowledge: Knowledge) -> list[Finding]:
    """Modifier 26 or TC on a clinical laboratory fee schedule code (81xxx, PLA 0xxxU): those
    codes have no professional and technical components (CO-4 follows)."""
    cpt = c.line.cpt or ""
    split = [m for m in c.line.modifiers if m in ("26", "TC")]
    if not split or not (_MOLECULAR.fullmatch(cpt) or is_pla(cpt)):
        return []
    return [Finding("component-modifier", Severity.WARNING, c.facts.order,
                    Evidence(codes=(cpt, *split)))]


def zcode_case(c: Line, knowledge: Knowledge) -> list[Finding]:
    """SV101-7 holds only the Z-code, as DEX writes it: the right Z-code in lower case is
    written in capitals (the code itself stays, so the fix is certain)."""
    text, row = description(c.line), c.facts.row
    if not text or text == text.upper() or row is None or row.zcode != text.upper():
        return []
    return [Finding("zcode-case", Severity.WARNING, c.facts.order, Evidence(row=row,
                    codes=(text,)), (Fix((CodeChange(CodeKind.ZCODE, row.zcode, text),)),))]


def modifier_gy(c: Line, knowledge: Knowledge) -> list[Finding]:
    """GY says the service is statutorily excluded: on a MolDX test DEX covers it forces a
    denial that the test's coverage would not."""
    row = c.facts.row
    if ("GY" not in c.line.modifiers or row is None or row.dex_status is not DexStatus.COVERED
            or not follows_moldx(c.facts)):
        return []
    return [Finding("modifier-gy", Severity.WARNING, c.facts.order,
                    Evidence(row=row, payer=c.facts.payer))]


def diagnosis_pointer(c: Line, knowledge: Knowledge) -> list[Finding]:
    """The claim carries a diagnosis the test's article covers, but SV107 points the line only
    at others: pointing it there is offered, for the coder to decide (the claim does not say
    which diagnosis the test was for)."""
    facts = c.facts
    if not checks_diagnoses(facts) or (article := governing_article(facts, knowledge)) is None:
        return []
    if any(article.covers(d) for d in facts.diagnoses):
        return []
    covered = tuple(dict.fromkeys(d for d in map(normalize_icd10, c.line.claim_diagnoses)
                                  if article.covers(d)))
    if not covered:
        return []
    return [Finding("diagnosis-pointer", Severity.INFO, facts.order, Evidence(
        row=facts.row, article=article.ref, codes=facts.diagnoses, choices=covered))]


# Molecular pathology and genomic sequencing codes: clinical laboratory fee schedule codes.
_MOLECULAR = re.compile(r"81\d{3}")


def _codes(line: ClaimLine) -> tuple[str, ...]:
    return tuple(code for code in (line.cpt, written_zcode(line)) if code)


CHECKS: tuple[Callable[[Line, Knowledge], list[Finding]], ...] = (
    other_billing_provider, referred_test, units_across_lines, diagnosis_format,
    component_modifier, zcode_case, modifier_gy, diagnosis_pointer)
# Each check is named for the rule id of its findings.
CLAIM_RULE_IDS = tuple(check.__name__.replace("_", "-") for check in CHECKS)


def check_claims(lines: Sequence[ClaimLine], facts: Sequence[OrderFacts],
                 knowledge: Knowledge) -> list[Finding]:
    """Every claim check on every line (`facts`: the lines' facts, keyed by ClaimLine.key)."""
    by_claim: dict[str, list[ClaimLine]] = {}
    for line in lines:
        by_claim.setdefault(line.claim, []).append(line)
    fact_of = {f.order: f for f in facts}
    return [finding for line in lines for check in CHECKS
            for finding in check(Line(line, fact_of[line.key], tuple(by_claim[line.claim])),
                                 knowledge)]
