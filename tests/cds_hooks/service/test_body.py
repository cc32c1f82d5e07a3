"""The body's depth check decides as a walk over every value would, however the brackets
and quotes in its strings are arranged to mislead the count of its bytes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cds_hooks.service.body import MAX_DEPTH, _walk, decode, too_deep
from cds_hooks.service.errors import RequestError


def nested(depth: int, inner=0):
    value = inner
    for _ in range(depth):
        value = [value]
    return value


def check(value) -> str | None:
    data = json.dumps(value).encode()
    return too_deep(data, decode(data))


@pytest.mark.parametrize("depth", [MAX_DEPTH - 1, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 5])
def test_depth_at_the_limit_is_decided_as_the_walk_decides(depth):
    for inner in (0, [], {}, {"a": 1}):
        value = {"context": {"x": nested(depth, inner)}}
        assert check(value) == _walk(value)
    assert check({"a": nested(MAX_DEPTH + 5)}) == "a"


def test_brackets_in_strings_cannot_hide_a_deep_value():
    """Closing brackets in a string before the deepest point would lower a plain count of
    the bytes' brackets: the check then walks."""
    value = {"note": "]" * 60 + "}" * 60, "x": nested(MAX_DEPTH + 2), "later": "[" * 60}
    assert check(value) == "x"
    escaped = {"note": '\\"]]]]\\', "x": nested(MAX_DEPTH + 2), "y": '"[[[['}
    assert check(escaped) == "x"


_json = st.recursive(st.none() | st.integers() | st.text(alphabet='[]{}"\\ab'),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(alphabet='[]{}"\\a', max_size=3), inner,
                                       max_size=3), max_leaves=40)


@settings(max_examples=300, deadline=None)
@given(_json, st.integers(min_value=MAX_DEPTH - 3, max_value=MAX_DEPTH + 3))
def test_any_value_nested_near_the_limit_is_decided_as_the_walk_decides(value, depth):
    wrapped = {"a": nested(depth - 3, value)}
    assert check(wrapped) == _walk(wrapped)


def test_json_too_deep_for_the_decoder_is_named_as_such():
    with pytest.raises(RequestError) as refused:
        decode(b"[" * 5000 + b"]" * 5000)
    assert "nested too deeply" in refused.value.issues[0].diagnostics
