"""`scrub --fix` on every fixture and on generated claims: the file it writes is still valid
5010 (pyx12's `x12valid`, and the same validator in process for each generated claim) and
differs from its input only in the elements its certain fixes name."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.x12_837p import LAB_NPI, Claim, Line, interchange
from cds_hooks.claims.claim837 import read_claims
from cds_hooks.claims.fix import certain_fixes, fixed_text
from cds_hooks.claims.scrub import scrub
from plugin.codes import CodeKind
from plugin.knowledge import load_knowledge

from .conftest import X12

KNOWLEDGE = load_knowledge()
ROWS = list(KNOWLEDGE.catalog)
CPTS = sorted({r.cpt for r in ROWS if r.cpt} | {"81999", "J3490", "88305"})
DESCRIPTIONS = ["", *sorted({r.zcode for r in ROWS}), "zl5h2", "zc6d4", "ZX9Q9", "ZL5H",
                "SOD CHL 0.9% 1000 ML"]
MODIFIERS = ["90", "91", "GA", "GY", "26", "TC", "XS", "59"]
DIAGNOSES = ["C34.90", "C3490", "C18.9", "C189", "R91.8", "Z0000"]
DAYS = ["20250602", "20251201", "20260105"]
PLACES = {CodeKind.CPT: "SV101-2", CodeKind.ZCODE: "SV101-7"}


def _claim(pick, n: int) -> Claim:
    lines = [Line(pick(CPTS), pick(DESCRIPTIONS), units=pick(["1", "1", "2"]),
                  dos=pick(DAYS), pointers=pick(["1", "1:2", "2"]),
                  modifiers=tuple(dict.fromkeys(pick(MODIFIERS) for _ in range(pick([0, 0, 1,
                                                                                       2])))),
                  charge=pick(["350", "1200", "3500"]))
             for _ in range(pick([1, 1, 2, 3]))]
    return Claim(f"G{n}", lines, patient=pick(["P1", "P2", "P3"]),
                 payer=pick(["02302", "87726", "61101", "60054"]),
                 diagnoses=(pick(DIAGNOSES), pick(DIAGNOSES)))


def _named(result) -> set[tuple[int, str]]:
    """(segment position, element) of every place a certain fix names."""
    places = set()
    for billed, fix in certain_fixes(result):
        places |= {(billed.sv1.position, PLACES[c.kind]) for c in fix.changes}
        if fix.quantity is not None:
            places.add((billed.sv1.position, "SV104"))
        for hi in billed.hi:
            places |= {(hi.position, f"HI{n:02d}-2") for n in range(1, 13)
                       for r in fix.reasons if hi.value(f"HI{n:02d}-2") == r.replaces}
    return places


def _changed(before: str, after: str) -> set[tuple[int, str]]:
    """(segment position, element) of every component that differs; both files valid."""
    old, _ = read_claims(before)
    new, _ = read_claims(after)
    assert [s.id for s in old.segments] == [s.id for s in new.segments]
    found = set()
    for a, b in zip(old.segments, new.segments, strict=True):
        for e in range(max(len(a.elements), len(b.elements))):
            parts = max(len(x) for x in (*a.elements[e:e + 1], *b.elements[e:e + 1]))
            for c in range(parts):
                ref = f"{a.id}{e + 1:02d}" + (f"-{c + 1}" if parts > 1 else "")
                if a.value(ref) != b.value(ref):
                    found.add((a.position, ref))
    return found


def _check(text: str) -> str:
    result = scrub(text, KNOWLEDGE)
    fixed, _ = fixed_text(text, result)
    changed, named = _changed(text, fixed), _named(result)
    assert changed <= named, sorted(changed - named)
    return fixed


def _x12valid(paths: list[Path]) -> str:
    run = subprocess.run([str(Path(sys.executable).with_name("x12valid")), *map(str, paths)],
                         capture_output=True, text=True, cwd=paths[0].parent, timeout=300)
    return run.stderr


def test_fix_on_every_fixture_and_a_generated_file_is_valid_and_changes_only_what_it_names(
        tmp_path):
    pick = random.Random(21).choice
    generated = interchange([_claim(pick, n) for n in range(30)])
    sources = {p.name: p.read_text() for p in sorted(X12.glob("*.837"))}
    sources["generated.837"] = generated
    sources["other-npi.837"] = interchange([_claim(pick, n) for n in range(10)],
                                           npi="1234567893")
    paths = []
    for name, text in sources.items():
        path = tmp_path / f"fixed-{name}"
        path.write_text(_check(text))
        paths.append(path)
    report = _x12valid(paths)
    for path in paths:
        assert f"{path}: OK" in report, report
    assert LAB_NPI in generated


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False), st.sampled_from([LAB_NPI, "1234567893"]))
def test_fix_on_generated_claims_is_valid_and_changes_only_what_it_names(rand, npi):
    _check(interchange([_claim(rand.choice, n) for n in range(3)], npi=npi))
