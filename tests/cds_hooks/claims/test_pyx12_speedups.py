"""The pyx12 helpers cds_hooks/claims/pyx12_speedups.py replaces give pyx12's own answers:
each replacement beside the original on generated input, and whole files walked by pyx12
with and without them (in fresh processes, so the originals run untouched)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import pyx12
import pyx12.map_walker
from hypothesis import given, settings
from hypothesis import strategies as st
from pyx12.path import X12Path
from pyx12.segment import Segment

from bench.x12_837p import Claim, Line, interchange, load_file
from cds_hooks.claims import pyx12_speedups
from cds_hooks.claims import x12 as _reads_x12  # noqa: F401  (installs the replacements)
from cds_hooks.claims.pyx12_speedups import PYX12_OWN, TextCounter

from .conftest import X12, x12_text

ROOT = X12.parents[1]


def test_the_replacements_are_in_place_on_the_pinned_pyx12():
    # A new pyx12 leaves them out until this module has compared them with it again.
    assert pyx12.__version__ == pyx12_speedups.COMPARED_WITH
    assert pyx12.map_walker.NodeCounter is TextCounter
    assert Segment._parse_refdes is pyx12_speedups.parse_refdes


LOOPS = ["ISA_LOOP", "GS_LOOP", "ST_LOOP", "HEADER", "DETAIL", "2000A", "2000B", "2300", "2400"]
paths = st.lists(st.sampled_from(LOOPS), min_size=0, max_size=5).flatmap(
    lambda loops: st.sampled_from([
        "/" + "/".join(loops), "/" + "/".join(loops) + "/", "/".join(loops),
        "/" + "/".join([*loops, "SV1"]), "/" + "/".join([*loops, "HL[22]"]),
        "/" + "/".join([*loops, "SV101-7"])]))
operations = st.lists(st.tuples(
    st.sampled_from(["increment", "reset_to_node", "setCount"]), paths, st.booleans(),
    st.integers(0, 9)), max_size=40)


@settings(max_examples=300, deadline=None)
@given(operations, st.lists(paths, min_size=1, max_size=10))
def test_the_counter_counts_as_pyx12s(steps, asked):
    own, fast = PYX12_OWN["NodeCounter"](), TextCounter()
    for name, path, as_object, count in steps:
        key = X12Path(path) if as_object else path
        args = (key, count) if name == "setCount" else (key,)
        getattr(own, name)(*args)
        getattr(fast, name)(*args)
        for other in asked + [p for _, p, _, _ in steps]:
            assert fast.get_count(other) == own.get_count(other), (name, path, other)
    assert {str(k): v for k, v in fast.getState().items()} == \
        {str(k): v for k, v in own.getState().items()}


REFERENCES = ["SV101", "SV101-7", "SV104", "01", "03-2", "101", "SV1", "HI01-2", "NM109",
              "SV1xx", "", "SV101-", "CLM05-3", "[22]"]


@pytest.mark.parametrize("segment", ["SV1*HC:81445:::::ZB123*1200*UN*1***1", "NM1*85*2*LAB"])
@pytest.mark.parametrize("reference", REFERENCES)
def test_an_element_reference_is_read_as_pyx12_reads_it(segment, reference):
    data = Segment(segment, "~", "*", ":")

    def outcome(parse):
        try:
            return parse(data, reference)
        except Exception as error:  # the same error, by type and words
            return type(error).__name__, str(error)

    assert outcome(pyx12_speedups.parse_refdes) == outcome(PYX12_OWN["_parse_refdes"])


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(max_codepoint=0x7F), max_size=12))
def test_a_control_character_is_found_as_pyx12_finds_it(text):
    assert pyx12_speedups.contains_control_character(text) == \
        PYX12_OWN["contains_control_character"](text)


def _walk(text: str, mode: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "bench.pyx12_walk", mode], input=text,
                         capture_output=True, text=True, check=True, cwd=ROOT)
    found = json.loads(run.stdout)
    del found["seconds"]
    return found


def _files() -> dict[str, str]:
    """The fixtures and a load file, valid; then files with one fault each ("a ...")."""
    clean = x12_text("clean.837")
    too_many_lines = Claim("MANY", [Line("81445", "ZL5H2") for _ in range(52)])
    return {
        **{path.name: path.read_text() for path in sorted(X12.iterdir())},
        "200 lines": load_file(200),
        "a bad unit code": clean.replace("*UN*1***1", "*XX*1***1", 1),
        "a date of service dropped": clean.replace("DTP*472*D8*20251201~\n", "", 1),
        "a segment count off": clean.replace("\nSE*", "\nSE*9", 1),
        "a claim over 50 lines": interchange([too_many_lines]),
        "a control character": clean.replace("100 MAIN ST", "100 MAIN\x07ST", 1),
        "a subscriber loop twice": clean.replace("HL*2*1*22*0~\n", "HL*2*1*22*0~\nHL*2*1*22*0~\n"),
    }


@pytest.mark.parametrize("name", list(_files()))
def test_pyx12_walks_and_judges_a_file_as_it_does_without_them(name):
    text = _files()[name]
    own, fast = _walk(text, "own"), _walk(text, "fast")
    assert fast == own
    assert own["walked"]
    assert ('"err_str"' in json.dumps(own["errors"])) == name.startswith("a ")
