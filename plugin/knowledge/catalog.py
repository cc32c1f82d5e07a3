"""The lab's test menu: each orderable test's CPT, Z-code and DEX status over time."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from functools import cached_property
from pathlib import Path

from ..codes import CPT_PATTERN, ZCODE_PATTERN, CodeKind
from .csvrows import Cells, KnowledgeError, Row, parse_rows

COLUMNS = ("test_code", "test_name", "method", "nucleic_acid", "gene_count", "panel_kind", "cpt",
           "zcode", "dex_status", "effective_from", "effective_to", "policy_article",
           "list_price_usd")


class DexStatus(StrEnum):
    REGISTERED = "registered"  # Z-code assigned; no CPT or coverage decision yet
    TA_PENDING = "ta-pending"
    TA_NOT_SUCCESSFUL = "ta-not-successful"
    COVERED = "covered"  # payable when the diagnosis meets the policy
    NOT_COVERED = "not-covered"
    RETIRED = "retired"


class PanelKind(StrEnum):
    SINGLE_GENE = "single-gene"
    TARGETED_PANEL = "targeted-panel"
    RNA_PANEL = "rna-panel"
    CGP = "cgp"
    OTHER = "other"  # an NGS test that is neither targeted nor CGP (an MRD assay, say)


class SpecimenType(StrEnum):
    TISSUE = "tissue"
    PLASMA = "plasma"  # cell-free DNA: the plasma panel codes 81462-81464 apply
    BLOOD = "blood"
    BONE_MARROW = "bone-marrow"


class Component(StrEnum):
    """What a panel reports beyond its gene variants; MSI and CNV change its CPT (81457,
    81458), RNA makes a DNA panel a DNA and RNA service."""

    MSI = "MSI"
    TMB = "TMB"
    CNV = "CNV"
    RNA = "RNA"
    LOH = "LOH"


class Neoplasm(StrEnum):
    SOLID = "solid"
    HEMATOLYMPHOID = "hematolymphoid"


class NucleicAcid(StrEnum):
    DNA = "DNA"
    RNA = "RNA"
    DNA_RNA = "DNA+RNA"


_ARTICLE = re.compile(r"^A\d{5}$")
# CatalogRow.code_of: the field holding each kind of code.
_CODE_OF = {CodeKind.TEST: "test_code", CodeKind.CPT: "cpt", CodeKind.ZCODE: "zcode"}


@dataclass(frozen=True)
class CatalogRow:
    """One test over one period of validity (both ends inclusive; `effective_to` None = open)."""

    test_code: str
    test_name: str
    method: str
    nucleic_acid: NucleicAcid
    gene_count: int
    panel_kind: PanelKind
    cpt: str | None  # None while DEX has not assigned one
    zcode: str
    dex_status: DexStatus
    effective_from: date
    effective_to: date | None
    policy_article: str | None
    list_price_usd: Decimal | None
    # The genes the test reports, when the lab lists them (optional column `genes`, separated by
    # spaces): the evidence that a single-gene test repeats a gene of a panel.
    genes: frozenset[str] = frozenset()
    specimen_type: SpecimenType | None = None  # optional column; None: not stated
    # Optional column `components`; None when the catalog has no such column (not stated),
    # empty when the lab states that the panel reports nothing beyond gene variants.
    components: frozenset[Component] | None = None
    neoplasm: Neoplasm | None = None  # optional column; None: from the CPT and the article
    # Optional column: what the lab expects to be paid (the CMS Clinical Laboratory Fee
    # Schedule rate, a contract rate); the report counts it rather than the list price.
    expected_payment_usd: Decimal | None = None

    def code_of(self, kind: CodeKind) -> str | None:
        return getattr(self, _CODE_OF[kind])

    def in_effect_on(self, day: date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to)


@dataclass(frozen=True)
class Catalog:
    """Catalog rows indexed by test code, Z-code and CPT."""

    rows_by_test: Mapping[str, tuple[CatalogRow, ...]]  # each sorted by effective_from
    test_by_zcode: Mapping[str, str]
    tests_by_cpt: Mapping[str, frozenset[str]]

    @classmethod
    def of(cls, rows: Iterable[CatalogRow]) -> Catalog:
        by_test: dict[str, list[CatalogRow]] = defaultdict(list)
        by_zcode: dict[str, str] = {}
        by_cpt: dict[str, set[str]] = defaultdict(set)
        for row in rows:
            by_test[row.test_code].append(row)
            by_zcode[row.zcode] = row.test_code
            if row.cpt:
                by_cpt[row.cpt].add(row.test_code)
        return cls(
            rows_by_test={t: tuple(sorted(rs, key=lambda r: r.effective_from))
                          for t, rs in by_test.items()},
            test_by_zcode=by_zcode,
            tests_by_cpt={c: frozenset(ts) for c, ts in by_cpt.items()},
        )

    def rows(self, test_code: str) -> tuple[CatalogRow, ...]:
        return self.rows_by_test.get(test_code, ())

    def row_on(self, test_code: str, day: date) -> CatalogRow | None:
        return next((r for r in self.rows(test_code) if r.in_effect_on(day)), None)

    def superseded(self, test_code: str, day: date, kind: CodeKind,
                   code: str) -> CatalogRow | None:
        """The latest row of the test that ended before `day` and had `code` as its code of
        `kind`: the evidence that a code on an order was right once and is stale now."""
        ended = [r for r in self.rows(test_code)
                 if r.effective_to is not None and r.effective_to < day and r.code_of(kind) == code]
        return ended[-1] if ended else None

    def test_for_zcode(self, zcode: str) -> str | None:
        return self.test_by_zcode.get(zcode)

    def tests_for_cpt(self, cpt: str) -> frozenset[str]:
        return self.tests_by_cpt.get(cpt, frozenset())

    def rows_with_cpt(self, cpt: str) -> tuple[CatalogRow, ...]:
        """Every row billed with `cpt`, of any period, in the catalog's order."""
        return self._rows_by_cpt.get(cpt, ())

    @cached_property
    def _rows_by_cpt(self) -> dict[str, tuple[CatalogRow, ...]]:
        """Built once per catalog: the rules look for the tests of a CPT on every call."""
        by_cpt: dict[str, list[CatalogRow]] = defaultdict(list)
        for row in self:
            if row.cpt:
                by_cpt[row.cpt].append(row)
        return {cpt: tuple(rows) for cpt, rows in by_cpt.items()}

    def __iter__(self) -> Iterator[CatalogRow]:
        for rows in self.rows_by_test.values():
            yield from rows

    def __len__(self) -> int:
        return sum(len(rows) for rows in self.rows_by_test.values())


