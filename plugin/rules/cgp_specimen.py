"""A comprehensive genomic profile is covered once per surgical specimen and precludes any
further molecular test on that specimen (MolDX TCGP article). So: a CGP on a specimen that
already has one (an existing order, or an earlier draft) is a second CGP; any other molecular
test on a specimen with a CGP is a further test.

The other draft orders of the request and the patient's existing ServiceRequests (prefetch)
are the evidence. Dropping the order is offered, not applied: whether another specimen exists
is for the clinician to say. MolDX payers only (the limit is the MolDX article's). A repeat
profile on a new specimen is a frequency question of the NGS NCD/LCD, not of this rule.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge, PanelKind
from ..orders import OrderFacts, PatientFacts
from .scope import follows_moldx
from .specimens import other_order, shared_specimen

RULE_ID = "cgp-specimen"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if (order.row is None and not order.names_a_molecular_test) or not follows_moldx(order):
        return []
    mine_is_cgp = is_cgp(order)
    conflicts = [(specimen, other) for specimen, other, first in shared_specimen(order, patient)
                 if is_cgp(other) and (first or not mine_is_cgp)]
    if not conflicts:
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=order.row, payer=order.payer, specimen=conflicts[0][0],
        assumed_specimen=conflicts[0][0] is None,
        others=tuple(other_order(other) for _, other in conflicts)),
        (Fix(cancel=True, certain=False),) if order.draft else ())]


def is_cgp(order: OrderFacts) -> bool:
    return order.row is not None and order.row.panel_kind is PanelKind.CGP
