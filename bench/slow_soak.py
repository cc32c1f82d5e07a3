"""Slow-client soak: 100 connections trickling a request body for 60 s beside the usual load
(wrk, each call with its own token). Passes when no normal call failed and no worker was
killed or replaced (the same worker processes before and after).

    python -m bench.slow_soak [--seconds 60] [--slow 100]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path

import requests

from cds_hooks.client.keys import demo_token

from .load import SERVICE_PATH, _tokens, drive, start_service
from .request import build
from .slow_clients import SlowClients


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--slow", type=int, default=100, help="slow connections")
    parser.add_argument("--connections", type=int, default=8, help="wrk's connections")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="moldx-slow-soak-"))
    body = workdir / "order-sign.json"
    body.write_bytes(json.dumps(build()).encode())
    server = start_service(workdir, None)
    url = server.base + SERVICE_PATH
    try:
        requests.post(url, data=body.read_bytes(), timeout=10, headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {demo_token(url)}"}).raise_for_status()
        workers = sorted(server.processes())
        tokens = _tokens(workdir / "tokens.txt", url, 1500 * args.seconds)
        with SlowClients(server.base, connections=args.slow, seconds=args.seconds + 5,
                         styles=("length", "expect", "chunked")) as slow:
            result = drive(url, body, args.seconds, args, tokens)
        after = sorted(server.processes())
        log = next(workdir.glob("server-*.log")).read_text()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    killed = log.count("WORKER TIMEOUT")
    statuses = Counter(re.findall(rf"POST {SERVICE_PATH} (\d{{3}})", log))
    print("| slow connections | seconds | normal calls | req/s | p50 ms | p99 ms | errors | "
          "workers killed | same workers after |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    print(f"| {slow.opened} | {args.seconds} | {result.requests} | {result.requests_per_s:.0f} "
          f"| {result.p50_ms:.1f} | {result.p99_ms:.1f} | {result.errors} | {killed} | "
          f"{'yes' if workers == after else 'NO'} |")
    verdict = "passes" if result.errors == 0 and killed == 0 and workers == after else "FAILS"
    print(f"\nanswers the service logged: {dict(statuses)}")
    print(f"{slow.opened} slow clients ({slow.cut_off} cut off by the service) beside "
          f"{args.seconds} s of load: {result.errors} errors, {killed} workers killed: {verdict}.")


if __name__ == "__main__":
    main()
