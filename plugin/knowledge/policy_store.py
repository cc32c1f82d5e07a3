"""The policy store: the MCD article tables in SQLite, and loading articles from it.

The tables keep the CMS column names (the Medicare Coverage Database download) so that a row of
the export, of the Coverage API and of the store read alike, minus the CPT descriptor columns,
which are AMA content and never stored (the AMA CPT licence). An import writes a new file and
renames it over the old one, so a running service never sees a half-written store.
"""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from ..codes import normalize_icd10
from .csvrows import KnowledgeError
from .policy import ArticleVersion, Policy, article_key


class PolicyError(KnowledgeError):
    """The policy source or store cannot be used; `problems` names each place."""


class CellError(ValueError):
    """A value that does not convert; the reader adds file, line and column."""


def integer(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    try:
        return int(float(value)) if "." in value else int(value)
    except ValueError:
        raise CellError(f"{value!r} is not a whole number") from None


_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y", "%m/%d/%Y %H:%M:%S",
                 "%m/%d/%Y %I:%M:%S %p", "%Y-%m-%dT%H:%M:%S")


def iso_date(value: str) -> str | None:
    """The CMS files write dates as `2025-04-01 00:00:00` or `04/01/2025`; stored as ISO."""
    value = value.strip()
    if not value:
        return None
    for pattern in _DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date().isoformat()
        except ValueError:
            continue
    raise CellError(f"{value!r} is not a date (YYYY-MM-DD or MM/DD/YYYY)")


def text(value: str) -> str | None:
    return value.strip() or None


def icd10(value: str) -> str | None:
    return normalize_icd10(value) if value.strip() else None


def code(value: str) -> str | None:
    return value.strip().upper() or None


@dataclass(frozen=True)
class Table:
    """One MCD article table: its file in the export, its endpoint in the Coverage API, and the
    columns kept, each with its converter."""

    name: str  # the table in the store
    file: str  # the CSV in the export
    endpoint: str | None  # under /v1/data/article/ in the Coverage API; None: not per article
    columns: tuple[tuple[str, Callable[[str], object]], ...]
    required: bool = True

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


_KEY = (("article_id", integer), ("article_version", integer))

TABLES = (
    Table("article", "article.csv", "", (
        *_KEY, ("article_type", integer), ("title", text), ("article_eff_date", iso_date),
        ("article_end_date", iso_date), ("article_rev_end_date", iso_date),
        ("date_retired", iso_date), ("status", text))),
    # long_description / short_description are CPT text: not read, not stored.
    Table("article_x_hcpc_code", "article_x_hcpc_code.csv", "hcpc-code", (
        *_KEY, ("hcpc_code_id", code), ("hcpc_code_group", integer))),
    Table("article_x_icd10_covered", "article_x_icd10_covered.csv", "icd10-covered", (
        *_KEY, ("icd10_code_id", icd10), ("icd10_covered_group", integer),
        ("asterisk", text))),
    Table("article_x_icd10_covered_group", "article_x_icd10_covered_group.csv",
          "icd10-covered-group", (
              *_KEY, ("icd10_covered_group", integer), ("paragraph", text),
              ("icd10_covered_ast", text))),
    Table("article_x_icd10_noncovered", "article_x_icd10_noncovered.csv", "icd10-noncovered", (
        *_KEY, ("icd10_code_id", icd10), ("icd10_noncovered_group", integer))),
    Table("article_x_contractor", "article_x_contractor.csv", "contractor", (
        *_KEY, ("contractor_id", integer), ("contractor_type_id", integer),
        ("contractor_version", integer))),
    Table("article_related_documents", "article_related_documents.csv", "related-documents", (
        *_KEY, ("related_num", integer), ("r_article_id", integer),
        ("r_article_version", integer),
        ("r_lcd_id", integer), ("r_lcd_version", integer))),
    # A lookup table of the export: contractor ids to Part B contract numbers. Optional
    # because article-only excerpts (the demo pack) may leave it out.
    Table("contractor", "contractor.csv", None, (
        ("contractor_id", integer), ("contractor_type_id", integer),
        ("contractor_version", integer), ("contractor_number", text),
        ("contractor_bus_name", text)), required=False),
)
TABLES_BY_NAME = {t.name: t for t in TABLES}

_INDEXES = [f"CREATE INDEX {t.name}_key ON {t.name} (article_id, article_version)"
            for t in TABLES if t.name != "contractor"] + [
    "CREATE INDEX contractor_key ON contractor (contractor_id, contractor_type_id, "
    "contractor_version)"]


def convert_record(table: Table, record: Mapping[str, object], where: str) -> tuple:
    """A row given as a mapping (a Coverage API record), converted like a CSV row; `where`
    names the record in errors. Keys are matched case-insensitively: the API writes
    `article_rev_end_Date`."""
    lowered = {str(k).lower(): v for k, v in record.items()}
    values, problems = [], []
    for column, convert in table.columns:
        raw = lowered.get(column)
        try:
            values.append(convert("" if raw is None else str(raw)))
        except CellError as bad:
            problems.append(f"{where}, column {column}: {bad}")
    if problems:
        raise PolicyError(problems)
    return tuple(values)


