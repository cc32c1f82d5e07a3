"""Properties of the rules over the whole catalog, any date and any payer (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.service.cards.order_edits import with_codes
from plugin import fhir
from plugin.codes import CodeKind, CodeSystems
from plugin.knowledge import DexStatus, load_knowledge
from plugin.orders import facts_for
from plugin.rules import (
    evaluate,
    mismatched_codes,
    missing_zcode,
    not_payable,
    stale_code,
    unknown_test,
)

from .conftest import PAYER_SYSTEM, coverage, cpt, lab_code, service_request, zcode

KNOWLEDGE = load_knowledge()
CODE_RULES = {mismatched_codes.RULE_ID, stale_code.RULE_ID, missing_zcode.RULE_ID}
ROWS = list(KNOWLEDGE.catalog)
PAYER_IDS = [p.identifier_value for p in KNOWLEDGE.payers] + [None]
ALL_ZCODES = sorted({r.zcode for r in ROWS})
ALL_CPTS = sorted({r.cpt for r in ROWS if r.cpt}) + ["81408"]

SYSTEMS = CodeSystems(test=KNOWLEDGE.lab.test_code_system)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def row_and_day(draw):
    """A catalog row and a day in its period of validity."""
    row = draw(st.sampled_from(ROWS))
    end = row.effective_to or date(2030, 12, 31)
    return row, draw(st.dates(min_value=row.effective_from, max_value=end))


def _evaluate(order: dict, payer: str | None, day: date):
    resources = [fhir.parse_resource(order)]
    if payer:
        resources.append(fhir.parse_resource(coverage(payer)))
    facts, patient = facts_for(resources[:1], fhir.ResourceIndex(resources), KNOWLEDGE,
                               SYSTEMS, day)
    return facts[0], evaluate(facts, patient, KNOWLEDGE)


def _order(row, day, *codings):
    return service_request(lab_code(KNOWLEDGE, row.test_code), *codings,
                           occurrenceDateTime=day.isoformat())


@FAST
@given(row_and_day(), st.sampled_from(PAYER_IDS))
def test_the_catalogs_own_codes_raise_no_code_finding(pick, payer):
    row, day = pick
    codings = ([cpt(row.cpt)] if row.cpt else []) + [zcode(row.zcode)]
    facts, findings = _evaluate(_order(row, day, *codings), payer, day)
    assert not [f for f in findings if f.rule in CODE_RULES]
    uses_dex = facts.payer is not None and facts.payer.requires_zcode_on(day)
    payable = row.dex_status is DexStatus.COVERED
    flagged = any(f.rule == not_payable.RULE_ID for f in findings)
    assert flagged == (not payable and (uses_dex or row.dex_status is DexStatus.RETIRED))


@FAST
@given(row_and_day(), st.sampled_from(PAYER_IDS),
       st.lists(st.sampled_from(ALL_ZCODES), max_size=2),
       st.lists(st.sampled_from(ALL_CPTS), max_size=2))
def test_applying_the_certain_fixes_leaves_nothing_to_fix(pick, payer, zcodes, cpts):
    """Whatever codes an order carries, the suggested codes are the catalog's, and an order
    updated with them raises no code finding when checked again."""
    row, day = pick
    order = _order(row, day, *map(zcode, zcodes), *map(cpt, cpts))
    _, findings = _evaluate(order, payer, day)
    for finding in findings:
        for fix in finding.fixes:
            for change in fix.changes:
                assert change.code == row.code_of(change.kind)  # nothing invented
        if finding.rule in CODE_RULES:
            assert finding.certain_fix is not None
            order = with_codes(order, finding.certain_fix.changes, SYSTEMS)
    _, again = _evaluate(order, payer, day)
    assert not [f for f in again if f.rule in CODE_RULES]


@FAST
@given(st.sampled_from(ROWS), st.integers(min_value=1, max_value=3000),
       st.sampled_from(PAYER_IDS))
def test_before_a_test_is_on_the_menu_it_is_unknown_for_that_date(row, days, payer):
    first = KNOWLEDGE.catalog.rows(row.test_code)[0]
    day = first.effective_from - timedelta(days=days)
    _, findings = _evaluate(_order(row, day, zcode(row.zcode)), payer, day)
    assert [f.rule for f in findings] == [unknown_test.RULE_ID]


@FAST
@given(row_and_day(), st.sampled_from(PAYER_IDS))
def test_a_zcode_alone_names_its_test(pick, payer):
    row, day = pick
    order = service_request(zcode(row.zcode), occurrenceDateTime=day.isoformat())
    facts, findings = _evaluate(order, payer, day)
    assert facts.test_code == row.test_code
    changes = {c.kind for f in findings for fix in f.fixes for c in fix.changes}
    assert CodeKind.ZCODE not in changes  # its own Z-code is never "wrong"


def test_the_payers_in_the_strategies_are_the_knowledges():
    assert {p.identifier_system for p in KNOWLEDGE.payers} == {PAYER_SYSTEM}
