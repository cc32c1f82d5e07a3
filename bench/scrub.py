"""The scrub benchmark: `moldx-cds scrub` of a 10,000-line 837P (bench/x12_837p.py), as a user
runs it (the installed command, start-up included), and its stages in process.

    python -m bench.scrub [--lines 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cds_hooks.claims.claim837 import GUIDE, TRANSACTION, service_lines
from cds_hooks.claims.x12 import read
from plugin.decision import decide_claims
from plugin.knowledge import load_knowledge

from .x12_837p import load_file


def stages(text: str) -> dict[str, float]:
    """Seconds spent reading and validating with pyx12, building the lines, and the rules."""
    knowledge = load_knowledge()
    started = time.perf_counter()
    x12 = read(text, TRANSACTION, GUIDE)
    validated = time.perf_counter()
    lines = list(service_lines(x12))
    built = time.perf_counter()
    decide_claims([b.line for b in lines], knowledge)
    decided = time.perf_counter()
    return {"pyx12 read and validate": validated - started, "lines": built - validated,
            "rules": decided - built}


def walk_seconds(path: Path, runs: int) -> dict[str, list[float]]:
    """pyx12's walk alone, as it comes and with pyx12_speedups, alternated, each in a fresh
    process: the same-run baseline for the part of the scrub that is pyx12's."""
    found: dict[str, list[float]] = {"own": [], "fast": []}
    for _ in range(runs):
        for mode in found:
            with path.open() as source:
                run = subprocess.run([sys.executable, "-m", "bench.pyx12_walk", mode],
                                     stdin=source, capture_output=True, check=True)
            found[mode].append(json.loads(run.stdout)["seconds"])
    return found


def command_seconds(path: Path, runs: int) -> list[float]:
    command = str(Path(sys.executable).with_name("moldx-cds"))
    found = []
    for _ in range(runs):
        started = time.perf_counter()
        run = subprocess.run([command, "scrub", str(path), "--json"], capture_output=True)
        found.append(time.perf_counter() - started)
        assert run.returncode in (0, 1), run.stderr.decode()
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    text = load_file(args.lines)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "load.837"
        path.write_text(text)
        seconds = command_seconds(path, args.runs)
        walks = walk_seconds(path, args.runs)
    print(f"moldx-cds scrub of {args.lines} lines ({len(text):,} bytes): median "
          f"{statistics.median(seconds):.2f} s, min {min(seconds):.2f} s over {args.runs} runs")
    own, fast = (statistics.median(walks[m]) for m in ("own", "fast"))
    print(f"pyx12's walk alone, median of {args.runs}, alternated: as it comes {own:.2f} s, "
          f"with cds_hooks/claims/pyx12_speedups.py {fast:.2f} s ({fast / own:.2f} of it)")
    for stage, spent in stages(text).items():
        print(f"  {stage}: {spent:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
