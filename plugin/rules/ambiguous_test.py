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
    if order.test_code is not None or len(order.candidates) < 2:
        return []
    fixes = tuple(Fix((CodeChange(CodeKind.TEST, row.test_code),
                       CodeChange(CodeKind.ZCODE, row.zcode)), certain=False)
                  for row in order.candidates)
    return [Finding(RULE_ID, Severity.INFO, order.order,
                    Evidence(codes=order.cpts, candidates=order.candidates), fixes)]
