"""The order carries a code that was the test's own before and is superseded on the date of
service (a Z-code re-issued after a method change, a CPT re-assigned by DEX). Payers that
require Z-codes only."""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import uses_dex

RULE_ID = "stale-code"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or not uses_dex(order):
        return []
    findings = []
    for kind in (CodeKind.CPT, CodeKind.ZCODE):
        current = row.code_of(kind)
        for code in order.codes_of(kind):
            if not current or code == current:
                continue  # the right code, or none to replace it with: nothing is stale
            old = knowledge.catalog.superseded(row.test_code, order.date_of_service, kind, code)
            if old:
                findings.append(Finding(
                    RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, codes=(code,), superseded=old),
                    (Fix((CodeChange(kind, current, replaces=code),),
                         certain=order.identified_for_sure),)))
    return findings
