"""The order names a molecular test that the lab's catalog does not have on the date of service.

Nothing is suggested: inventing a test or a code would be worse than saying we do not know it.
"""

from __future__ import annotations

from ..codes import is_dex_cpt, is_pla
from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "unknown-test"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if order.test_code is None:
        if order.candidates or not order.names_a_molecular_test:
            return []
        codes = (*order.test_codes, *order.zcodes, *order.malformed_zcodes,
                 *(code for _, code in order.aliases),
                 *(c for c in (*order.cpts, *order.billing_cpts) if is_dex_cpt(c) or is_pla(c)))
        return [Finding(RULE_ID, Severity.INFO, order.order, Evidence(codes=codes))]
    if order.row is None:  # a catalog test, but not on the menu on the date of service
        periods = tuple((r.effective_from, r.effective_to)
                        for r in knowledge.catalog.rows(order.test_code))
        return [Finding(RULE_ID, Severity.INFO, order.order,
                        Evidence(codes=(order.test_code,), periods=periods))]
    return []
