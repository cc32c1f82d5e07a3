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
    mismatched_codes,
    missing_zcode,
    not_payable,
    stale_code,
    unknown_test,
)

RULES = (unknown_test, ambiguous_test, mismatched_codes, stale_code, missing_zcode, not_payable)
RULE_IDS = tuple(rule.RULE_ID for rule in RULES)


def evaluate(orders: Iterable[OrderFacts], patient: PatientFacts,
             knowledge: Knowledge) -> list[Finding]:
    return [finding for order in orders for rule in RULES
            for finding in rule.check(order, patient, knowledge)]
