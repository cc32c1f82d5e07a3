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
    cgp_specimen,
    diagnosis_coverage,
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

RULES = (unknown_test, ambiguous_test, malformed_zcode, mismatched_codes, stale_code, panel_cpt,
         missing_zcode, not_payable, units_of_service, invalid_diagnosis, unknown_payer,
         policy_unavailable, diagnosis_coverage, article_cpt, test_indication, cgp_specimen,
         repeat_cgp, single_gene_in_panel, parallel_orders)
RULE_IDS = tuple(rule.RULE_ID for rule in RULES)


def evaluate(orders: Iterable[OrderFacts], patient: PatientFacts,
             knowledge: Knowledge) -> list[Finding]:
    return [finding for order in orders for rule in RULES
            for finding in rule.check(order, patient, knowledge)]
