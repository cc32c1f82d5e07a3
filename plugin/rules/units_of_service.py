"""An NGS panel is one unit of service (MolDX TCGP article): an order asking for more units is
billed wrong, and setting the quantity to one is certain."""

from __future__ import annotations

from ..findings import Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge, PanelKind
from ..orders import OrderFacts, PatientFacts

RULE_ID = "units-of-service"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or row.panel_kind is PanelKind.SINGLE_GENE or order.quantity in (None, 1):
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, quantity=order.quantity),
                    (Fix(quantity=1),))]
