"""The quick subset for the edit-test loop: `pytest -m "not slow and not external"` leaves out
the tests that start processes or need PostgreSQL, Node or Chromium, and keeps the others;
.ci/run still runs everything."""

from __future__ import annotations

import subprocess
import sys

from .conftest import SLOW_MODULES
from .processes import ROOT

QUICK = 'not slow and not external'


def _collected(*args: str) -> list[str]:
    run = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "-p", "no:cacheprovider", *args], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_the_quick_subset_leaves_out_the_slow_and_external_tests_only():
    everything = _collected()
    quick = _collected("-m", QUICK)
    assert 0 < len(quick) < len(everything)
    left_out = set(everything) - set(quick)
    assert not [t for t in quick if "[postgresql" in t or t.split("::")[0] in SLOW_MODULES]
    assert any("[postgresql" in t for t in left_out)
    assert any("test_report_html" in t for t in left_out)  # Chromium
    assert any("test_the_example_session_still_prints" in t for t in left_out)  # Node
    assert all(t.split("::")[0] in SLOW_MODULES or "[postgresql" in t or
               "test_report_html" in t or "fhir_server" in t or "sandbox" in t or
               "example_session" in t for t in left_out), sorted(left_out)


def test_every_slow_module_named_exists():
    assert [m for m in sorted(SLOW_MODULES) if not (ROOT / m).is_file()] == []


def test_ci_runs_everything_and_the_docs_name_the_quick_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert ci.rstrip().endswith("&& .venv/bin/pytest")  # no -m: every test
    assert f'pytest -m "{QUICK}"' in (ROOT / "README.md").read_text()
