"""Three of pyx12 4.0.0's helpers, replaced by ones that give the same answers faster.

Profiling the scrub of a 10,000-line 837P (bench/scrub.py) put half of pyx12's walk in three
helpers that redo work on every call:

- the loop and segment counter keys its counts by `X12Path` objects, whose hash re-formats the
  path as text; every loop start re-formats every counted path to find the children to reset.
  `TextCounter` keys by the fields that make two paths equal and formats each path once.
- `Segment._parse_refdes` builds an `X12Path` from a reference such as `SV101-7` on every read
  of an element; the answer depends only on the reference, so it is kept.
- `contains_control_character` builds two dictionaries for every element it checks; a
  compiled pattern says first whether any control character is there at all, and only then
  does pyx12's own function say which.

Validation is not skipped or changed: tests/cds_hooks/claims/test_pyx12_speedups.py compares
each replacement with pyx12's own on generated input, and pyx12's error report and loop paths
for whole files with and without them. They are installed only on the pyx12 version they were
compared against (pyproject pins it); on another, pyx12 runs as it comes.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

import pyx12
import pyx12.map_walker
import pyx12.validation
from pyx12.errors import EngineError
from pyx12.nodeCounter import NodeCounter
from pyx12.path import X12Path
from pyx12.segment import Segment

COMPARED_WITH = "4.0.0"
# pyx12's own, as imported: the tests compare each replacement with these.
PYX12_OWN = {"NodeCounter": NodeCounter, "_parse_refdes": Segment._parse_refdes,
             "contains_control_character": pyx12.validation.contains_control_character}


Key = tuple  # what X12Path.__eq__ compares


def _key(path: str | X12Path) -> Key:
    if not isinstance(path, X12Path):
        return _parsed(path)[0]
    return (path.relative, tuple(path.loop_list), path.seg_id, path.id_val, path.ele_idx,
            path.subele_idx)


def _text(path: str | X12Path) -> str:
    return path.format() if isinstance(path, X12Path) else _parsed(path)[1]


@functools.lru_cache(maxsize=4096)
def _parsed(path: str) -> tuple[Key, str]:
    parsed = X12Path(path)
    return _key(parsed), parsed.format()


class TextCounter(NodeCounter):
    """pyx12's NodeCounter, keyed by what makes two paths equal rather than by X12Path
    objects (whose hash formats the path as text on every look-up), with each path's text
    made once, for finding the children to reset."""

    def __init__(self, initialCounts: Mapping[str | X12Path, int] | None = None) -> None:
        self._counts: dict[Key, list] = {}  # [text, count]
        for path, count in (initialCounts or {}).items():
            self.setCount(path, count)

    def _entry(self, path: str | X12Path) -> list:
        key = _key(path)
        if key not in self._counts:
            self._counts[key] = [_text(path), 0]
        return self._counts[key]

    def reset_to_node(self, xpath: str | X12Path) -> None:
        # pyx12 compares the texts part by part after splitting on '/': a path is a child
        # exactly when its text starts with the parent's text and a '/'.
        prefix = _text(xpath) + "/"
        for child in [k for k, (text, _) in self._counts.items() if text.startswith(prefix)]:
            del self._counts[child]

    def increment(self, xpath: str | X12Path) -> None:
        self._entry(xpath)[1] += 1

    def setCount(self, xpath: str | X12Path, ct: int) -> None:
        self._entry(xpath)[1] = ct

    def get_count(self, xpath: str | X12Path) -> int:
        entry = self._counts.get(_key(xpath))
        return entry[1] if entry else 0

    def getState(self):  # the same counts, keyed as pyx12 keys them
        return {X12Path(text): count for text, count in self._counts.values()}


@functools.lru_cache(maxsize=4096)
def _reference(ref_des: str) -> tuple[str | None, int | None, int | None]:
    path = X12Path(ref_des)
    return (path.seg_id,
            path.ele_idx - 1 if path.ele_idx is not None else None,
            path.subele_idx - 1 if path.subele_idx is not None else None)


def parse_refdes(self: Segment, ref_des: str) -> tuple[int | None, int | None]:
    seg_id, element, component = _reference(ref_des)
    if seg_id is not None and seg_id != self.seg_id:
        raise EngineError(f"Invalid Reference Designator: {ref_des}, seg_id: {self.seg_id}")
    return element, component


# Every character pyx12's function looks for (BEL HT LF VT FF CR FS GS RS US, SOH-ACK, DC1-ETB).
_CONTROL = re.compile("[\x01-\x07\x09-\x0d\x11-\x17\x1c-\x1f]")


def contains_control_character(str_val: str, charset: str = "B",
                               icvn: str = "00401") -> tuple[bool, str | None]:
    if _CONTROL.search(str_val) is None:
        return (False, None)
    return PYX12_OWN["contains_control_character"](str_val, charset, icvn)


def install() -> bool:
    """Put the replacements in place; False (nothing changed) on an unexpected pyx12."""
    if pyx12.__version__ != COMPARED_WITH:
        return False
    pyx12.map_walker.NodeCounter = TextCounter
    Segment._parse_refdes = parse_refdes
    pyx12.validation.contains_control_character = contains_control_character
    return True
