"""Reading X12 with pyx12: every segment with its loop path and position, and the first thing
that makes the file not valid 5010 against the implementation guide's map (pyx12's own
validation, the same as its `x12valid`)."""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyx12.errh_json
import pyx12.error_handler
import pyx12.errors
import pyx12.params
import pyx12.x12context

from . import pyx12_speedups

# pyx12 logs every validation error itself; the caller reports the first one.
logging.getLogger("pyx12").setLevel(logging.CRITICAL)
pyx12_speedups.install()


class X12Invalid(ValueError):
    """Not valid 5010: names the segment (its id, its position in the file and the line of
    the text it is on) and element."""

    def __init__(self, message: str, segment: str | None = None, position: int | None = None,
                 element: str | None = None, line: int | None = None):
        self.segment, self.position, self.element = segment, position, element
        self.message, self.line = message, line
        place = ", ".join(p for p in (f"segment {position} of the file" if position else "",
                                      f"line {line}" if line else "") if p)
        where = " ".join(p for p in (
            f"segment {segment}" if segment else "", f"({place})" if place else "",
            f"element {element}" if element else "") if p)
        super().__init__(f"{where}: {message}" if where else message)

    def on_line(self, line: int | None) -> X12Invalid:
        return X12Invalid(self.message, self.segment, self.position, self.element, line)


# A UTF-8 byte-order mark, as text read as UTF-8 or byte for byte (latin-1): some Windows
# tools write one before the ISA; it is not part of the interchange.
_BYTE_ORDER_MARKS = ("\ufeff", "\xef\xbb\xbf")


class X12TooCostly(ValueError):
    """More loops than the caller allows reading: the file was not read to its end."""

    def __init__(self, loops: int):
        self.loops = loops
        super().__init__(f"more than {loops:,} HL and LX loops")


Elements = tuple[tuple[str, ...], ...]  # element 01 first, each as its components


@dataclass(frozen=True)
class X12Segment:
    """One segment as plain text values. pyx12's own segment objects, kept for a whole file,
    were a million objects that every garbage collection walked: a quarter of a 10,000-line
    scrub."""

    id: str
    path: str  # the loop path of pyx12's map, e.g. .../2000B/2300/2400/SV1
    position: int  # 1-based: the n-th segment of the file
    elements: Elements

    def value(self, ref: str) -> str | None:
        """The element (`SV104`) or component (`SV101-7`), None when empty or absent."""
        element, component = _reference(len(self.id), ref)
        if element >= len(self.elements) or component >= len(self.elements[element]):
            return None
        return self.elements[element][component] or None

    def with_value(self, ref: str, value: str) -> X12Segment:
        """This segment with `ref` set to `value`, the elements before it added empty."""
        element, component = _reference(len(self.id), ref)
        elements = list(self.elements) + [("",)] * (element + 1 - len(self.elements))
        parts = list(elements[element]) + [""] * (component + 1 - len(elements[element]))
        parts[component] = value
        elements[element] = tuple(parts)
        return X12Segment(self.id, self.path, self.position, tuple(elements))

    def text(self, delimiters: tuple[str, str, str]) -> str:
        """The segment as X12, with its terminator."""
        seg_term, ele_term, subele_term = delimiters
        return ele_term.join([self.id, *(subele_term.join(e) for e in self.elements)]) + seg_term

    def in_loop(self, loop: str) -> bool:
        return f"/{loop}/" in self.path


@dataclass(frozen=True)
class X12File:
    segments: tuple[X12Segment, ...]
    delimiters: tuple[str, str, str]  # segment, element, component terminators

    def transaction(self) -> tuple[str | None, str | None]:
        """(ST01, GS08): the transaction set and the guide it follows."""
        st = next((s for s in self.segments if s.id == "ST"), None)
        gs = next((s for s in self.segments if s.id == "GS"), None)
        return (st.value("ST01") if st else None, gs.value("GS08") if gs else None)


@functools.cache
def _reference(id_length: int, ref: str) -> tuple[int, int]:
    """`SV101-7` -> (0, 6): the element's and the component's index."""
    element, _, component = ref[id_length:].partition("-")
    return int(element) - 1, int(component or 1) - 1


