"""A Tier 1 or Tier 2 single-gene CPT code for a gene that an NGS panel on the same specimen
already tests: MolDX does not pay single-gene codes for genes tested in an NGS or other
multiplex panel (TCGP article). The genes come from the catalog's `genes` column; when either
test does not list them, nothing is concluded. Panels that are CGPs are left to cgp_specimen,
which forbids any further test on their specimen. MolDX payers only.
"""

from __future__ import annotations

from ..codes import is_tier_code
from ..findings import Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge, PanelKind
from ..orders import OrderFacts, PatientFacts
from .scope import follows_moldx
from .specimens import billed_cpts, other_order, shared_specimen

RULE_ID = "single-gene-in-panel"

_PANELS = (PanelKind.TARGETED_PANEL, PanelKind.RNA_PANEL)


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    tier = [cpt for cpt in billed_cpts(order) if is_tier_code(cpt)]
    if row is None or not row.genes or not tier or not follows_moldx(order):
        return []
    panels = [(specimen, other) for specimen, other, _ in shared_specimen(order, patient)
              if other.row and other.row.panel_kind in _PANELS and other.row.genes & row.genes]
    if not panels:
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=row, payer=order.payer, codes=tuple(tier), specimen=panels[0][0],
        assumed_specimen=panels[0][0] is None,
        others=tuple(other_order(other) for _, other in panels)),
        (Fix(cancel=True, certain=False),) if order.draft else ())]
