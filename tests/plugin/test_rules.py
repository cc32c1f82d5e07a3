"""The five rules of the end-to-end path, each on facts built from FHIR orders."""

from __future__ import annotations

from datetime import timedelta

from plugin.codes import CodeKind
from plugin.findings import CodeChange, Severity
from plugin.knowledge import DexStatus
from plugin.orders import PatientFacts
from plugin.rules import (
    RULE_IDS,
    ambiguous_test,
    evaluate,
    mismatched_codes,
    missing_zcode,
    not_payable,
    stale_code,
    unknown_test,
)

from .conftest import coverage, cpt, lab_code, service_request, zcode

MEDICARE, UHC, AETNA = "02302", "87726", "60054"


CODE_AND_TEST_RULES = {unknown_test.RULE_ID, ambiguous_test.RULE_ID, mismatched_codes.RULE_ID,
                       stale_code.RULE_ID, missing_zcode.RULE_ID, not_payable.RULE_ID}


def _findings(facts, knowledge):
    """The findings of the rules about the test and its codes (the diagnosis and panel rules
    have tests of their own)."""
    findings = evaluate([facts], PatientFacts(conditions=(), orders=(facts,)), knowledge)
    return [f for f in findings if f.rule in CODE_AND_TEST_RULES]


def _order(knowledge, row, *codings, payer=MEDICARE):
    """An order for `row`'s test on its first day, billed to `payer`."""
    sr = service_request(lab_code(knowledge, row.test_code), *codings,
                         occurrenceDateTime=row.effective_from.isoformat())
    return sr, coverage(payer)


def test_an_order_with_the_catalogs_codes_has_only_status_findings(knowledge, order_facts):
    """For every catalog row: the row's own codes raise no code finding, and only a test that
    is not covered on that date is flagged as not payable."""
    for row in knowledge.catalog:
        codings = [cpt(row.cpt)] if row.cpt else []
        facts = order_facts(*_order(knowledge, row, *codings, zcode(row.zcode)))
        rules = [f.rule for f in _findings(facts, knowledge)]
        expected = [] if row.dex_status is DexStatus.COVERED else [not_payable.RULE_ID]
        assert rules == expected, row.test_code


def test_missing_zcode_adds_the_zcode_and_the_cpt(knowledge, order_facts):
    for row in knowledge.catalog:
        facts = order_facts(*_order(knowledge, row))
        [finding] = missing_zcode.check(facts, None, knowledge)
        expected = [CodeChange(CodeKind.ZCODE, row.zcode)]
        if row.cpt:
            expected.insert(0, CodeChange(CodeKind.CPT, row.cpt))
        assert list(finding.certain_fix.changes) == expected
        assert finding.severity is Severity.WARNING


def test_missing_zcode_keeps_a_cpt_already_there(knowledge, order_facts):
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    facts = order_facts(*_order(knowledge, row, cpt(row.cpt)))
    [finding] = missing_zcode.check(facts, None, knowledge)
    assert finding.certain_fix.changes == (CodeChange(CodeKind.ZCODE, row.zcode),)


def test_missing_zcode_depends_on_the_payer_and_the_date(knowledge, order_facts):
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    uhc = next(p for p in knowledge.payers if p.identifier_value == UHC)
    sr, cov = _order(knowledge, row, payer=AETNA)
    assert missing_zcode.check(order_facts(sr, cov), None, knowledge) == []
    assert missing_zcode.check(order_facts(sr), None, knowledge) == []  # no coverage
    before = uhc.zcode_required_from - timedelta(days=1)
    sr["occurrenceDateTime"] = before.isoformat()
    assert missing_zcode.check(order_facts(sr, coverage(UHC)), None, knowledge) == []
    sr["occurrenceDateTime"] = uhc.zcode_required_from.isoformat()
    assert missing_zcode.check(order_facts(sr, coverage(UHC)), None, knowledge)


def test_another_tests_zcode_is_replaced_and_its_owner_named(knowledge, order_facts):
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    other = knowledge.catalog.rows("CMD-KNB3")[0]
    facts = order_facts(*_order(knowledge, row, cpt(row.cpt), zcode(other.zcode)))
    [finding] = _findings(facts, knowledge)
    assert finding.rule == mismatched_codes.RULE_ID
    assert finding.certain_fix.changes == (
        CodeChange(CodeKind.ZCODE, row.zcode, replaces=other.zcode),)
    assert finding.evidence.owners == ((other.zcode, other.test_code),)


