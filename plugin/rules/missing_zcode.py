"""The payer requires a DEX Z-code on the date of service and the order carries none.

The fix adds the catalog's Z-code, and its CPT when the order has no CPT either. It is certain
only when the test is known for sure (lab code, Z-code, PLA code): a CPT alone does not tell
tests apart, so a Z-code inferred from it is a suggestion for a person (DEX assigns a Z-code to
one lab's test, not to a CPT).
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "missing-zcode"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row, payer = order.row, order.payer
    if (row is None or order.zcodes or order.malformed_zcodes or payer is None
            or not payer.requires_zcode_on(order.date_of_service)):
        return []
    changes = [CodeChange(CodeKind.ZCODE, row.zcode)]
    if row.cpt and not order.cpts:
        changes.insert(0, CodeChange(CodeKind.CPT, row.cpt))
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(row=row, payer=payer),
                    (Fix(tuple(changes), certain=order.identified_for_sure),))]
