"""A test of the lab, or a code that should name one, on a request where no active Coverage is
known: the payer's checks cannot run and no coverage information can be recorded (Da Vinci CRD:
the coverage-information extension needs a Coverage to refer to). Said once per request, on its
first such order, so that silence is not read as a clean order.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "no-coverage"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if not _uncovered(order) or next(o for o in patient.orders if _uncovered(o)) is not order:
        return []
    return [Finding(RULE_ID, Severity.INFO, order.order, Evidence(row=order.row))]


def _uncovered(order: OrderFacts) -> bool:
    return order.coverage is None and order.payer_checks_skipped
