"""Each benchmark's --help says in whole sentences what it measures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = sorted(p.stem for p in (ROOT / "bench").glob("*.py")
                 if "argparse.ArgumentParser" in p.read_text())


@pytest.mark.parametrize("module", BENCHES)
def test_the_help_describes_the_benchmark_in_a_whole_sentence(module):
    path = ROOT / "bench" / f"{module}.py"
    # Modules importing their neighbours relatively run with -m; the others as scripts.
    how = ["-m", f"bench.{module}"] if "from ." in path.read_text() else [str(path)]
    shown = subprocess.run([sys.executable, *how, "--help"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout
    description = shown.split("\n\n")[1]  # after the usage lines
    assert description.rstrip().endswith((".", ":")), description
