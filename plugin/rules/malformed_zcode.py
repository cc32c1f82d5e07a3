"""A code in the Z-code system that is not a Z-code (Z and four letters or digits: the DEX Z-code
format):
named as malformed, with the catalog's Z-code offered in its place. Certain only when the test
is known for sure; when only a CPT names it, a person confirms the test.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import uses_dex

RULE_ID = "malformed-zcode"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or not order.malformed_zcodes or not uses_dex(order):
        return []
    change = CodeChange(CodeKind.ZCODE, row.zcode, replaces=order.malformed_zcodes[0])
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, codes=order.malformed_zcodes),
                    (Fix((change,), certain=order.identified_for_sure),))]
