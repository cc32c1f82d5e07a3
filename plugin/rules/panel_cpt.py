"""The CPT code does not fit the panel, by the coding instructions of the MolDX article on
targeted and comprehensive genomic profile testing (A54795 and its siblings, seed 002):

- 2 to 4 genes: 81479 (81445/81450 start at 5 genes);
- DNA and RNA panels always performed together: 81479, one service;
- targeted DNA: 81445 solid / 81450 hematolymphoid, 81457 with MSI, 81458 with MSI and CNV
  (81455 for more than 50 genes); targeted RNA: 81449 solid / 81451 hematolymphoid;
- a comprehensive genomic profile: 81459, or 81479 when RNA adds information.
81445/81449 and 81457-81459 are solid-tumour codes, 81450/81451 hematolymphoid ones: when every
diagnosis is of one kind, the codes of the other are wrong too.

The certain fix is the catalog's CPT when the order carries another one that does not fit and
the catalog's does. When the catalog's own CPT does not fit, the lab must correct it with DEX:
no code on the order can, so nothing is suggested.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import CatalogRow, Knowledge, NucleicAcid, PanelKind
from ..orders import OrderFacts, PatientFacts
from .specimens import billed_cpts

RULE_ID = "panel-cpt"

_SOLID_ONLY = frozenset({"81445", "81449", "81457", "81458", "81459"})
_HEME_ONLY = frozenset({"81450", "81451"})


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or row.panel_kind is PanelKind.SINGLE_GENE:
        return []
    expected = _for_tumour(expected_cpts(row), order.diagnoses)
    wrong = [cpt for cpt in billed_cpts(order) if cpt not in expected]
    if not wrong:
        return []
    fixes = ()
    if order.cpts and row.cpt in expected:
        fixes = (Fix((CodeChange(CodeKind.CPT, row.cpt, replaces=wrong[0]),)),)
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, codes=tuple(wrong),
                             expected=tuple(sorted(expected))), fixes)]


def expected_cpts(row: CatalogRow) -> frozenset[str]:
    """The CPT codes the article allows for a panel like this one."""
    if row.panel_kind is PanelKind.CGP:
        return frozenset({"81459", "81479"})
    if row.nucleic_acid is NucleicAcid.DNA_RNA or row.gene_count <= 4:
        return frozenset({"81479"})
    if row.nucleic_acid is NucleicAcid.RNA:
        return frozenset({"81449", "81451"})
    if row.gene_count > 50:
        return frozenset({"81455", "81457", "81458"})
    return frozenset({"81445", "81450", "81457", "81458"})


def _for_tumour(expected: frozenset[str], diagnoses: tuple[str, ...]) -> frozenset[str]:
    kinds = {_tumour(code) for code in diagnoses} - {None}
    if kinds == {"solid"}:
        return expected - _HEME_ONLY
    if kinds == {"heme"}:
        return expected - _SOLID_ONLY
    return expected


def _tumour(code: str) -> str | None:
    """Solid or hematolymphoid neoplasm, by ICD-10-CM chapter 2 ranges: C81-C96 and D45-D47
    are lymphoid, hematopoietic and myeloid; the other C codes are solid tumours."""
    if not code.startswith(("C", "D")) or not code[1:3].isdigit():
        return "solid" if code.startswith(("C7A", "C7B", "C4A")) else None
    number = int(code[1:3])
    if code[0] == "C":
        return "heme" if 81 <= number <= 96 else "solid"
    return "heme" if 45 <= number <= 47 else None
