"""Where a served call's CPU goes, stage by stage: `moldx-cds serve` (2 workers) under wrk's
load with the bench's 3-order order-sign, py-spy sampling every worker while it holds the GIL,
each sample put in the stage of its innermost frame that names one; the workers' CPU per
request (from /proc, every thread) shared out by those samples; nginx's CPU per request beside
them. Needs wrk and py-spy (`pip install -e '.[profile]'`; py-spy must be allowed to read
other processes: run as root or with ptrace allowed).

    python -m bench.served_profile [--duration S] [--connections N] [--auth]

Only samples taken while a worker holds the GIL count: Python's own work and the C it calls
without letting the GIL go (pydantic-core, orjson, the JWT signature), and not the waits on
sockets. What runs without the GIL (SQLite's statements, socket writes) is not sampled: the
workers' CPU is shared out as if it went where the GIL samples went, so the stages that let the
GIL go (the audit writer's, gunicorn's) are, if anything, shown too small.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from . import load
from .request import build

# (function, file) as py-spy names a frame -> stage; the innermost frame that matches decides.
STAGES: tuple[tuple[str, str, str], ...] = (
    ("Recorder._run", "recorder.py", "audit writer thread (store writes)"),
    ("Verifier.verify", "auth.py", "JWT check"),
    ("_hook_request", "app.py", "parse and validate"),
    ("_resolve", "app.py", "resolve prefetch"),
    ("facts_for", "orders.py", "facts"),
    ("evaluate", "__init__.py", "rules"),
    ("Renderer.response", "renderer.py", "cards"),
    ("BaseModel.model_dump_json", "main.py", "response JSON"),
    ("call_record", "audit.py", "audit record"),
    ("Recorder.submit", "recorder.py", "spool write"),
    ("_finish", "request_log.py", "request log line and metrics"),
    ("_start", "request_log.py", "request log line and metrics"),
    ("decide", "decision.py", "facts"),
    ("call_service", "app.py", "the route's own code"),
    # Sampled on the line that calls the route, with the route's frame gone: its objects (the
    # request's models, the decision, the cards) being freed as it returns.
    ("Flask.dispatch_request", "app.py", "freeing the call's objects"),
    ("Flask.wsgi_app", "app.py", "Flask (routing, request and response objects)"),
)
OTHER = "gunicorn (reading the request, writing the answer)"


def stage_of(stack: list[str]) -> str:
    for frame in reversed(stack):
        name, _, where = frame.partition(" (")
        for function, file, stage in STAGES:
            if name == function and where.split(":")[0].endswith(file):
                return stage
    return OTHER


def shares(raw: str) -> Counter:
    """Samples by stage from py-spy's raw output (`frame;frame;... count` a line)."""
    found: Counter = Counter()
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            found[stage_of(stack.split(";"))] += int(count)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds sampled")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--auth", action="store_true",
                        help="as deployed: a client JWT verified on every call")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists() or not shutil.which("wrk"):
        sys.exit("needs wrk (Debian: apt-get install wrk) and py-spy "
                 "(pip install -e '.[profile]')")
    workdir = Path(tempfile.mkdtemp(prefix="moldx-served-profile-"))
    body = workdir / "order-sign.json"
    body.write_bytes(json.dumps(build()).encode())
    server = load.start_service(workdir, None, auth=args.auth)
    target = load.Target("service", server, args.auth)
    try:
        target.check(body)
        load.drive(target.url, body, 2, args, target.tokens(workdir / "warm.txt", 2))
        tokens = target.tokens(workdir / "tokens.txt", args.duration)  # before the clock
        pids = server.processes()
        nginx = [p for p in pids if Path(f"/proc/{p}/comm").read_text().strip() == "nginx"]
        workers = [p for p in pids if p not in nginx]
        before = {p: load.cpu_seconds(p) for p in pids}
        spies = [subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--duration", str(args.duration),
             "--rate", "200", "--gil", "--nonblocking", "--format", "raw",
             "--output", str(workdir / f"spy-{pid}.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in workers]
        result = load.drive(target.url, body, args.duration, args, tokens)
        for spy in spies:
            spy.wait(timeout=args.duration + 30)
        used = {p: load.cpu_seconds(p) - before[p] for p in pids}
        samples: Counter = Counter()
        for pid in workers:
            out = workdir / f"spy-{pid}.txt"
            samples += shares(out.read_text()) if out.exists() else Counter()
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    if not samples:
        sys.exit("py-spy took no samples (is it allowed to read other processes?)")
    requests = max(1, result.requests)
    worker_ms = sum(used[p] for p in workers) * 1000 / requests
    nginx_ms = sum(used[p] for p in nginx) * 1000 / requests
    print(f"{'JWT on' if args.auth else 'auth off'}, wrk -c{args.connections} "
          f"{args.duration}s: {result.requests_per_s:.0f} req/s, p50 {result.p50_ms:.2f} ms, "
          f"CPU per request {worker_ms + nginx_ms:.2f} ms (workers {worker_ms:.2f}, nginx "
          f"{nginx_ms:.2f})\n")
    print("| stage | share of GIL samples | CPU ms per call |\n| --- | --- | --- |")
    total = sum(samples.values())
    for stage, count in samples.most_common():
        print(f"| {stage} | {100 * count / total:.1f} % | {worker_ms * count / total:.3f} |")
    print(f"| nginx | | {nginx_ms:.3f} |")


if __name__ == "__main__":
    main()
