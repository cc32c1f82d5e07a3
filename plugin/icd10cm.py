"""ICD-10-CM: which codes exist and which are billable, from the code list simple-icd-10-cm ships.

Importing simple_icd_10_cm costs about 2 s and 185 MB, per gunicorn worker unless preloaded.
The questions the rules ask (does the code exist, is it a leaf, which billable codes lie under
it) need only its code list, which is in hierarchical order: a code is billable exactly when the
next line is not one of its children. Reading that file into frozensets takes a fraction of the
time and memory, and tests/plugin/test_icd10cm.py checks the answers against the library
itself.
"""

from __future__ import annotations

import html
import importlib.util
import mmap
from bisect import bisect_left
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from .codes import normalize_icd10

# The release the pinned package (simple-icd-10-cm==1.5.0) ships: FY2026 with the April 1, 2026
# update. A new package version brings another file; the load fails until this name is updated.
RELEASE = "April-2026"
CODE_LIST = f"code-list-{RELEASE}.txt"
TABULAR_LIST = "icd10c-tabular-April-1-2026.xml"  # the same release's names of the codes


class IcdStatus(StrEnum):
    BILLABLE = "billable"  # a leaf: valid on a claim
    NOT_BILLABLE = "not-billable"  # a category or subcategory that needs more characters
    UNKNOWN = "unknown"  # not in this release at all


class Icd10Error(RuntimeError):
    """The ICD-10-CM code list cannot be found or read."""


@dataclass(frozen=True)
class Icd10cm:
    """The codes of one ICD-10-CM release, dotted (`C34.90`)."""

    release: str
    # categories, subcategories and codes; no chapters or blocks
    codes: frozenset[str] = field(repr=False)
    billable: frozenset[str] = field(repr=False)
    # for the billable codes under a prefix, by bisection
    _sorted_billable: tuple[str, ...] = field(repr=False)

    def status(self, code: str) -> IcdStatus:
        code = normalize_icd10(code)
        if code in self.billable:
            return IcdStatus.BILLABLE
        return IcdStatus.NOT_BILLABLE if code in self.codes else IcdStatus.UNKNOWN

    def billable_under(self, code: str, limit: int) -> tuple[str, ...] | None:
        """The billable codes under a category or subcategory, or None when there are more
        than `limit` (too many to offer as choices)."""
        code = normalize_icd10(code)
        sorted_codes = self._sorted_billable
        start = bisect_left(sorted_codes, code)
        end = bisect_left(sorted_codes, code + "\x7f", lo=start)  # past every code it prefixes
        if end - start > limit:
            return None
        return sorted_codes[start:end]

    def __len__(self) -> int:
        return len(self.codes)


def code_list_path(name: str = CODE_LIST) -> Path:
    """The code list (or another data file) inside the installed simple_icd_10_cm package,
    found without importing the package (its import loads the whole classification)."""
    spec = importlib.util.find_spec("simple_icd_10_cm")
    if spec is None or not spec.submodule_search_locations:
        raise Icd10Error("the simple-icd-10-cm package is not installed "
                         "(pip install simple-icd-10-cm==1.5.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    if not path.is_file():
        raise Icd10Error(f"{path} not found: simple-icd-10-cm is not the pinned version 1.5.0 "
                         f"(ICD-10-CM {RELEASE})")
    return path


@lru_cache(maxsize=1)
def load_icd10cm() -> Icd10cm:
    """The release of the installed package, read once per process."""
    return read_code_list(code_list_path())


def read_code_list(path: Path) -> Icd10cm:
    # Chapters are numbers and blocks are ranges (A00-A09): neither is a code.
    lines = [line.strip() for line in path.read_text(encoding="ascii").splitlines()]
    items = [line for line in lines if line and not line.isdigit() and "-" not in line]
    codes: list[str] = []
    billable: list[str] = []
    for index, item in enumerate(items):
        dotted = normalize_icd10(item)
        codes.append(dotted)
        following = items[index + 1] if index + 1 < len(items) else ""
        if not following.startswith(item):
            billable.append(dotted)
    return Icd10cm(release=RELEASE, codes=frozenset(codes), billable=frozenset(billable),
                   _sorted_billable=tuple(sorted(billable)))


@lru_cache(maxsize=4096)
def description(code: str) -> str | None:
    """What a code means (`C34.91`: "Malignant neoplasm of unspecified part of right bronchus
    or lung"), from the tabular list the package ships; None when it is not there. Only the
    few codes a card names are looked up: a search of the mapped file costs about a
    millisecond, where parsing its 10 MB of XML would cost seconds and memory per worker."""
    tabular = _tabular()
    if tabular is None:
        return None
    start = tabular.find(f"<name>{normalize_icd10(code)}</name>".encode())
    if start < 0:
        return None
    opening = tabular.find(b"<desc>", start)
    closing = tabular.find(b"</desc>", opening)
    if opening < 0 or closing < 0:
        return None
    return html.unescape(tabular[opening + len(b"<desc>"):closing].decode("utf-8"))


@lru_cache(maxsize=1)
def _tabular() -> mmap.mmap | None:
    try:
        with code_list_path(TABULAR_LIST).open("rb") as file:
            return mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    except (Icd10Error, OSError):
        return None  # names are a courtesy: the codes are checked without them
