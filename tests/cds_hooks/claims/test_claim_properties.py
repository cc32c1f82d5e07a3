"""Over generated claims (hypothesis): every certain fix follows from the lab's catalog, on a
line billed under the lab's NPI, without modifier 90, with no code on the line naming another
test. The oracle below reads the catalog itself, not plugin/claim_lines.doubt."""

from __future__ import annotations

from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.x12_837p import LAB_NPI
from plugin.claim_lines import ClaimLine
from plugin.codes import CodeKind, is_pla, is_zcode
from plugin.decision import decide_claims
from plugin.findings import Finding
from plugin.knowledge import load_knowledge

KNOWLEDGE = load_knowledge()
CATALOG = KNOWLEDGE.catalog
ROWS = list(CATALOG)
# 0037U: another lab's PLA code, which names that lab's test.
CPTS = sorted({r.cpt for r in ROWS if r.cpt} | {"81999", "J3490", "88305", "0037U"})
ZCODES = sorted({r.zcode for r in ROWS} | {"ZX9Q9"})
DESCRIPTIONS = ["", *ZCODES, *(z.lower() for z in ZCODES[:4]), "ZL5H", "SOD CHL 0.9%"]
MODIFIERS = ["90", "91", "GA", "GY", "GZ", "26", "TC", "XS", "59"]
DIAGNOSES = ["C34.90", "C3490", "C18.9", "C189", "R91.8", "C92.00", "Z00.00"]
DAYS = [date(2025, 6, 2), date(2025, 12, 1), date(2026, 1, 5), date(2026, 10, 1)]
PAYERS = [p.identifier_value for p in KNOWLEDGE.payers] + ["99999"]
SETTINGS = settings(max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@st.composite
def claim_lines(draw) -> list[ClaimLine]:
    """One to three claims of one to three lines, for one or two patients, under the lab's
    NPI or another."""
    lines = []
    for c in range(draw(st.integers(1, 3))):
        npi = draw(st.sampled_from([LAB_NPI, LAB_NPI, "1234567893"]))
        payer, patient = draw(st.sampled_from(PAYERS)), draw(st.sampled_from(["P1", "P2"]))
        diagnoses = tuple(draw(st.lists(st.sampled_from(DIAGNOSES), min_size=1, max_size=3)))
        for n in range(1, draw(st.integers(1, 3)) + 1):
            lines.append(ClaimLine(
                claim=f"C{c}", line=str(n), patient=patient, payer_id=payer, billing_npi=npi,
                cpt=draw(st.sampled_from(CPTS)),
                modifiers=tuple(draw(st.lists(st.sampled_from(MODIFIERS), max_size=2,
                                              unique=True))),
                zcode=draw(st.sampled_from(DESCRIPTIONS)) or None,
                units=draw(st.sampled_from([1.0, 1.0, 2.0])),
                date_of_service=draw(st.sampled_from(DAYS)),
                diagnoses=diagnoses[:draw(st.integers(1, len(diagnoses)))],
                charge=draw(st.sampled_from(["350", "1200", "3500", "999"])),
                claim_diagnoses=diagnoses))
    return lines


def _known_test(line: ClaimLine) -> str | None:
    """The catalog test a line's codes name for sure, or None: read from the catalog."""
    if line.billing_npi != KNOWLEDGE.lab.npi or "90" in line.modifiers:
        return None
    written = (line.zcode or "").strip().upper()
    zcode = written if is_zcode(written) else None
    by_zcode = CATALOG.test_for_zcode(zcode) if zcode else None
    by_cpt = CATALOG.tests_for_cpt(line.cpt) if line.cpt else frozenset()
    if zcode and (by_cpt or is_pla(line.cpt or "")) and by_zcode not in by_cpt:
        return None  # the CPT names another test (or the Z-code is none of the lab's)
    if by_zcode:
        return by_zcode
    on_day = [t for t in by_cpt if (r := CATALOG.row_on(t, line.date_of_service))
              and r.cpt == line.cpt]
    return on_day[0] if len(on_day) == 1 else None


def _follows(finding: Finding, line: ClaimLine) -> str | None:
    """Why the finding's certain fix does not follow from the catalog, or None."""
    fix = finding.certain_fix
    test = _known_test(line)
    written = (line.zcode or "").strip()
    for change in fix.changes:
        if change.kind is CodeKind.ZCODE and change.replaces == written and \
                change.code == written.upper() and change.code != written:
            continue  # the same Z-code written in capitals
        row = CATALOG.row_on(test, line.date_of_service) if test else None
        if row is None:
            return f"{change} on a line whose test is not known for sure"
        if change.code != row.code_of(change.kind):
            return f"{change} is not the catalog's code of {test}"
    if fix.quantity not in (None, 1):
        return f"quantity {fix.quantity}"
    if fix.quantity is not None and test is None:
        return "units changed on a line whose test is not known for sure"
    for reason in fix.reasons:
        undotted = (reason.replaces or "").replace(".", "")
        if reason.replaces not in line.claim_diagnoses or reason.code != undotted:
            return f"{reason} is not the line's own diagnosis without its dot"
    if fix.cancel:
        return "a line dropped"
    return None


@SETTINGS
@given(claim_lines())
def test_every_certain_fix_follows_from_the_catalog_for_a_test_known_for_sure(lines):
    decision = decide_claims(lines, KNOWLEDGE)
    by_key = {line.key: line for line in lines}
    for finding in decision.findings:
        if finding.certain_fix is None:
            continue
        problem = _follows(finding, by_key[finding.order])
        assert problem is None, (finding.rule, problem, by_key[finding.order])
