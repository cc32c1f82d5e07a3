"""Payers: who requires DEX Z-codes from when, and which coverage rules they follow."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

from .csvrows import URI, Cells, KnowledgeError, Row, parse_rows

COLUMNS = ("identifier_system", "identifier_value", "payer_name", "program",
           "zcode_required_from", "coverage_rules")



class CoverageRules(StrEnum):
    MOLDX = "moldx"  # Z-codes and the MolDX billing articles' diagnosis lists
    ZCODE_ONLY = "zcode-only"  # Z-codes required, no diagnosis list loaded
    NONE = "none"  # neither


@dataclass(frozen=True)
class Payer:
    identifier_system: str
    identifier_value: str
    name: str
    program: str
    zcode_required_from: date | None
    coverage_rules: CoverageRules

    def requires_zcode_on(self, day: date) -> bool:
        return (self.coverage_rules is not CoverageRules.NONE
                and self.zcode_required_from is not None
                and self.zcode_required_from <= day)


@dataclass(frozen=True)
class Payers:
    """Payers indexed by their Coverage.payor identifier (system, value)."""

    by_identifier: Mapping[tuple[str, str], Payer]

    def find(self, system: str | None, value: str | None) -> Payer | None:
        return self.by_identifier.get((system or "", value or ""))

    def by_payer_id(self, value: str) -> Payer | None:
        """The payer a claim names by its payer id alone (837P 2010BB NM1-09): the one payer
        whose identifier has that value, none when two systems share it."""
        found = [p for (_, v), p in self.by_identifier.items() if v == value]
        return found[0] if len(found) == 1 else None

    def __iter__(self):
        return iter(self.by_identifier.values())

    def __len__(self) -> int:
        return len(self.by_identifier)


def _parse(row: Row) -> Payer:
    with Cells(row) as c:
        payer = Payer(
            identifier_system=c.matching("identifier_system", URI, "a URI"),
            identifier_value=c.text("identifier_value"),
            name=c.text("payer_name"),
            program=c.text("program"),
            zcode_required_from=c.date("zcode_required_from", required=False),
            coverage_rules=c.choice("coverage_rules", CoverageRules),
        )
    return payer


def load_payers(path: Path) -> Payers:
    index: dict[tuple[str, str], Payer] = {}
    problems: list[str] = []
    for row, payer in parse_rows(path, COLUMNS, _parse):
        key = (payer.identifier_system, payer.identifier_value)
        if key in index:
            problems.append(f"{row.where('identifier_value')}: "
                            f"payer {payer.identifier_value!r} is listed twice")
        index[key] = payer
    if problems:
        raise KnowledgeError(problems)
    return Payers(index)
