"""A request body as JSON: decoded by orjson, and refused when it nests too deeply.

orjson decodes the 20 KB order-sign request in about half the time of json.loads. The depth
check looks at the bytes first (about 25 us): only a body whose brackets nest more than
MAX_DEPTH levels, or whose strings hold brackets, is walked value by value (about 250 us), and
that walk alone decides and names the member.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

from .errors import RequestError

MAX_DEPTH = 100  # levels of JSON nesting in a hook request

_ESCAPE = re.compile(rb"\\.", re.S)
_ALL_BUT_QUOTES_AND_BRACKETS = bytes(b for b in range(256) if b not in b'"[]{}')
_ONE_KIND_OF_BRACKET = bytes.maketrans(b"{}", b"[]")


def decode(data: bytes) -> Any:
    """The body's JSON value, or a 400 saying why it is none."""
    try:
        return orjson.loads(data or b"")
    except orjson.JSONDecodeError as bad:
        if "depth limit" in str(bad) or "recursion" in str(bad):
            raise RequestError.invalid(None, "JSON nested too deeply") from None
        raise RequestError.invalid(None, f"not JSON ({bad})") from None


def too_deep(data: bytes, value: Any) -> str | None:
    """The member (the last named one on the way) under which `value`, decoded from `data`,
    nests deeper than MAX_DEPTH, or None. Deeper JSON is no FHIR anyone sends, and the
    response, which copies the orders, could not be written (a 500 after the call was
    recorded)."""
    if _bracket_levels(data) <= MAX_DEPTH:
        return None
    return _walk(value)


def _bracket_levels(data: bytes) -> int:
    """How many levels the brackets of valid JSON `data` nest, counted up to MAX_DEPTH + 1;
    also MAX_DEPTH + 1 when a string holds a bracket (which would spoil the count)."""
    if b"\\" in data:
        data = _ESCAPE.sub(b"", data)  # now every quote opens or closes a string
    marks = data.translate(None, _ALL_BUT_QUOTES_AND_BRACKETS)
    # A string without brackets is now "": removed left to right, each such string would go,
    # and a quote would be left over exactly when some string held a bracket. Counted rather
    # than removed (a third of the check's time for a 20 KB request).
    if marks.count(b'"') != 2 * marks.count(b'""'):
        return MAX_DEPTH + 1
    brackets = marks.translate(_ONE_KIND_OF_BRACKET, b'"')
    levels = 0
    while brackets and levels <= MAX_DEPTH:
        brackets = brackets.replace(b"[]", b"")  # the innermost level, everywhere at once
        levels += 1
    return levels


def _walk(value: Any, named: str = "", path: str = "", depth: int = 0) -> str | None:
    if depth > MAX_DEPTH:
        return named
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if (found := _walk(item, inner, inner, depth + 1)) is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            if (found := _walk(item, named, f"{path}[{index}]", depth + 1)) is not None:
                return found
    return None
