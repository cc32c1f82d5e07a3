"""Benchmark: `moldx-cds policy import` of a full-size MCD article export.

    .venv/bin/python bench/policy_import.py [--scale 1.0] [--keep DIR]

Generates an export with the real headers and ~431,000 covered ICD-10 rows (generate_export.py),
then times, each in a fresh process so that peak memory (ru_maxrss) is its own:
  baseline csv      a plain csv.reader pass over the same CSV files
  baseline sqlite   sqlite executemany of the same kept rows (already parsed) into a new file
  import folder     the import from the unpacked CSV folder
  import zip        the import from current_article.zip (CSVs in a nested zip)
and prints each with its ratio to the csv.reader baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate_export import generate, nested_zip  # noqa: E402

from plugin.knowledge.mcd_export import import_export  # noqa: E402
from plugin.knowledge.policy_store import TABLES  # noqa: E402


def _csv_pass(folder: Path) -> int:
    rows = 0
    for table in TABLES:
        with (folder / table.file).open(newline="", encoding="utf-8") as handle:
            for _ in csv.reader(handle):
                rows += 1
    return rows


def _executemany(folder: Path, store: Path) -> tuple[int, float]:
    """The same kept columns as the import, parsed before the clock starts: what SQLite alone
    costs. Returns the rows and the seconds spent writing them."""
    parsed = {}
    for table in TABLES:
        with (folder / table.file).open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            picks = [header.index(c) for c in table.names]
            parsed[table.name] = [tuple(r[i] for i in picks) for r in reader]
    started = time.perf_counter()
    with sqlite3.connect(store) as db:
        db.execute("PRAGMA journal_mode = OFF")
        db.execute("PRAGMA synchronous = OFF")
        for table in TABLES:
            db.execute(f"CREATE TABLE {table.name} ({', '.join(table.names)})")
            db.executemany(f"INSERT INTO {table.name} VALUES "
                           f"({', '.join('?' * len(table.names))})", parsed[table.name])
    return sum(len(v) for v in parsed.values()), time.perf_counter() - started


def _step(name: str, source: Path, out: Path) -> None:
    """Run one measured step in this (fresh) process and print its result as JSON."""
    started = time.perf_counter()
    if name == "baseline sqlite":
        rows, elapsed = _executemany(source, out)
    else:
        rows = _csv_pass(source) if name == "baseline csv" else sum(
            import_export(source, out).rows.values())
        elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB -> MiB on Linux
    print(json.dumps({"step": name, "seconds": elapsed, "peak_mb": peak, "rows": rows}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of real size")
    parser.add_argument("--keep", type=Path, help="keep the generated files in this folder")
    parser.add_argument("--step", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        _step(args.step[0], Path(args.step[1]), Path(args.step[2]))
        return
    work = args.keep or Path(tempfile.mkdtemp(prefix="moldx-bench-"))
    csvs = work / "current_article_csv"
    started = time.perf_counter()
    rows = generate(csvs, scale=args.scale)
    archive = nested_zip(csvs, work / "current_article.zip")
    print(f"generated in {time.perf_counter() - started:.1f} s: "
          f"{rows['article_x_icd10_covered.csv']:,} covered ICD-10 rows, "
          f"{sum(rows.values()):,} rows in all; zip {archive.stat().st_size / 2**20:.1f} MiB, "
          f"CSVs {sum(f.stat().st_size for f in csvs.glob('*.csv')) / 2**20:.1f} MiB")
    results = []
    for name, source, out in (("baseline csv", csvs, work / "unused"),
                              ("baseline sqlite", csvs, work / "executemany.sqlite"),
                              ("import folder", csvs, work / "policy-folder.sqlite"),
                              ("import zip", archive, work / "policy.sqlite")):
        Path(out).unlink(missing_ok=True)
        done = subprocess.run([sys.executable, __file__, "--step", name, str(source), str(out)],
                              capture_output=True, text=True, check=True)
        results.append(json.loads(done.stdout))
    base = results[0]["seconds"]
    print(f"{'step':<16} {'seconds':>8} {'x csv':>6} {'peak MiB':>9} {'rows':>10}")
    for r in results:
        print(f"{r['step']:<16} {r['seconds']:8.2f} {r['seconds'] / base:6.1f} "
              f"{r['peak_mb']:9.0f} {r['rows']:10,}")
    print(f"store: {work / 'policy.sqlite'} "
          f"({(work / 'policy.sqlite').stat().st_size / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
