"""The lab's order compendium: the codes each client's EHR orders the lab's tests by.

An EHR orders a send-out test by its own orderable code (Epic and Oracle Health give each site
its own OID-based code system), sometimes by a LOINC or GTR code. The lab builds each client's
compendium and knows which of its tests each code means; `aliases.csv` lists that mapping:
`system` and `code` as the client sends them on `ServiceRequest.code.coding`, the lab's
`test_code`, and `issuer` (the `iss` of the one client whose codes these are, or empty for
every client). A (system, code) naming one test identifies it as surely as the lab's own code;
one naming several (a generic LOINC genetic order code) is a choice between them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .catalog import Catalog
from .csvrows import URI, Cells, KnowledgeError, Row, parse_rows

FILE = "aliases.csv"
COLUMNS = ("system", "code", "test_code", "issuer")



@dataclass(frozen=True)
class Alias:
    system: str
    code: str
    test_code: str
    issuer: str  # empty: every client


@dataclass(frozen=True)
class Aliases:
    """Test codes by (system, code), per issuer ("" for the rows every client shares)."""

    tests: Mapping[tuple[str, str, str], tuple[str, ...]]  # (issuer, system, code) -> tests

    @classmethod
    def of(cls, aliases: Iterable[Alias]) -> Aliases:
        found: dict[tuple[str, str, str], list[str]] = defaultdict(list)
        for alias in aliases:
            found[(alias.issuer, alias.system, alias.code)].append(alias.test_code)
        return cls({key: tuple(tests) for key, tests in found.items()})

    def tests_for(self, system: str | None, code: str | None,
                  issuer: str | None) -> tuple[str, ...]:
        """The lab's tests a coding names for the client `issuer`: that client's own rows when
        it has any for the code (its compendium decides), else the rows of every client. Rows
        of another client are never used: two sites reuse local codes for different tests."""
        if not self.tests or not system or not code:
            return ()
        if issuer and (own := self.tests.get((issuer, system, code))):
            return own
        return self.tests.get(("", system, code), ())

    def __len__(self) -> int:
        return sum(len(tests) for tests in self.tests.values())


NONE = Aliases({})


def _parse(row: Row) -> Alias:
    with Cells(row) as c:
        alias = Alias(
            system=c.matching("system", URI, "a URI"),
            code=c.text("code"),
            test_code=c.text("test_code"),
            issuer=c.matching("issuer", URI, "a URI (the client's iss)", required=False),
        )
    return alias


def load_aliases(path: Path, catalog: Catalog) -> Aliases:
    """The folder's aliases; none when it has no aliases.csv."""
    if not path.exists():
        return NONE
    problems: list[str] = []
    seen: set[Alias] = set()
    located = parse_rows(path, COLUMNS, _parse)
    for row, alias in located:
        if not catalog.rows(alias.test_code):
            problems.append(f"{row.where('test_code')}: test {alias.test_code!r} is not in "
                            "catalog.csv")
        if alias in seen:
            problems.append(f"{row.where('code')}: {alias.system} {alias.code} -> "
                            f"{alias.test_code} is listed twice")
        seen.add(alias)
    if problems:
        raise KnowledgeError(problems)
    return Aliases.of(alias for _, alias in located)
