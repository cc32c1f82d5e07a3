"""The test's DEX status on the date of service means the claim will not be paid: registered
without a CPT or coverage decision, technical assessment pending or not successful, not
covered, or retired. No code can fix this: the lab's covered tests for the same use, if any,
are the evidence a person chooses from (rules/alternatives).

The DEX status matters to payers that use DEX (those requiring Z-codes); a retired test is
off the lab's menu whoever pays.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import DexStatus, Knowledge
from ..orders import OrderFacts, PatientFacts
from .alternatives import same_use
from .scope import uses_dex

RULE_ID = "not-payable"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row, payer = order.row, order.payer
    if row is None or row.dex_status is DexStatus.COVERED:
        return []
    if not uses_dex(order) and row.dex_status is not DexStatus.RETIRED:
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=row, payer=payer, alternatives=same_use(order, knowledge)))]
