"""Reading the CMS Medicare Coverage Database article export into the policy store.

CMS ships `current_article.zip` (or `all_article.zip`) holding an Access database and a nested
zip of CSV files; the same CSVs may also come unpacked in a folder. The reader accepts all three,
keeps the columns listed in policy_store.TABLES and drops the rest (the CPT descriptors among
them), and names file, line and column for any value it cannot read.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import sqlite3
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from .policy import Policy
from .policy_store import (
    TABLES,
    CellError,
    PolicyError,
    Table,
    insert,
    load_policy,
    new_store,
    set_meta,
)

Progress = Callable[[int], None]  # called with the number of bytes just read
# Called once with the total bytes to read, before reading; returns the Progress to call.
ProgressStart = Callable[[int], Progress]
MAX_PROBLEMS = 20  # stop reading after this many bad values: the file is not what we expect


@dataclass(frozen=True)
class Member:
    """One CSV of the export: its name, its size, and how to open it."""

    name: str
    size: int
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True)
class ImportReport:
    rows: dict[str, int]  # table -> rows stored
    import_id: str  # digest of the CSV bytes read


def import_export(path: Path | str, store: Path | str,
                  progress: ProgressStart | None = None) -> ImportReport:
    """Read the export at `path` into a new store at `store` (replacing it when done)."""
    path = Path(path)
    with _members(path) as members, new_store(store) as db:
        total = sum(m.size for t in TABLES if (m := members.get(t.file)))
        return _import(path, members, db, progress(total) if progress else _no_progress)


def _no_progress(count: int) -> None:
    pass


def policy_from_export(path: Path | str, articles: Iterable[str]) -> Policy:
    """`articles` from an export read into an in-memory store: how the embedded demo pack is
    loaded, through the same reader and store as a real import."""
    path = Path(path)
    with _members(path) as members, new_store(":memory:") as db:
        _import(path, members, db, _no_progress)
        return load_policy(db, articles, str(path))


def _import(path: Path, members: dict[str, Member], db: sqlite3.Connection,
            progress: Progress) -> ImportReport:
    missing = [t.file for t in TABLES if t.required and t.file not in members]
    if missing:
        raise PolicyError([f"{path}: no {', '.join(missing)} in it; expected the CMS MCD "
                           "article export (current_article.zip) or a folder of its CSV files"])
    digest = hashlib.sha256()
    rows: dict[str, int] = {}
    for table in TABLES:
        member = members.get(table.file)
        if member is None:
            continue
        with member.open() as raw:
            counted = _records(raw, table, member.name, digest, progress)
            insert(db, table, counted)
        rows[table.name] = db.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]
    if not rows["article"]:
        raise PolicyError([f"{members['article.csv'].name}: no article rows"])
    import_id = digest.hexdigest()[:12]
    set_meta(db, source=str(path), import_id=import_id,
             imported_at=datetime.now(UTC).isoformat(timespec="seconds"),
             **{f"rows.{name}": str(count) for name, count in rows.items()})
    return ImportReport(rows, import_id)


def _records(raw: IO[bytes], table: Table, name: str, digest, progress: Progress
             ) -> Iterator[tuple]:
    """The kept, converted cells of each row of one CSV."""
    stream = io.TextIOWrapper(io.BufferedReader(_Counting(raw, digest, progress), 1 << 20),
                              encoding="utf-8-sig", errors="replace", newline="")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # group paragraphs are long HTML
    reader = csv.reader(stream)
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in table.names if c not in header]
    if missing:
        raise PolicyError([f"{name}, line 1: missing column(s) {', '.join(missing)}"])
    picks = [(header.index(column), column, convert) for column, convert in table.columns]
    problems: list[str] = []
    for record in reader:
        if not record:
            continue
        values = []
        for index, column, convert in picks:
            try:
                values.append(convert(record[index] if index < len(record) else ""))
            except CellError as bad:
                problems.append(f"{name}, line {reader.line_num}, column {column}: {bad}")
                values.append(None)
        if problems:
            if len(problems) >= MAX_PROBLEMS:
                break
            continue
        yield tuple(values)
    if problems:
        raise PolicyError(problems)


class _Counting(io.RawIOBase):
    """A byte stream that reports what it reads to the digest and the progress bar."""

    def __init__(self, raw: IO[bytes], digest, progress: Progress):
        self._raw, self._digest, self._progress = raw, digest, progress

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self._raw.read(len(buffer))
        buffer[:len(data)] = data
        self._digest.update(data)
        self._progress(len(data))
        return len(data)


# -- where the CSVs are: a folder, a zip, or a zip inside the zip ----------------------------

@contextmanager
def _members(path: Path) -> Iterator[dict[str, Member]]:
    if path.is_dir():
        yield _folder_members(path)
        return
    if not path.is_file():
        raise PolicyError([f"{path}: no such file or folder"])
    with ExitStack() as stack:
        try:
            outer = stack.enter_context(zipfile.ZipFile(path))
            members = _zip_members(outer, path.name)
            if not members:
                members = _nested_members(outer, path, stack)
        except zipfile.BadZipFile as bad:
            raise PolicyError([f"{path}: not a zip file or a folder of CSV files ({bad})"]
                              ) from None
        yield members


def _folder_members(folder: Path) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for file in sorted(folder.rglob("*.csv")):
        members.setdefault(file.name.lower(), Member(
            str(file.relative_to(folder.parent)), file.stat().st_size,
            lambda file=file: file.open("rb")))
    return members


def _zip_members(archive: zipfile.ZipFile, label: str) -> dict[str, Member]:
    members: dict[str, Member] = {}
    for info in archive.infolist():
        base = info.filename.rsplit("/", 1)[-1].lower()
        if base.endswith(".csv"):
            members.setdefault(base, Member(
                f"{label}:{info.filename}", info.file_size,
                lambda info=info: archive.open(info)))
    return members


def _nested_members(outer: zipfile.ZipFile, path: Path, stack: ExitStack) -> dict[str, Member]:
    """CMS's layout: the CSVs are in a zip inside the zip. It is copied to a temporary file
    first, because reading a zip needs seeking, which a compressed member does badly."""
    inner = sorted((i for i in outer.infolist() if i.filename.lower().endswith(".zip")),
                   key=lambda i: ("csv" not in i.filename.lower(), i.filename))
    if not inner:
        raise PolicyError([f"{path}: no CSV files and no zip of CSV files in it"])
    spool = stack.enter_context(tempfile.TemporaryFile())  # noqa: SIM115 (closed by stack)
    with outer.open(inner[0]) as source:
        shutil.copyfileobj(source, spool, 1 << 20)
    spool.seek(0)
    archive = stack.enter_context(zipfile.ZipFile(spool))
    return _zip_members(archive, f"{path.name}:{inner[0].filename}")