def _create(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for table in TABLES:
        db.execute(f"CREATE TABLE {table.name} ({', '.join(table.names)})")
    for statement in _INDEXES:
        db.execute(statement)


def insert(db: sqlite3.Connection, table: Table, rows: Iterable[Sequence[object]]) -> None:
    marks = ", ".join("?" * len(table.columns))
    db.executemany(f"INSERT INTO {table.name} VALUES ({marks})", rows)


def set_meta(db: sqlite3.Connection, **values: str) -> None:
    db.executemany("INSERT OR REPLACE INTO meta VALUES (?, ?)", values.items())


@contextmanager
def new_store(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A new, empty store that replaces `path` when the block ends without an error.
    `:memory:` builds one in memory (the embedded demo pack)."""
    if str(path) == ":memory:":
        db = sqlite3.connect(":memory:")
        _create(db)
        yield db
        db.commit()
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.unlink(missing_ok=True)
    try:
        with closing(sqlite3.connect(partial)) as db:
            # A crash mid-import leaves only the .partial file, so durability per statement
            # buys nothing here and costs most of the import time.
            db.execute("PRAGMA journal_mode = OFF")
            db.execute("PRAGMA synchronous = OFF")
            _create(db)
            yield db
            db.commit()
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def open_store(path: Path | str) -> sqlite3.Connection:
    """An existing store, read-write (a sync adds articles to it)."""
    path = Path(path)
    if not path.is_file():
        raise PolicyError([f"{path}: no policy store there (run `moldx-cds policy import`)"])
    db = sqlite3.connect(path)
    _check_store(db, path)
    return db


def _check_store(db: sqlite3.Connection, where: Path | str) -> None:
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as bad:
        raise PolicyError([f"{where}: not a policy store ({bad})"]) from None
    missing = sorted({"meta", *TABLES_BY_NAME} - tables)
    if missing:
        raise PolicyError([f"{where}: not a policy store (no table {', '.join(missing)})"])


@contextmanager
def updated_store(path: Path | str) -> Iterator[sqlite3.Connection]:
    """The store at `path` to add to in one transaction, created when there is none yet."""
    if not Path(path).is_file():
        with new_store(path) as db:
            yield db
        return
    with closing(open_store(path)) as db, db:
        yield db


def replace_article_version(db: sqlite3.Connection, article_id: int, version: int) -> None:
    """Remove one article version's rows before it is written again (sync)."""
    for table in TABLES:
        if table.name != "contractor":
            db.execute(f"DELETE FROM {table.name} WHERE article_id = ? AND article_version = ?",
                       (article_id, version))


# -- loading into memory ------------------------------------------------------------------------

def load_policy(db: sqlite3.Connection, articles: Iterable[str], source: str) -> Policy:
    """The versions of `articles` (A57901...) held in the store, as an in-memory Policy."""
    _check_store(db, source)
    numbers = sorted({int(article_key(a)[1:]) for a in articles if article_key(a)[1:].isdigit()})
    meta = dict(db.execute("SELECT key, value FROM meta"))
    if not numbers:
        return Policy.of((), source, meta.get("import_id", ""))
    marks = ", ".join("?" * len(numbers))
    where = f"article_id IN ({marks})"
    grouped = {name: _grouped(db, sql.format(where=where), numbers)
               for name, sql in _PARTS.items()}
    versions = []
    for article_id, version, title, eff, end, rev_end, retired in db.execute(
            "SELECT article_id, article_version, title, article_eff_date, article_end_date, "
            f"article_rev_end_date, date_retired FROM article WHERE {where}", numbers):
        if eff is None:
            continue  # never in force
        key = (article_id, version)
        covered: dict[str, set[int]] = {}
        for icd, group in grouped["covered"].get(key, ()):
            covered.setdefault(sys.intern(icd), set()).add(group or 0)
        ends = [date.fromisoformat(d) for d in (rev_end, end, retired) if d]
        versions.append(ArticleVersion(
            article=article_key(article_id), version=version, title=title or "",
            effective_from=date.fromisoformat(eff), effective_to=min(ends) if ends else None,
            cpts=frozenset(c for (c,) in grouped["cpts"].get(key, ())),
            covered={c: frozenset(g) for c, g in covered.items()},
            noncovered=frozenset(sys.intern(c) for (c,) in grouped["noncovered"].get(key, ())),
            contract_numbers=frozenset(n for (n,) in grouped["contracts"].get(key, ()) if n),
            lcds=tuple(f"L{n}" for (n,) in grouped["lcds"].get(key, ())),
        ))
    return Policy.of(versions, source, meta.get("import_id", ""))


_PARTS = {
    "cpts": "SELECT article_id, article_version, hcpc_code_id FROM article_x_hcpc_code "
            "WHERE {where} AND hcpc_code_id IS NOT NULL",
    "covered": "SELECT article_id, article_version, icd10_code_id, icd10_covered_group "
               "FROM article_x_icd10_covered WHERE {where} AND icd10_code_id IS NOT NULL",
    "noncovered": "SELECT article_id, article_version, icd10_code_id "
                  "FROM article_x_icd10_noncovered WHERE {where} AND icd10_code_id IS NOT NULL",
    "contracts": "SELECT a.article_id, a.article_version, c.contractor_number "
                 "FROM article_x_contractor a JOIN contractor c USING (contractor_id, "
                 "contractor_type_id, contractor_version) WHERE a.{where}",
    "lcds": "SELECT article_id, article_version, r_lcd_id FROM article_related_documents "
            "WHERE {where} AND r_lcd_id IS NOT NULL ORDER BY related_num",
}


def _grouped(db: sqlite3.Connection, sql: str,
             params: list[int]) -> dict[tuple[int, int], list[tuple]]:
    grouped: dict[tuple[int, int], list[tuple]] = {}
    for article_id, version, *rest in db.execute(sql, params):
        grouped.setdefault((article_id, version), []).append(tuple(rest))
    return grouped


def load_policy_file(path: Path | str, articles: Iterable[str]) -> Policy:
    path = Path(path)
    if not path.is_file():
        raise PolicyError([f"{path}: no policy store there (run `moldx-cds policy import`)"])
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        return load_policy(db, articles, str(path))
