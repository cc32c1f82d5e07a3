"""Draft orders signed together on one specimen that are one service, not several (MolDX,
the article "Targeted and Comprehensive Genomic Profile Testing in Cancer", A56518; MolDX
payers only):

- a DNA targeted panel and an MSI test: one panel that also reports MSI, 81457 (81458 when the
  panel reports CNV) (T2);
- a DNA panel and an RNA panel always run together: one service, 81479 (T5). Run serially, as
  a separate service with its own order and report, the RNA panel is billable on its own (T3):
  the person who knows overrides;
- two or more Tier 1/Tier 2 single-gene tests run in parallel for one indication: one panel
  service, 81479 with one Z-code ("Defining panel services", A59687; "Testing of multiple
  genes", A58120; the Palmetto panel edit alert) (T15).

Only drafts of the request: an existing order was ordered before, so it is serial. The finding
is on the last draft of the combination and lists the others, with the catalog's tests that
combine them (rules/alternatives): a person turns one order into that test and drops the others,
never drops a test without its replacement. A comprehensive profile
with a further test is cgp_specimen's; a single-gene code for a gene a panel tests is
single_gene_in_panel's.
"""

from __future__ import annotations

from ..codes import is_tier_code
from ..findings import Evidence, Finding, Fix, Severity
from ..knowledge import Component, Knowledge, Neoplasm, NucleicAcid, PanelKind
from ..orders import OrderFacts, PatientFacts
from .alternatives import combining
from .panel_coding import NOC, _with_msi, neoplasm
from .scope import follows_moldx
from .specimens import billed_cpts, other_order, shared_specimen

RULE_ID = "one-service"

PANEL_AND_MSI = "panel-and-msi"
DNA_AND_RNA = "dna-and-rna"
SINGLE_GENES = "single-genes"

MSI_CPT = "81301"  # the CPT code set's microsatellite instability analysis


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if order.row is None or not order.draft or not follows_moldx(order):
        return []
    earlier, later = [], []
    for specimen, other, first in shared_specimen(order, patient):
        if other.draft and other.row is not None and other.order in patient.positions:
            (earlier if first else later).append((specimen, other))
    matches = [(s, o, kind) for s, o in earlier
               if (kind := combination(order, o, knowledge))]
    if not matches or any(combination(o, order, knowledge) for _, o in later):
        return []  # nothing combines, or a later draft reports the combination
    kind = matches[0][2]
    same = [(s, o) for s, o, k in matches if k == kind]
    cpt = _combined_cpt(kind, order, [o for _, o in same])
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=order.row, payer=order.payer, specimen=same[0][0],
        assumed_specimen=same[0][0] is None, combination=kind, expected=(cpt,),
        others=tuple(other_order(o) for _, o in same),
        alternatives=combining([order, *(o for _, o in same)], cpt, knowledge,
                               order.date_of_service)),
        (Fix(cancel=True, certain=False),))]


def combination(one: OrderFacts, other: OrderFacts, knowledge: Knowledge) -> str | None:
    """Which kind of one service two drafts on one specimen make, if any."""
    panel = one if _targeted_dna(one) else other if _targeted_dna(other) else None
    if panel is not None:
        rest = other if panel is one else one
        if not _targeted_dna(rest) and _msi_test(rest) and \
                neoplasm(panel.row, panel, knowledge) is not Neoplasm.HEMATOLYMPHOID:
            return PANEL_AND_MSI
        if _rna_panel(one) or _rna_panel(other):
            return DNA_AND_RNA
    if _single_gene(one) and _single_gene(other):
        return SINGLE_GENES
    return None


def _combined_cpt(kind: str, order: OrderFacts, others: list[OrderFacts]) -> str:
    if kind != PANEL_AND_MSI:
        return NOC
    panel = next(o for o in (order, *others) if _targeted_dna(o))
    components = panel.row.components or frozenset()
    base = "81455" if panel.row.gene_count > 50 else "81445"
    return min(_with_msi(components | {Component.MSI}, base))


def _targeted_dna(order: OrderFacts) -> bool:
    row = order.row
    return (row.panel_kind is PanelKind.TARGETED_PANEL and row.nucleic_acid is NucleicAcid.DNA
            and row.gene_count >= 5)


def _rna_panel(order: OrderFacts) -> bool:
    row = order.row
    return row.panel_kind is PanelKind.RNA_PANEL or (
        row.panel_kind is PanelKind.TARGETED_PANEL and row.nucleic_acid is NucleicAcid.RNA)


def _msi_test(order: OrderFacts) -> bool:
    row = order.row
    return row.panel_kind is PanelKind.SINGLE_GENE and (
        MSI_CPT in billed_cpts(order) or Component.MSI in (row.components or ()))


def _single_gene(order: OrderFacts) -> bool:
    return order.row.panel_kind is PanelKind.SINGLE_GENE and any(
        is_tier_code(c) for c in billed_cpts(order))
