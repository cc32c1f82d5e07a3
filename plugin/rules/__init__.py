"""The rules, one module each, evaluated in this order for every order of a request.

Each module has a RULE_ID and `check(order, patient, knowledge) -> list[Finding]`.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..findings import Finding
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from . import (
    ambiguous_test,
    article_cpt,
    billing_option,
    cgp_specimen,
    diagnosis_coverage,
    generic_code,
    invalid_diagnosis,
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
    unknown_payer,
    unknown_test,
)
from .scope import follows_moldx, uses_dex

RULES = (unknown_test, ambiguous_test, generic_code, billing_option, malformed_zcode,
         mismatched_codes, stale_code, panel_cpt, missing_zcode, not_payable, units_of_service,
         invalid_diagnosis, unknown_payer,
         policy_unavailable, diagnosis_coverage, article_cpt, test_indication, cgp_specimen,
         repeat_cgp, single_gene_in_panel, parallel_orders)
RULE_IDS = tuple(rule.RULE_ID for rule in RULES)
_CHECKS = tuple(rule.check for rule in RULES)  # looked up once, not per order and rule


def evaluate(orders: Iterable[OrderFacts], patient: PatientFacts,
             knowledge: Knowledge) -> list[Finding]:
    return [finding for order in orders for check in _CHECKS
            for finding in check(order, patient, knowledge)]


# The rules that speak only for payers following MolDX, and those that judge the DEX
# CPT-Z-code pair (docs/rules.md, "Who each rule speaks for").
MOLDX_RULES = frozenset({
    panel_cpt.RULE_ID, units_of_service.RULE_ID, parallel_orders.RULE_ID,
    single_gene_in_panel.RULE_ID, cgp_specimen.RULE_ID, repeat_cgp.RULE_ID,
    diagnosis_coverage.RULE_ID, policy_unavailable.RULE_ID, article_cpt.RULE_ID,
    test_indication.RULE_ID})
DEX_RULES = frozenset({missing_zcode.RULE_ID, mismatched_codes.RULE_ID, stale_code.RULE_ID,
                       malformed_zcode.RULE_ID})
# The rules that read what only an order carries (the EHR's own order code, Da Vinci CRD
# billing options): an 837P service line has neither, so they never speak through a claim.
ORDER_ONLY_RULES = frozenset({generic_code.RULE_ID, billing_option.RULE_ID})


def evaluated(order: OrderFacts) -> frozenset[str]:
    """The rules whose silence about `order` means something: a rule that found nothing on a
    call where it was evaluated says the order is right by it. An order whose payer is not
    known evaluates nothing (its payer's checks were skipped, not passed)."""
    if order.payer is None:
        return frozenset()
    ids = set(RULE_IDS)
    if not follows_moldx(order):
        ids -= MOLDX_RULES
    if not uses_dex(order):
        ids -= DEX_RULES
    return frozenset(ids)
