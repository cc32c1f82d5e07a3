"""Which CPT codes the MolDX article on targeted and comprehensive genomic profile testing
(A56518 and its copies per MAC, "CPT coding instructions") allows for a panel, and whether a
panel is a solid-tumour or a hematolymphoid test. Knowledge shared by the panel rules; no
findings here.

- targeted DNA, 5-50 genes: 81445 solid / 81450 hematolymphoid (T1); with MSI 81457, with MSI
  and CNV 81458 (solid, T2); 51 or more genes 81455 (the CPT code set);
- targeted RNA, 5-50 genes: 81449 solid / 81451 hematolymphoid; 51 or more: 81456 (T4);
- DNA and RNA panels always performed together: one service, 81479 (T5);
- 2-4 genes on a targeted NGS panel: 81479 (T8);
- a CGP: 81459, or 81479 (T9; 81459 is a solid-tumour code, so a hematolymphoid CGP is 81479);
- an NGS test that is neither targeted nor CGP (an MRD assay): 81479 (T12);
- a plasma (cell-free DNA) panel: 81462-81464 (T18; the CPT code set), or 81479.

Only the codes of these families and the Tier 1/Tier 2 single-gene codes (T13) are judged; any
other CPT (a PLA code, 0244U) is the article's when its own list has it (T17), and whether it
is the test's code at all is the mismatched-code rule's question.
"""

from __future__ import annotations

from ..codes import is_tier_code
from ..knowledge import CatalogRow, Component, Knowledge, Neoplasm, NucleicAcid, PanelKind
from ..knowledge import SpecimenType as Specimen
from ..orders import OrderFacts

NOC = "81479"
SOLID_CODES = frozenset({"81445", "81449", "81457", "81458", "81459", "81462", "81463",
                         "81464"})
HEME_CODES = frozenset({"81450", "81451"})
PLASMA_CODES = frozenset({"81462", "81463", "81464"})
PANEL_CODES = SOLID_CODES | HEME_CODES | {"81455", "81456", NOC}


def judged(cpt: str) -> bool:
    """The panel rules have something to say about this CPT on a panel order."""
    return cpt in PANEL_CODES or is_tier_code(cpt)


def neoplasm(row: CatalogRow, order: OrderFacts, knowledge: Knowledge) -> Neoplasm | None:
    """Solid or hematolymphoid: the catalog's `neoplasm`, else its CPT's, else that of the
    test's article (version in force on the date of service); None when nothing says."""
    if row.neoplasm:
        return row.neoplasm
    if row.cpt in SOLID_CODES:
        return Neoplasm.SOLID
    if row.cpt in HEME_CODES:
        return Neoplasm.HEMATOLYMPHOID
    if row.policy_article:
        version = knowledge.policy.version_on(row.policy_article, order.date_of_service)
        if version is not None and version.neoplasm:
            return Neoplasm(version.neoplasm)
    return None


def expected_cpts(row: CatalogRow, kind: Neoplasm | None = None) -> frozenset[str]:
    """The CPT codes the article allows for a panel like `row` (not for single-gene tests)."""
    components = row.components
    if row.panel_kind is PanelKind.OTHER:
        return frozenset({NOC})
    if row.panel_kind is PanelKind.CGP:
        return frozenset({NOC}) if kind is Neoplasm.HEMATOLYMPHOID else frozenset({"81459", NOC})
    if row.gene_count <= 4 or row.nucleic_acid is NucleicAcid.DNA_RNA or (
            row.nucleic_acid is NucleicAcid.DNA and components and Component.RNA in components):
        return frozenset({NOC})
    if row.nucleic_acid is NucleicAcid.RNA:
        return _rna(row, kind)
    return _dna(row, kind)


def _rna(row: CatalogRow, kind: Neoplasm | None) -> frozenset[str]:
    if row.gene_count > 50:
        return frozenset({"81456"})
    return {Neoplasm.SOLID: frozenset({"81449"}),
            Neoplasm.HEMATOLYMPHOID: frozenset({"81451"})}.get(kind, frozenset({"81449",
                                                                                "81451"}))


def _dna(row: CatalogRow, kind: Neoplasm | None) -> frozenset[str]:
    if kind is Neoplasm.HEMATOLYMPHOID:
        return frozenset({"81455" if row.gene_count > 50 else "81450"})
    base = "81455" if row.gene_count > 50 else "81445"
    solid = _with_msi(row.components, base)
    if row.specimen_type is Specimen.PLASMA:
        solid = _plasma(row.components)
    elif row.specimen_type is None:  # not stated: a plasma panel's codes are right too
        solid = solid | PLASMA_CODES
    return solid if kind is Neoplasm.SOLID else solid | {"81450" if base == "81445" else base}


def _with_msi(components: frozenset[Component] | None, base: str) -> frozenset[str]:
    """81457 with MSI, 81458 with MSI and CNV (T2); every choice when the catalog does not
    say what the panel reports."""
    if components is None:
        return frozenset({base, "81457", "81458"})
    if Component.MSI not in components:
        return frozenset({base})
    return frozenset({"81458" if Component.CNV in components else "81457"})


def _plasma(components: frozenset[Component] | None) -> frozenset[str]:
    """81462 (CNV and rearrangements), 81463 (with MSI), 81464 (with MSI and TMB): the CPT
    code set's cell-free nucleic acid panels; 81479 is always allowed."""
    if components is None:
        return PLASMA_CODES | {NOC}
    if Component.MSI in components:
        code = "81464" if Component.TMB in components else "81463"
    else:
        code = "81462"
    return frozenset({code, NOC})