def _parse(row: Row) -> CatalogRow:
    with Cells(row) as c:
        cpt = c.matching("cpt", CPT_PATTERN, "a CPT code (five digits, or four digits and a "
                         "letter)", required=False)
        status = c.choice("dex_status", DexStatus)
        if status is DexStatus.COVERED and not row.cells["cpt"]:
            c.fail("cpt", "a covered test needs the CPT code DEX assigned")
        effective_from = c.date("effective_from")
        effective_to = c.date("effective_to", required=False)
        if effective_from and effective_to and effective_to < effective_from:
            c.fail("effective_to", f"{effective_to} is before effective_from {effective_from}")
        parsed = CatalogRow(
            test_code=c.text("test_code"),
            test_name=c.text("test_name"),
            method=c.text("method"),
            nucleic_acid=c.choice("nucleic_acid", NucleicAcid),
            gene_count=c.integer("gene_count", minimum=1),
            panel_kind=c.choice("panel_kind", PanelKind),
            cpt=cpt or None,
            zcode=c.matching("zcode", ZCODE_PATTERN,
                             "a Z-code (Z and four capital letters or digits)"),
            dex_status=status,
            effective_from=effective_from,
            effective_to=effective_to,
            policy_article=c.matching("policy_article", _ARTICLE, "an article id like A57901",
                                      required=False) or None,
            list_price_usd=c.money("list_price_usd"),
            genes=_genes(c),
            specimen_type=_optional_choice(c, "specimen_type", SpecimenType),
            components=_components(c),
            neoplasm=_optional_choice(c, "neoplasm", Neoplasm),
            expected_payment_usd=c.money("expected_payment_usd")
            if "expected_payment_usd" in row.cells else None,
        )
    return parsed


def _genes(c: Cells) -> frozenset[str]:
    genes = c.text("genes", required=False).upper().split() if "genes" in c.row.cells else []
    if genes and len(set(genes)) != len(genes):
        c.fail("genes", "a gene is listed twice")
    if genes and c.row.cells["gene_count"].isdigit() and \
            len(genes) != int(c.row.cells["gene_count"]):
        c.fail("genes", f"{len(genes)} genes listed, but gene_count is "
                        f"{c.row.cells['gene_count']}")
    return frozenset(genes)


def _optional_choice(c: Cells, column: str, choices: type[StrEnum]):
    """An optional column's value, None when the column is absent or the cell empty."""
    if not c.row.cells.get(column):
        return None
    return c.choice(column, choices)


def _components(c: Cells) -> frozenset[Component] | None:
    if "components" not in c.row.cells:
        return None
    found: list[Component] = []
    for word in c.row.cells["components"].upper().split():
        try:
            found.append(Component(word))
        except ValueError:
            c.fail("components", f"{word!r} is not one of "
                                 f"{', '.join(m.value for m in Component)}")
    if len(set(found)) != len(found):
        c.fail("components", "a component is listed twice")
    return frozenset(found)


def _problems_across_rows(located: list[tuple[Row, CatalogRow]]) -> list[str]:
    problems: list[str] = []
    owner_of_zcode: dict[str, str] = {}
    for where, row in located:  # file order: the later row is the one to blame
        owner = owner_of_zcode.setdefault(row.zcode, row.test_code)
        if owner != row.test_code:
            problems.append(f"{where.where('zcode')}: Z-code {row.zcode} already belongs to "
                            f"test {owner}")
    previous: dict[str, CatalogRow] = {}
    for where, row in sorted(located, key=lambda p: (p[1].test_code, p[1].effective_from)):
        before = previous.get(row.test_code)
        if before and (before.effective_to is None or before.effective_to >= row.effective_from):
            problems.append(f"{where.where('effective_from')}: period of {row.test_code} "
                            f"overlaps the one starting {before.effective_from}")
        previous[row.test_code] = row
    return problems


def load_catalog(path: Path) -> Catalog:
    located = parse_rows(path, COLUMNS, _parse)
    problems = _problems_across_rows(located)
    if problems:
        raise KnowledgeError(problems)
    return Catalog.of(row for _, row in located)
