"""Soak: the service as deployed (JWT on, audit trail on) at saturation for a minute, in
slices, with the workers' memory read after each slice. Passes when no request failed and the
workers' memory stayed flat (the last slice within 10 % of the first).

    python -m bench.soak [--seconds 60] [--slice 10] [--policy-store FILE]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path

import requests

from cds_hooks.client.keys import demo_token

from .load import SERVICE_PATH, _tokens, drive, start_service
from .request import build

FLAT = 0.10  # the largest growth of worker memory, first slice to last, that counts as flat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--slice", type=int, default=10, help="seconds between memory reads")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--policy-store", type=Path, metavar="FILE")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="moldx-soak-"))
    body = workdir / "order-sign.json"
    body.write_bytes(json.dumps(build()).encode())
    server = start_service(workdir, args.policy_store)
    url = server.base + SERVICE_PATH
    rows = []
    try:
        requests.post(url, data=body.read_bytes(), timeout=10, headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {demo_token(url)}"}).raise_for_status()
        for number in range(args.seconds // args.slice):
            tokens = _tokens(workdir / f"tokens-{number}.txt", url, 1200 * args.slice)
            result = drive(url, body, args.slice, args, tokens)
            rss, pss = server.worker_memory_mb()
            rows.append((number, result, rss, pss))
            print(f"slice {number + 1}: {result.requests_per_s:.0f} req/s, "
                  f"p99 {result.p99_ms:.1f} ms, {result.errors} errors, "
                  f"worker RSS {rss:.0f} MB, PSS {pss:.0f} MB", file=sys.stderr)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"| slice ({args.slice} s) | req/s | p99 ms | errors | worker RSS MB | worker PSS MB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for number, result, rss, pss in rows:
        print(f"| {number + 1} | {result.requests_per_s:.0f} | {result.p99_ms:.1f} | "
              f"{result.errors} | {rss:.0f} | {pss:.0f} |")
    errors = sum(r.errors for _, r, _, _ in rows)
    growth = rows[-1][2] / rows[0][2] - 1
    verdict = "passes" if errors == 0 and growth <= FLAT else "FAILS"
    print(f"\n{len(rows) * args.slice} s at saturation: {errors} errors, worker RSS "
          f"{growth:+.1%} from the first slice to the last: {verdict} (flat = within "
          f"{FLAT:.0%}).")


if __name__ == "__main__":
    main()
