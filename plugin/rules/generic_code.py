"""The order names the test by an EHR code that the lab's compendium (aliases.csv) maps to
several of its tests: a generic LOINC genetic order code, say. Each test is offered as a
choice, none applied without a human: the code says what kind of test, not which.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .ambiguous_test import choices

RULE_ID = "generic-code"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if order.test_code is not None or not order.aliases or len(order.candidates) < 2:
        return []
    return [Finding(RULE_ID, Severity.INFO, order.order,
                    Evidence(codes=tuple(code for _, code in order.aliases),
                             candidates=order.candidates), choices(order))]
