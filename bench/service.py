"""Benchmark: the service with a full-size policy store loaded.

    .venv/bin/python bench/service.py STORE [--requests 3000] [--port 8765]

STORE is a policy store of the real export's size (bench/policy_import.py --keep DIR writes
DIR/policy.sqlite). Measures:
  start-up      load_knowledge with that store (what `serve` does before forking), and the
                same with the embedded demo pack as the baseline of this run
  evaluation    in-process decide + cards + JSON for a 3-order request: p50 / p99 / max
  gunicorn      `moldx-cds serve --workers 2` (preloaded): time to answer discovery, RSS and
                PSS (proportional: shared pages split between processes) of the master and of
                each worker, and p50 / p99 over HTTP on 127.0.0.1 for the same request.
The server is this script's own child process; it is stopped by its PID at the end.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cds_hooks.app import create_app  # noqa: E402
from cds_hooks.cards import Renderer  # noqa: E402
from cds_hooks.decision import decide  # noqa: E402
from cds_hooks.models import HookRequest, dump  # noqa: E402
from cds_hooks.settings import Settings  # noqa: E402
from plugin.icd10cm import load_icd10cm  # noqa: E402
from plugin.knowledge import load_knowledge  # noqa: E402


def three_orders() -> dict:
    """A lung panel (covered), a panel with an uncovered diagnosis and a 3-gene panel billed
    81445, on one request, with a problem list and an existing order."""
    hooks = ROOT / "fixtures" / "hooks"
    request = json.loads((hooks / "diagnosis-on-problem-list.json").read_text())
    entries = request["context"]["draftOrders"]["entry"]
    for number, name in ((2, "all-correct"), (3, "mismatched-cpt")):
        entry = copy.deepcopy(json.loads((hooks / f"{name}.json").read_text())[
            "context"]["draftOrders"]["entry"][0])
        entry["resource"]["id"] = f"sr-{number}"
        entry["fullUrl"] = entry["fullUrl"].replace("sr-1", f"sr-{number}")
        entries.append(entry)
    second = json.loads((hooks / "second-cgp.json").read_text())
    request["prefetch"]["serviceRequests"] = second["prefetch"]["serviceRequests"]
    return request


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return (f"p50 {statistics.median(ordered) * 1000:.3f} ms, p99 {p99 * 1000:.3f} ms, "
            f"max {ordered[-1] * 1000:.3f} ms (n={len(ordered)})")


def _rss_mb(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        fields[key] = int(value.split()[0]) / 1024
    return fields["Rss"], fields["Pss"]


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def in_process(store: Path, requests: int, request: dict) -> None:
    load_icd10cm.cache_clear()  # each start-up reads the ICD-10-CM code list, as a process would
    started = time.perf_counter()
    load_knowledge()
    demo = time.perf_counter() - started
    load_icd10cm.cache_clear()
    started = time.perf_counter()
    knowledge = load_knowledge(policy_store=store)
    full = time.perf_counter() - started
    versions = sum(len(v) for v in knowledge.policy.versions.values())
    codes = sum(len(v.covered) for vs in knowledge.policy.versions.values() for v in vs)
    print(f"start-up: load_knowledge {full:.2f} s with the full store ({versions} versions of "
          f"the catalog's articles, {codes:,} covered codes in memory); {demo:.2f} s with the "
          f"demo pack (x{full / demo:.1f})")
    hook = HookRequest.model_validate(request)
    systems = Settings().code_systems(knowledge.lab)
    renderer = Renderer(knowledge, systems, "bench", system_actions=True)
    samples = []
    for _ in range(requests):
        begin = time.perf_counter()
        decision = decide(hook.orders(), hook.resources(), knowledge, systems, date(2026, 3, 2))
        json.dumps(dump(renderer.response(decision)))
        samples.append(time.perf_counter() - begin)
    print(f"evaluation, 3 orders ({len(decision.findings)} findings): {_ms(samples)}")
    client = create_app(Settings(), knowledge).test_client()
    samples = []
    for _ in range(requests):
        begin = time.perf_counter()
        client.post("/cds-services/moldx-order-sign", json=request)
        samples.append(time.perf_counter() - begin)
    print(f"in-process HTTP (Flask test client, parse + evaluate + render): {_ms(samples)}")


def gunicorn(store: Path, port: int, requests: int, request: dict) -> None:
    command = [str(Path(sys.executable).parent / "moldx-cds"), "serve", "--workers", "2",
               "--port", str(port), "--policy-store", str(store)]
    started = time.perf_counter()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}/cds-services"
        while True:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}")
            try:
                urllib.request.urlopen(url, timeout=1).read()
                break
            except OSError:
                if time.perf_counter() - started > 60:
                    raise SystemExit("the server did not answer within 60 s") from None
                time.sleep(0.05)
        print(f"gunicorn: discovery answered {time.perf_counter() - started:.2f} s after "
              "`moldx-cds serve` started")
        body = json.dumps(request).encode()
        samples = []
        for _ in range(requests):
            begin = time.perf_counter()
            post = urllib.request.Request(f"{url}/moldx-order-sign", data=body,
                                          headers={"Content-Type": "application/json"})
            urllib.request.urlopen(post, timeout=5).read()
            samples.append(time.perf_counter() - begin)
        print(f"gunicorn HTTP on 127.0.0.1 (new connection each): {_ms(samples)}")
        rss, pss = _rss_mb(server.pid)
        print(f"  master  pid {server.pid}: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
        for pid in _children(server.pid):
            rss, pss = _rss_mb(pid)
            print(f"  worker  pid {pid}: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB")
    finally:
        os.kill(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    request = three_orders()
    in_process(args.store, args.requests, request)
    gunicorn(args.store, args.port, min(args.requests, 1000), request)


if __name__ == "__main__":
    main()
