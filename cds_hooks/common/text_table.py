"""Tables for a terminal: each column as wide as its widest cell, except the free-text columns
(a fix, a message, a reason), which wrap so that a row fits the terminal's width; where even
that leaves them too narrow, each row's texts go under it, the width of the terminal. A scrub's
fix text of 600 characters once padded every row of its table to 700; `--json` keeps the text
whole."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from collections.abc import Sequence

GAP = "  "
INDENT = "    "
NARROWEST = 20  # a wrapped column narrower than this reads badly: the texts go under the row


def render(rows: Sequence[Sequence[str]], wrap: Sequence[int] = (),
           width: int | None = None) -> str:
    """`rows` (the first is the header) as aligned lines no wider than `width` when the
    columns not in `wrap` leave room. Default: the terminal's width, else $COLUMNS; else (into
    a pipe or a file) a row a line, for grep."""
    width = width or _width()
    if width is None:
        return _aligned(rows, [max(len(row[i]) for row in rows) for i in range(len(rows[0]))])
    natural = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    kept = [i for i in range(len(natural)) if i not in wrap]
    room = width - sum(natural[i] for i in kept) - len(GAP) * (len(natural) - 1)
    widths = dict(enumerate(natural)) | _shares({i: natural[i] for i in wrap}, room)
    if any(widths[i] < min(NARROWEST, natural[i]) for i in wrap):
        return _under(rows, kept, list(wrap), natural, width)
    return _aligned(rows, [widths[i] for i in range(len(natural))], wrap)


def _width() -> int | None:
    if sys.stdout.isatty() or os.environ.get("COLUMNS", "").isdigit():
        return shutil.get_terminal_size().columns
    return None


def _aligned(rows: Sequence[Sequence[str]], widths: list[int], wrap: Sequence[int] = ()) -> str:
    lines = []
    for row in rows:
        cells = [_wrapped(cell, widths[i]) if i in wrap else [cell] for i, cell in enumerate(row)]
        for k in range(max(len(cell) for cell in cells)):
            lines.append(GAP.join((cell[k] if k < len(cell) else "").ljust(widths[i])
                                  for i, cell in enumerate(cells)).rstrip())
    return "\n".join(lines)


def _under(rows: Sequence[Sequence[str]], kept: list[int], wrap: list[int],
           natural: list[int], width: int) -> str:
    """The columns not wrapped as a table, and under each row its texts, one a paragraph,
    each led by its column's name."""
    lines = []
    for n, row in enumerate(rows):
        lines.append(GAP.join(row[i].ljust(natural[i]) for i in kept).rstrip())
        for i in wrap if n else ():
            if row[i]:
                lines += _wrapped(f"{rows[0][i].lower()}: {row[i]}", width - len(INDENT),
                                  INDENT)
    return "\n".join(lines)


def _wrapped(text: str, width: int, indent: str = "") -> list[str]:
    return textwrap.wrap(text, max(1, width), initial_indent=indent, subsequent_indent=indent,
                         break_on_hyphens=False) or [""]


def _shares(natural: dict[int, int], room: int) -> dict[int, int]:
    """Widths for the wrapped columns in `room` characters: a column that needs less than an
    even share keeps its own width, and the others share what it leaves."""
    widths: dict[int, int] = {}
    left = sorted(natural, key=natural.get)
    while left:
        share = room // len(left)
        if natural[left[0]] > share:
            return widths | dict.fromkeys(left, share)
        column = left.pop(0)
        widths[column] = natural[column]
        room -= widths[column]
    return widths
