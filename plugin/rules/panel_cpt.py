"""The CPT code does not fit the panel, by the coding instructions of the MolDX article on
targeted and comprehensive genomic profile testing (A56518; the codes per panel are in
panel_coding). MolDX payers only.

The panel's kind (solid or hematolymphoid) comes from the catalog, never from the order's
diagnoses: a solid-tumour panel ordered for a leukaemia is a question about the test and the
indication (test_indication), not about its code.

The fix is the catalog's CPT when the order carries another one that does not fit and the
catalog's does; it is certain only when the test is known for sure (lab code, Z-code or PLA
code). When the catalog's own CPT does not fit, the lab must correct it with DEX: no code on
the order can, so nothing is suggested.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Knowledge, PanelKind
from ..orders import OrderFacts, PatientFacts
from .panel_coding import expected_cpts, judged, neoplasm
from .scope import follows_moldx
from .specimens import billed_cpts

RULE_ID = "panel-cpt"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or row.panel_kind is PanelKind.SINGLE_GENE or not follows_moldx(order):
        return []
    expected = expected_cpts(row, neoplasm(row, order, knowledge))
    wrong = [cpt for cpt in billed_cpts(order) if judged(cpt) and cpt not in expected]
    if not wrong:
        return []
    fixes = ()
    if order.cpts and row.cpt in expected:
        fixes = (Fix((CodeChange(CodeKind.CPT, row.cpt, replaces=wrong[0]),),
                     certain=order.identified_for_sure),)
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, codes=tuple(wrong),
                             expected=tuple(sorted(expected))), fixes)]
