"""Properties of the rules over the whole catalog, any date and any payer (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cds_hooks.service.cards.order_edits import with_codes, with_fix
from plugin import fhir
from plugin.codes import CodeKind, CodeSystems
from plugin.knowledge import CoverageRules, DexStatus, load_knowledge
from plugin.orders import facts_for
from plugin.rules import (
    RULE_IDS,
    article_cpt,
    cgp_specimen,
    diagnosis_coverage,
    evaluate,
    malformed_zcode,
    mismatched_codes,
    missing_zcode,
    not_payable,
    panel_cpt,
    parallel_orders,
    policy_unavailable,
    repeat_cgp,
    single_gene_in_panel,
    stale_code,
    test_indication,
    units_of_service,
    unknown_test,
)

from .conftest import PAYER_SYSTEM, coverage, cpt, icd10, lab_code, service_request, zcode

KNOWLEDGE = load_knowledge()
CODE_RULES = {mismatched_codes.RULE_ID, stale_code.RULE_ID, missing_zcode.RULE_ID}
ROWS = list(KNOWLEDGE.catalog)
PAYER_IDS = [p.identifier_value for p in KNOWLEDGE.payers] + [None]
ALL_ZCODES = sorted({r.zcode for r in ROWS})
ALL_CPTS = sorted({r.cpt for r in ROWS if r.cpt} | {"81408", "81450", "81456", "81462",
                                                    "0326U"})
DIAGNOSES = ["C34.90", "C92.00", "C78.01", "C18.9", "D46.4"]
SPECIMENS = [None, "Specimen/sp-1", "Specimen/sp-2"]

SYSTEMS = CodeSystems(test=KNOWLEDGE.lab.test_code_system)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def row_and_day(draw):
    """A catalog row and a day in its period of validity."""
    row = draw(st.sampled_from(ROWS))
    end = row.effective_to or date(2030, 12, 31)
    return row, draw(st.dates(min_value=row.effective_from, max_value=end))


def _evaluate(order: dict, payer: str | None, day: date):
    facts, findings = _evaluate_all([order], payer, day)
    return facts[0], findings


def _evaluate_all(orders: list[dict], payer: str | None, day: date):
    resources = [fhir.parse_resource(o) for o in orders]
    if payer:
        resources.append(fhir.parse_resource(coverage(payer)))
    facts, patient = facts_for(resources[:len(orders)], fhir.ResourceIndex(resources),
                               KNOWLEDGE, SYSTEMS, day)
    return facts, evaluate(facts, patient, KNOWLEDGE)


@st.composite
def drafts(draw):
    """One to three draft orders of one day, each naming a test by the lab's code, a Z-code
    or only a CPT (or a malformed Z-code), on a specimen or none, with a diagnosis."""
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 6, 30)))
    orders = []
    for i in range(draw(st.integers(min_value=1, max_value=3))):
        row = draw(st.sampled_from(ROWS))
        how = draw(st.sampled_from(["lab", "zcode", "cpt", "malformed"]))
        codings = {"lab": [lab_code(KNOWLEDGE, row.test_code)], "zcode": [zcode(row.zcode)],
                   "cpt": [], "malformed": [zcode(row.zcode[:4])]}[how]
        codings += [cpt(c) for c in draw(st.lists(st.sampled_from(ALL_CPTS), max_size=2,
                                                  unique=True))]
        if how == "cpt" and row.cpt:
            codings.append(cpt(row.cpt))
        fields = {"occurrenceDateTime": day.isoformat(),
                  "reasonCode": [icd10(draw(st.sampled_from(DIAGNOSES)))]}
        if specimen := draw(st.sampled_from(SPECIMENS)):
            fields["specimen"] = [{"reference": specimen}]
        if draw(st.booleans()):
            fields["quantityQuantity"] = {"value": draw(st.integers(1, 3))}
        orders.append(service_request(*codings, id=f"sr-{i + 1}", **fields))
    return orders, day


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


# Which payers each rule may speak for: MolDX's rules for MolDX payers, the Z-code checks for
# payers requiring Z-codes on the date of service (docs/rules.md, section D).
_MOLDX_ONLY = {panel_cpt.RULE_ID, units_of_service.RULE_ID, cgp_specimen.RULE_ID,
               single_gene_in_panel.RULE_ID, parallel_orders.RULE_ID, test_indication.RULE_ID,
               diagnosis_coverage.RULE_ID, policy_unavailable.RULE_ID, repeat_cgp.RULE_ID,
               article_cpt.RULE_ID}
_DEX_ONLY = {missing_zcode.RULE_ID, mismatched_codes.RULE_ID, stale_code.RULE_ID,
             malformed_zcode.RULE_ID}


def _in_scope(rule: str, facts, row_retired: bool) -> bool:
    payer = facts.payer
    if rule in _MOLDX_ONLY:
        return payer is not None and payer.coverage_rules is CoverageRules.MOLDX
    if rule in _DEX_ONLY:
        return payer is not None and payer.requires_zcode_on(facts.date_of_service)
    if rule == not_payable.RULE_ID:
        return row_retired or (payer is not None
                               and payer.requires_zcode_on(facts.date_of_service))
    return True


@FAST
@given(drafts(), st.sampled_from(PAYER_IDS))
def test_a_certain_fix_never_comes_from_a_cpt_only_identification(orders_and_day, payer):
    orders, day = orders_and_day
    facts, findings = _evaluate_all(orders, payer, day)
    by_order = {f.order: f for f in facts}
    for finding in findings:
        if finding.certain_fix is not None:
            assert by_order[finding.order].identified_for_sure, finding


@FAST
@given(drafts(), st.sampled_from(PAYER_IDS))
def test_no_rule_fires_for_a_payer_outside_its_scope(orders_and_day, payer):
    orders, day = orders_and_day
    facts, findings = _evaluate_all(orders, payer, day)
    by_order = {f.order: f for f in facts}
    for finding in findings:
        order = by_order[finding.order]
        retired = order.row is not None and order.row.dex_status is DexStatus.RETIRED
        assert _in_scope(finding.rule, order, retired), finding.rule
    assert {f.rule for f in findings} <= set(RULE_IDS)


@FAST
@given(drafts(), st.sampled_from(PAYER_IDS))
def test_applying_every_certain_fix_leaves_no_warning_of_the_same_rule(orders_and_day, payer):
    """What an LIS does unasked: apply each order's certain fixes. Checked again, no order
    has a warning of a rule whose fix was applied to it."""
    orders, day = orders_and_day
    _, findings = _evaluate_all(orders, payer, day)
    fixed: dict[str, set[str]] = {}
    by_reference = {f"ServiceRequest/{o['id']}": o for o in orders}
    for finding in findings:
        if (fix := finding.certain_fix) is not None:
            order = by_reference[finding.order]
            by_reference[finding.order] = with_fix(order, fix, SYSTEMS)
            fixed.setdefault(finding.order, set()).add(finding.rule)
    _, again = _evaluate_all(list(by_reference.values()), payer, day)
    left = [(f.order, f.rule) for f in again if f.severity.value == "warning"
            and f.rule in fixed.get(f.order, ())]
    assert not left
