"""The order carries only a CPT that several catalog tests bill under (81479 is the usual one).

Each candidate test is offered as a choice; none is applied without a human.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "ambiguous-test"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if order.test_code is not None or len(order.candidates) < 2 or order.aliases:
        return []  # candidates of an EHR's generic code are generic_code's
    return [Finding(RULE_ID, Severity.INFO, order.order,
                    Evidence(codes=order.cpts or order.billing_cpts,
                             candidates=order.candidates), choices(order))]


def choices(order: OrderFacts) -> tuple[Fix, ...]:
    """One uncertain fix per candidate test: its test code and Z-code on the order."""
    return tuple(Fix((CodeChange(CodeKind.TEST, row.test_code),
                      CodeChange(CodeKind.ZCODE, row.zcode)), certain=False)
                 for row in order.candidates)
