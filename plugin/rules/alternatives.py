"""Which test of the lab's catalog could take an order's place: the covered test for the same
use when the ordered one will not be paid, the test for the indication the diagnosis is, and
the one test that does what orders making one service do together. Evidence for a person to
choose from, never a fix: the catalog says which tests exist, not which one the patient needs.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from ..knowledge import CatalogRow, DexStatus, Knowledge, Neoplasm, NucleicAcid, PanelKind
from ..orders import OrderFacts
from .panel_coding import neoplasm

MAX_ALTERNATIVES = 3  # more than this and a list of replacements stops helping


def same_use(order: OrderFacts, knowledge: Knowledge) -> tuple[CatalogRow, ...]:
    """Covered tests that do what the order's test does: the same kind of test on the same
    nucleic acid and specimen type, reporting the same components, for the same neoplasm."""
    row = order.row
    kind = neoplasm(row, order, knowledge)
    return _nearest(row, (
        other for other in _covered(knowledge, order.date_of_service)
        if other.test_code != row.test_code and other.panel_kind is row.panel_kind
        and other.nucleic_acid is row.nucleic_acid and other.specimen_type is row.specimen_type
        and other.components == row.components
        and neoplasm(other, order, knowledge) is kind))


def for_indication(order: OrderFacts, kind: Neoplasm,
                   knowledge: Knowledge) -> tuple[CatalogRow, ...]:
    """Covered tests of the same kind and nucleic acid as the order's, for `kind` of neoplasm
    (the specimen changes with the indication: bone marrow for a leukaemia)."""
    row = order.row
    return _nearest(row, (
        other for other in _covered(knowledge, order.date_of_service)
        if other.panel_kind is row.panel_kind and other.nucleic_acid is row.nucleic_acid
        and neoplasm(other, order, knowledge) is kind))


def combining(orders: Iterable[OrderFacts], cpt: str, knowledge: Knowledge,
              day: date) -> tuple[CatalogRow, ...]:
    """Catalog tests (not comprehensive profiles) billed with `cpt`, the code of the one
    service the orders make, on the nucleic acids they test, that report every gene and
    component the orders do; the smallest first."""
    rows = [o.row for o in orders]
    genes = frozenset().union(*(r.genes for r in rows))
    components = frozenset().union(*(r.components or () for r in rows))
    acids = {r.nucleic_acid for r in rows}
    acid = next(iter(acids)) if len(acids) == 1 else NucleicAcid.DNA_RNA
    found = [other for other in knowledge.catalog.rows_with_cpt(cpt)
             if other.in_effect_on(day) and other.nucleic_acid is acid
             and other.panel_kind is not PanelKind.CGP
             and genes <= other.genes and components <= (other.components or frozenset())]
    return tuple(sorted(found, key=lambda r: (r.gene_count, r.test_code))[:MAX_ALTERNATIVES])


def _covered(knowledge: Knowledge, day: date) -> Iterable[CatalogRow]:
    return (r for r in knowledge.catalog if r.in_effect_on(day)
            and r.dex_status is DexStatus.COVERED)


def _nearest(row: CatalogRow, rows: Iterable[CatalogRow]) -> tuple[CatalogRow, ...]:
    """The closest in size first (gene count), at most MAX_ALTERNATIVES."""
    ranked = sorted(rows, key=lambda r: (abs(r.gene_count - row.gene_count), r.test_code))
    return tuple(ranked[:MAX_ALTERNATIVES])
