"""An NGS panel is one unit of service (MolDX TCGP article): an order asking for more units is
billed wrong; setting the quantity to one is certain when the test is known for sure.
MolDX payers only."""

from __future__ import annotations

from ..findings import Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge, PanelKind
from ..orders import OrderFacts, PatientFacts
from .scope import follows_moldx

RULE_ID = "units-of-service"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if (row is None or row.panel_kind is PanelKind.SINGLE_GENE or order.quantity in (None, 1)
            or not follows_moldx(order)):
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, quantity=order.quantity),
                    (Fix(quantity=1, certain=order.identified_for_sure),))]
