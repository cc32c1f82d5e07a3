"""The order's Coverage names a payer that payers.csv does not list: its rules are unknown, so
the payer checks are skipped, and the request gets one notice saying so (on its first molecular
order), rather than a guess.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "unknown-payer"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if not _unknown(order):
        return []
    first = next(o for o in patient.orders if _unknown(o))
    if first.order != order.order:
        return []
    return [Finding(RULE_ID, Severity.INFO, order.order,
                    Evidence(payer_identifier=order.coverage.payer_identifier))]


def _unknown(order: OrderFacts) -> bool:
    return order.coverage is not None and order.payer_checks_skipped  # no Coverage: no notice