def read(text: str, transaction: str, guide: str, max_loops: int | None = None) -> X12File:
    """Every segment of `text`, validated against pyx12's map of `guide` (005010X222A1 ...).
    A leading UTF-8 byte-order mark is passed over. Raises X12Invalid naming the first
    problem; X12TooCostly as soon as more than `max_loops` HL and LX segments (hierarchical
    levels and service lines, what pyx12's walk costs by) have been read."""
    text = _without_byte_order_mark(text)
    errors = pyx12.error_handler.err_handler()
    try:
        reader = pyx12.x12context.X12ContextReader(pyx12.params.params(), errors,
                                                   io.StringIO(text))
    except pyx12.errors.X12Error as error:
        raise X12Invalid(f"not an X12 interchange ({error})", "ISA") from None
    try:
        with reader:
            segments = tuple(_segments(reader, max_loops))
            delimiters = (reader.src.seg_term, reader.src.ele_term, reader.src.subele_term)
    except pyx12.errors.EngineError as error:
        if "Map not found" in str(error):  # a guide pyx12 has no map for
            raise X12Invalid(f"{error}; this command reads {transaction} {guide}", "GS",
                             element="GS08") from None
        raise X12Invalid(str(error)) from None
    except pyx12.errors.X12Error as error:
        raise X12Invalid(str(error)) from None
    found = X12File(segments, delimiters)
    kind, version = found.transaction()
    if (kind, version) != (transaction, guide):
        raise X12Invalid(f"is {kind or 'no transaction'} {version or ''}, not the "
                         f"{transaction} {guide} this command reads".replace("  ", " "),
                         "GS", element="GS08")
    if problem := first_error(errors):
        raise problem.on_line(_text_line(text, delimiters[0], problem.position))
    return found


def _without_byte_order_mark(text: str) -> str:
    for mark in _BYTE_ORDER_MARKS:
        if text.startswith(mark):
            return text[len(mark):]
    return text


def _text_line(text: str, seg_term: str, position: int | None) -> int | None:
    """The line of `text` (1-based) on which its `position`-th segment begins."""
    if not position:
        return None
    start = 0
    for _ in range(position - 1):
        start = text.find(seg_term, start) + 1
        if start == 0:
            return None
    start += len(text[start:]) - len(text[start:].lstrip())
    return text.count("\n", 0, start) + 1


def _segments(reader: pyx12.x12context.X12ContextReader,
              max_loops: int | None) -> Iterator[X12Segment]:
    loops = 0
    for node in reader.iter_segments():
        if node.id in ("HL", "LX") and max_loops is not None:
            loops += 1
            if loops > max_loops:
                raise X12TooCostly(max_loops)
        elements = tuple(tuple(part.get_value() for part in element.elements)
                         for element in node.seg_data.elements)
        yield X12Segment(node.id, node.cur_path, node.cur_line_number, elements)


def first_error(errors: pyx12.error_handler.err_handler) -> X12Invalid | None:
    """The first error pyx12 found, from the interchange down to the element."""
    if errors.get_error_count() == 0:
        return None
    out = io.StringIO()
    errors.accept(pyx12.errh_json.errh_json_visitor(out, indent=None))
    return _first(json.loads(out.getvalue())) or X12Invalid("pyx12 reports an error")


def _first(doc: dict[str, Any]) -> X12Invalid | None:
    """The error on the earliest segment. An envelope's error (a control count) is reported on
    its closing segment, after the segment error that caused it, so it comes later."""
    found = [problem for problem in _all(doc) if problem is not None]
    return min(found, key=lambda p: p.position or 0) if found else None


def _all(doc: dict[str, Any]) -> Iterator[X12Invalid | None]:
    for interchange in doc.get("interchanges", []):
        yield _of(interchange, "ISA")
        for group in interchange.get("groups", []):
            yield _of(group, "GS")
            for transaction in group.get("transactions", []):
                yield _of(transaction, "ST")
                yield from map(_segment_error, transaction.get("segments", []))


def _of(level: dict[str, Any], segment: str) -> X12Invalid | None:
    errors = level.get("errors") or []
    if not errors:
        return None
    return X12Invalid(_text(errors[0]), segment, level.get("cur_line"))


def _segment_error(segment: dict[str, Any]) -> X12Invalid | None:
    seg_id, position = segment.get("seg_id"), segment.get("cur_line")
    if segment.get("errors"):
        return X12Invalid(_text(segment["errors"][0]), seg_id, position)
    for element in segment.get("elements", []):
        if element.get("errors"):
            ref = f"{seg_id}{element['ele_pos']:02d}"
            if element.get("subele_pos"):
                ref += f"-{element['subele_pos']}"
            return X12Invalid(_text(element["errors"][0]), seg_id, position, ref)
    return None


def _text(error: dict[str, Any]) -> str:
    return str(error.get("err_str") or error.get("err_cde") or "invalid")
