"""Reading knowledge CSV files row by row, with errors that name file, line and column."""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
E = TypeVar("E", bound=Enum)

URI = re.compile(r"^[a-z][a-z0-9+.-]*:\S+$")  # a scheme and something after it


class KnowledgeError(ValueError):
    """One or more rows of the knowledge files are wrong; `problems` lists each of them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


class CellError(ValueError):
    """A cell's value is wrong; the row reader adds file, line and column."""


@dataclass(frozen=True)
class Row:
    """One CSV record: its cells by column name and the line it starts on."""

    path: Path
    line: int
    cells: dict[str, str]

    def where(self, column: str | None = None) -> str:
        place = f"{self.path.name}, line {self.line}"
        return f"{place}, column {column}" if column else place


class CellProblems(Exception):
    """The (column, message) problems of one row."""

    def __init__(self, cells: list[tuple[str, str]]):
        self.cells = cells


def read_rows(path: Path, columns: tuple[str, ...]) -> Iterator[Row]:
    """Yield the rows of `path`, which must have at least `columns` in its header."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except FileNotFoundError:
        raise KnowledgeError([f"{path}: file not found"]) from None
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise KnowledgeError([f"{path.name}, line 1: missing column(s) {', '.join(missing)}"])
        for record in reader:
            if None in record:  # more cells than header columns
                raise KnowledgeError([f"{path.name}, line {reader.line_num}: too many cells"])
            cells = {k: (v or "").strip() for k, v in record.items()}
            yield Row(path, reader.line_num, cells)


def parse_rows(path: Path, columns: tuple[str, ...],
               parse: Callable[[Row], T]) -> list[tuple[Row, T]]:
    """Parse every row with `parse`, keeping each value with its row for checks across rows;
    collect every bad cell before failing."""
    parsed: list[tuple[Row, T]] = []
    problems: list[str] = []
    for row in read_rows(path, columns):
        try:
            parsed.append((row, parse(row)))
        except CellProblems as bad:
            problems.extend(f"{row.where(column)}: {message}" for column, message in bad.cells)
    if problems:
        raise KnowledgeError(problems)
    return parsed


class Cells:
    """Typed access to a row's cells that records every problem instead of stopping at one.

    Use as: `with Cells(row) as c: value = c.date("effective_from")`; leaving the block raises
    CellProblems if any cell was wrong.
    """

    def __init__(self, row: Row):
        self.row = row
        self.problems: list[tuple[str, str]] = []

    def __enter__(self) -> Cells:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None and self.problems:
            raise CellProblems(self.problems)

    def _convert(self, column: str, convert: Callable[[str], T], default: T) -> T:
        try:
            return convert(self.row.cells[column])
        except CellError as wrong:
            self.problems.append((column, str(wrong)))
            return default

    def text(self, column: str, *, required: bool = True) -> str:
        return self._convert(column, lambda v: _required(v) if required else v, "")

    def matching(self, column: str, pattern: re.Pattern[str], what: str, *,
                 required: bool = True) -> str:
        def check(value: str) -> str:
            if not value and not required:
                return ""
            if not pattern.match(_required(value)):
                raise CellError(f"{value!r} is not {what}")
            return value

        return self._convert(column, check, "")

    def choice(self, column: str, choices: type[E]) -> E | None:
        def convert(value: str) -> E:
            try:
                return choices(value)
            except ValueError:
                allowed = ", ".join(member.value for member in choices)
                raise CellError(f"{value!r} is not one of {allowed}") from None

        return self._convert(column, convert, None)

    def date(self, column: str, *, required: bool = True) -> date | None:
        def convert(value: str) -> date | None:
            if not value and not required:
                return None
            try:
                return date.fromisoformat(_required(value))
            except ValueError:
                raise CellError(f"{value!r} is not a date (YYYY-MM-DD)") from None

        return self._convert(column, convert, None)

    def integer(self, column: str, *, minimum: int) -> int:
        def convert(value: str) -> int:
            if not value.isdigit() or int(value) < minimum:
                raise CellError(f"{value!r} is not a whole number of at least {minimum}")
            return int(value)

        return self._convert(column, convert, minimum)

    def money(self, column: str) -> Decimal | None:
        def convert(value: str) -> Decimal | None:
            if not value:
                return None
            try:
                amount = Decimal(value)
            except InvalidOperation:
                raise CellError(f"{value!r} is not an amount") from None
            if amount < 0 or not amount.is_finite():
                raise CellError(f"{value!r} is not an amount")
            return amount

        return self._convert(column, convert, None)

    def fail(self, column: str, message: str) -> None:
        """Record a problem found by a check across cells."""
        self.problems.append((column, message))


def _required(value: str) -> str:
    if not value:
        raise CellError("is empty")
    return value
