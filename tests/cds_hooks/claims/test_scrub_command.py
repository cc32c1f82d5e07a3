"""`moldx-cds scrub`: the table and JSON a biller or clearinghouse reads, the exit status, and
the fixed file that differs from the input only where a certain fix went."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.x12_837p import Claim, Line, interchange
from cds_hooks.claims.claim837 import read_claims
from cds_hooks.claims.scrub import scrub
from tests.processes import moldx_cds

from .conftest import X12, x12_text

FIXED_PLACES = {"SV101-2", "SV101-7", "SV104"}


def test_json_names_each_claim_and_line_with_its_codes_and_edits(tmp_path):
    run = moldx_cds("scrub", str(X12 / "rules.837"), "--json", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    claims = {c["claim"]: c["lines"] for c in json.loads(run.stdout)["claims"]}
    (missing,) = claims["MISSING-ZCODE"]
    assert (missing["line"], missing["cpt"], missing["zcode"]) == ("1", "81445", None)
    (edit,) = missing["findings"]
    assert edit["rule"] == "missing-zcode" and edit["severity"] == "warning"
    assert edit["fix"] == "Z-code ZL5H2 in SV101-7"
    assert "CO-252" in edit["message"]
    assert claims["OK-LUNG"][0]["findings"] == []


def test_a_clean_file_exits_0_with_a_table_line_per_service_line(tmp_path):
    run = moldx_cds("scrub", str(X12 / "clean.837"), cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    rows = run.stdout.splitlines()
    assert rows[0].split()[:4] == ["CLAIM", "LINE", "CPT", "Z-CODE"]
    assert [r.split()[:5] for r in rows[1:]] == [["OK-LUNG", "1", "81445", "ZL5H2", "ok"],
                                                 ["OK-CGP", "1", "81459", "ZC6D4", "ok"]]


def test_a_file_that_is_not_valid_5010_exits_2_naming_segment_and_element(tmp_path):
    bad = tmp_path / "bad.837"
    bad.write_text(x12_text("clean.837").replace("*UN*1***1", "*XX*1***1", 1))
    run = moldx_cds("scrub", str(bad), cwd=tmp_path)
    assert run.returncode == 2
    assert "segment SV1" in run.stderr and "element SV103" in run.stderr
    assert "Traceback" not in run.stderr


def test_a_line_whose_payer_is_unknown_is_not_passed_as_clean(tmp_path):
    """As `check` does: its payer checks did not run, so the file is not 'no warning'."""
    unknown = tmp_path / "unknown-payer.837"
    unknown.write_text(interchange([Claim("UNKNOWN", [Line("81445", "ZL5H2")],
                                          payer="99999")]))
    run = moldx_cds("scrub", str(unknown), cwd=tmp_path)
    assert run.returncode == 1, run.stdout
    assert "unknown-payer" in run.stdout and "99999" in run.stdout


def _segments(path: Path) -> list[tuple[str, tuple[tuple[str, ...], ...]]]:
    x12, _ = read_claims(path.read_bytes().decode("latin-1"))
    return [(s.id, s.elements) for s in x12.segments]


def test_the_fixed_file_differs_only_in_the_fixed_elements_and_is_valid(tmp_path, knowledge):
    source, out = X12 / "rules.837", tmp_path / "fixed.837"
    run = moldx_cds("scrub", str(source), "--fix", str(out), cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    before, after = _segments(source), _segments(out)
    assert len(before) == len(after)
    changed = set()
    for (sid, old), (_, new) in zip(before, after, strict=True):
        for e, (old_e, new_e) in enumerate(zip(old, new, strict=False), start=1):
            for c in range(max(len(old_e), len(new_e))):
                was = old_e[c] if c < len(old_e) else ""
                now = new_e[c] if c < len(new_e) else ""
                if was != now:
                    changed.add(f"{sid}{e:02d}" + (f"-{c + 1}" if len(new_e) > 1 else ""))
    assert changed and changed <= FIXED_PLACES
    # Byte for byte, every line that holds no fixed SV1 is the same.
    old_lines = source.read_text().splitlines()
    new_lines = out.read_text().splitlines()
    different = [o for o, n in zip(old_lines, new_lines, strict=True) if o != n]
    assert different and all(o.startswith("SV1*") for o in different)
    assert f"{len(different)} segment(s) fixed" in run.stderr
    # No certain fix is left to apply, and pyx12's own validator accepts the file.
    left = scrub(out.read_text(), knowledge)
    assert not [f for f in left.decision.findings if f.certain_fix and not f.certain_fix.reasons
                and not f.certain_fix.cancel]
    valid = subprocess.run([str(Path(sys.executable).with_name("x12valid")), str(out)],
                           capture_output=True, text=True, cwd=tmp_path)
    assert f"{out}: OK" in valid.stderr


def test_every_fixture_is_valid_per_x12valid(tmp_path):
    """x12valid writes its 997 beside the file it checks: each is checked as a copy."""
    assert sorted(p.name for p in X12.iterdir()) == ["clean.837", "denials.835", "rules.837"]
    for source in sorted(X12.iterdir()):
        path = tmp_path / source.name
        path.write_bytes(source.read_bytes())
        valid = subprocess.run([str(Path(sys.executable).with_name("x12valid")), str(path)],
                               capture_output=True, text=True, cwd=tmp_path)
        assert f"{path}: OK" in valid.stderr, valid.stderr