def test_a_cpt_dex_did_not_assign_is_replaced(knowledge, order_facts):
    row = knowledge.catalog.rows("CMD-KNB3")[0]
    facts = order_facts(*_order(knowledge, row, cpt("81445"), zcode(row.zcode)))
    [finding] = _findings(facts, knowledge)
    assert finding.certain_fix.changes == (CodeChange(CodeKind.CPT, row.cpt, replaces="81445"),)


def test_a_code_of_an_earlier_period_is_stale_not_mismatched(knowledge, order_facts):
    old, new = knowledge.catalog.rows("CMD-MSI")
    facts = order_facts(*_order(knowledge, new, cpt(new.cpt), zcode(old.zcode)))
    [finding] = _findings(facts, knowledge)
    assert finding.rule == stale_code.RULE_ID
    assert finding.evidence.superseded == old
    assert finding.certain_fix.changes == (
        CodeChange(CodeKind.ZCODE, new.zcode, replaces=old.zcode),)


def test_a_code_from_a_later_period_is_mismatched(knowledge, order_facts):
    old, new = knowledge.catalog.rows("CMD-MSI")
    facts = order_facts(*_order(knowledge, old, cpt(old.cpt), zcode(new.zcode)))
    assert [f.rule for f in _findings(facts, knowledge)] == [mismatched_codes.RULE_ID]


def test_not_payable_for_each_status_and_only_for_dex_payers(knowledge, order_facts):
    for row in knowledge.catalog:
        codes = ([cpt(row.cpt)] if row.cpt else []) + [zcode(row.zcode)]
        medicare = order_facts(*_order(knowledge, row, *codes))
        aetna = order_facts(*_order(knowledge, row, *codes, payer=AETNA))
        flagged = bool(not_payable.check(medicare, None, knowledge))
        assert flagged == (row.dex_status is not DexStatus.COVERED)
        assert bool(not_payable.check(aetna, None, knowledge)) == (
            row.dex_status is DexStatus.RETIRED)


def test_unknown_codes_get_one_info_finding_and_no_fix(knowledge, order_facts):
    for codings in ([lab_code(knowledge, "CMD-NOPE")], [zcode("ZZZZ9")], [cpt("81408")]):
        facts = order_facts(service_request(*codings), coverage(MEDICARE))
        [finding] = _findings(facts, knowledge)
        assert (finding.rule, finding.severity, finding.fixes) == (
            unknown_test.RULE_ID, Severity.INFO, ())
        assert finding.evidence.codes == (codings[0]["code"],)


def test_a_test_not_on_the_menu_on_that_date_is_unknown_for_that_date(knowledge, order_facts):
    row = knowledge.catalog.rows("CMD-CTDNA")[0]
    sr = service_request(lab_code(knowledge, row.test_code), occurrenceDateTime="2026-01-15")
    [finding] = _findings(order_facts(sr, coverage(MEDICARE)), knowledge)
    assert finding.rule == unknown_test.RULE_ID
    assert finding.evidence.periods == ((row.effective_from, row.effective_to),)


def test_a_shared_cpt_offers_each_candidate_test_as_a_choice(knowledge, order_facts):
    facts = order_facts(service_request(cpt("81479")), coverage(MEDICARE))
    [finding] = _findings(facts, knowledge)
    assert finding.rule == ambiguous_test.RULE_ID and finding.certain_fix is None
    offered = {tuple((c.kind, c.code) for c in fix.changes) for fix in finding.fixes}
    assert offered == {((CodeKind.TEST, r.test_code), (CodeKind.ZCODE, r.zcode))
                       for r in facts.candidates}


def test_unrelated_orders_raise_nothing(knowledge, order_facts):
    loinc = {"system": "http://loinc.org", "code": "58410-2"}
    assert _findings(order_facts(service_request(loinc), coverage(MEDICARE)), knowledge) == []


def test_rule_ids_are_unique():
    assert len(set(RULE_IDS)) == len(RULE_IDS)
