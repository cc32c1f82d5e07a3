"""Load benchmark: the service and a baseline app, each under gunicorn (2 sync workers,
--preload), driven by the same wrk client with the same 3-order order-sign request.

Prints requests per second and p50 / p99 latency for both and their ratios, plus start-up time
and worker memory. Needs wrk (Debian package `wrk`). Run: python -m bench.load [--duration S]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

from .request import build

SERVICE_PATH = "/cds-services/moldx-order-sign"
TARGET_THROUGHPUT_RATIO = 0.60


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    base: str
    startup_s: float

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each gunicorn worker (children of the master)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        return [_rss_mb(int(pid)) for pid in pids]

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@dataclass
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(name: str, command: list[str], port: int, env: dict[str, str]) -> Server:
    started = time.monotonic()
    process = subprocess.Popen(command, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{base}/cds-services", timeout=1)
            return Server(name, process, base, time.monotonic() - started)
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() - started > 60:
                process.kill()
                sys.exit(f"{name} did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)


def drive(url: str, body_file: Path, duration: int, connections: int, threads: int) -> Result:
    script = body_file.with_suffix(".lua")
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{body_file}", "rb")\nwrk.body = f:read("*a")\nf:close()\n')
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s",
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return Result(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        errors=(int(errors.group(1)) if errors else 0) + (1 if socket_errors else 0))


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="moldx-bench-"))
    body_file = workdir / "order-sign.json"
    body_file.write_bytes(json.dumps(build()).encode())
    bin_dir = Path(sys.executable).parent

    port = _free_port()
    service = start("service", [str(bin_dir / "moldx-cds"), "serve", "--port", str(port),
                                "--workers", "2"], port,
                    {"MOLDX_CDS_AUTH": "off", "MOLDX_CDS_STORE_URL": f"sqlite:///{workdir}/store.sqlite"})
    try:
        answer = requests.post(service.base + SERVICE_PATH, data=body_file.read_bytes(),
                               headers={"Content-Type": "application/json"}, timeout=10)
        answer.raise_for_status()
        response_size = len(answer.content)
        print(f"request {body_file.stat().st_size} bytes, response {response_size} bytes, "
              f"{len(answer.json()['cards'])} cards", file=sys.stderr)
        drive(service.base + SERVICE_PATH, body_file, 2, args.connections, args.threads)
        measured = drive(service.base + SERVICE_PATH, body_file, args.duration,
                         args.connections, args.threads)
        service_rss = service.worker_rss_mb()
    finally:
        service.stop()

    port = _free_port()
    baseline = start("baseline", [str(bin_dir / "gunicorn"), "--workers", "2", "--preload",
                                  "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                                  "bench.baseline_app:create()"], port,
                     {"BASELINE_RESPONSE_BYTES": str(response_size)})
    try:
        drive(baseline.base + SERVICE_PATH, body_file, 2, args.connections, args.threads)
        base = drive(baseline.base + SERVICE_PATH, body_file, args.duration, args.connections,
                     args.threads)
        baseline_rss = baseline.worker_rss_mb()
    finally:
        baseline.stop()

    print(f"| gunicorn, 2 sync workers, wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s | service | baseline | service / baseline |")
    print("| --- | --- | --- | --- |")
    rows = [("requests/s", measured.requests_per_s, base.requests_per_s),
            ("p50 latency ms", measured.p50_ms, base.p50_ms),
            ("p99 latency ms", measured.p99_ms, base.p99_ms),
            ("start-up s", service.startup_s, baseline.startup_s),
            ("worker RSS MB (max)", max(service_rss), max(baseline_rss)),
            ("errors", measured.errors, base.errors)]
    for label, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}" if theirs else "-"
        print(f"| {label} | {ours:.2f} | {theirs:.2f} | {ratio} |")
    ratio = measured.requests_per_s / base.requests_per_s
    verdict = "meets" if ratio >= TARGET_THROUGHPUT_RATIO else "MISSES"
    print(f"\nThroughput {ratio:.0%} of the baseline {verdict} the "
          f"{TARGET_THROUGHPUT_RATIO:.0%} target.")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
