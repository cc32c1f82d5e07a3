"""Load benchmark: the service and a baseline app, each under gunicorn (2 workers, --preload),
driven by the same wrk client with the same 3-order order-sign request.

Three runs in one go: the service as deployed (client JWTs verified; each request carries a
token of its own, since a replayed jti is refused), the service with authentication off, and
the service under gunicorn's sync workers (the throughput cost of the buffering workers),
the baseline (parses the same JSON, answers a fixed response of the same size). Every request
has a hookInstance of its own. Prints requests per second, p50 / p99 latency, the workers' CPU
per request, start-up time and worker memory, with ratios to the baseline. Needs wrk (Debian
package `wrk`).

    python -m bench.load [--duration S] [--policy-store FILE]
"""

from __future__ import annotations

import argparse
import dataclasses
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

from cds_hooks.client.keys import (
    DEMO_ISSUER,
    DEMO_KEY_FILE,
    DEMO_KID,
    ClientKey,
    client_token,
    demo_token,
)

from .request import build

SERVICE_PATH = "/cds-services/moldx-order-sign"
TARGET_THROUGHPUT_RATIO = 0.60

# Every request is a hook call of its own, as an EHR's are: its own hookInstance (the service
# derives card ids from it, so a repeated one would spare the audit trail its card rows) and,
# with authentication on, its own token (each wrk thread takes every n-th, as a replayed jti is
# refused). The baseline gets the same bodies.
_WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb"); local body = f:read("*a"); f:close()
local at = string.find(body, "{hook_instance}", 1, true)
local head, tail = string.sub(body, 1, at - 1), string.sub(body, at + #"{hook_instance}")
local tokens, counter = {{}}, 0
function setup(thread) thread:set("id", counter); counter = counter + 1 end
function init(args)
  local n, i = {threads}, 0
  if "{tokens}" ~= "" then
    for line in io.lines("{tokens}") do
      if i % n == id then tokens[#tokens + 1] = line end
      i = i + 1
    end
  end
  next_token, calls = 0, 0
end
function request()
  calls = calls + 1
  local call = head .. string.format("%08x-0000-4000-8000-%012x", id, calls) .. tail
  if #tokens == 0 then return wrk.format(nil, nil, nil, call) end
  next_token = next_token % #tokens + 1
  return wrk.format(nil, nil, {{Authorization = "Bearer " .. tokens[next_token]}}, call)
end
"""


@dataclass
class Server:
    process: subprocess.Popen
    base: str
    startup_s: float

    def worker_memory_mb(self) -> tuple[float, float]:
        """(largest RSS, largest PSS) of the gunicorn workers: RSS counts the pages a worker
        shares with the master after --preload, PSS charges each its share."""
        pids = self._worker_pids()
        return (max((_memory_kb(p, "/proc/{}/status", "VmRSS:") for p in pids), default=0) / 1024,
                max((_memory_kb(p, "/proc/{}/smaps_rollup", "Pss:") for p in pids), default=0)
                / 1024)

    def _worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(p) for p in children.read_text().split()] if children.exists() else []

    def worker_cpu_s(self) -> float:
        """CPU seconds the workers have used (every thread: the audit writer's too)."""
        return sum(_cpu_s(pid) for pid in self._worker_pids())

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


@dataclass
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int
    cpu_ms: float = 0.0  # worker CPU per request: steadier than requests/s on a shared machine


def _cpu_s(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _memory_kb(pid: int, path: str, key: str) -> int:
    try:
        for line in Path(path.format(pid)).read_text().splitlines():
            if line.startswith(key):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], port: int, env: dict[str, str], cwd: Path) -> Server:
    started = time.monotonic()
    log = cwd / f"server-{port}.log"  # a file: an unread pipe would fill and stall the server
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd,
                               stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{base}/cds-services", timeout=1)
            return Server(process, base, time.monotonic() - started)
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() - started > 60:
                process.kill()
                sys.exit(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)


def start_service(workdir: Path, policy_store: Path | None, *, auth: bool = True,
                  sync: bool = False) -> Server:
    """`moldx-cds serve` with 2 workers, its own SQLite store, spool and pid file in
    `workdir` (not the user's data folder, where a running service may have its own); `sync`:
    the same app and settings under gunicorn's sync workers instead (what serve ran before
    the buffering workers, for their throughput cost)."""
    port = _free_port()
    env = {"MOLDX_CDS_STORE_URL": f"sqlite:///{workdir}/store-{port}.sqlite",
           "MOLDX_CDS_SPOOL_DIR": str(workdir / f"spool-{port}"),
           "MOLDX_CDS_PID_FILE": str(workdir / f"serve-{port}.pid"),
           "MOLDX_CDS_LOG_FORMAT": "text", "MOLDX_CDS_AUTH": "on" if auth else "off",
           "MOLDX_CDS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    if policy_store:
        env["MOLDX_CDS_POLICY_STORE"] = str(policy_store)
    command = [str(Path(sys.executable).parent / "moldx-cds"), "serve", "--port", str(port),
               "--workers", "2"]
    if sync:
        command = [str(Path(sys.executable).parent / "gunicorn"), "-c",
                   "python:cds_hooks.gunicorn_conf", "-k", "sync", "-b", f"127.0.0.1:{port}",
                   "-w", "2", "--pid", str(workdir / f"gunicorn-{port}.pid"),
                   "cds_hooks.wsgi:app"]
    return start(command, port, env, workdir)


def drive(url: str, body: Path, seconds: int, args: argparse.Namespace,
          tokens: Path | None = None) -> Result:
    script = body.with_name(f"wrk-{time.monotonic_ns()}.lua")
    hook_instance = json.loads(body.read_bytes())["hookInstance"]
    script.write_text(_WRK_SCRIPT.format(body=body, tokens=tokens or "", threads=args.threads,
                                         hook_instance=hook_instance))
    out = subprocess.run(["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s",
                          "--latency", "-s", str(script), url],
                         capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), "
                              r"timeout (\d+)", out)
    return Result(
        requests_per_s=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=_ms(re.search(r"\s50%\s+([\d.]+\w+)", out).group(1)),
        p99_ms=_ms(re.search(r"\s99%\s+([\d.]+\w+)", out).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=(int(errors.group(1)) if errors else 0)
        + (sum(map(int, socket_errors.groups())) if socket_errors else 0))


def measure(server: Server, body: Path, args: argparse.Namespace,
            tokens: Path | None = None) -> Result:
    """The measured run against `server`, with the workers' CPU per request."""
    before = server.worker_cpu_s()
    result = drive(server.base + SERVICE_PATH, body, args.duration, args, tokens)
    used = server.worker_cpu_s() - before
    return dataclasses.replace(result, cpu_ms=used * 1000 / max(1, result.requests))


def _ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _tokens(path: Path, audience: str, count: int) -> Path:
    """`count` demo-client tokens for `audience`, one per line (each valid five minutes)."""
    key = ClientKey.load(DEMO_KEY_FILE, DEMO_KID)
    path.write_text("\n".join(client_token(key, DEMO_ISSUER, audience)
                              for _ in range(count)) + "\n")
    return path


def run_service(args: argparse.Namespace, workdir: Path, body: Path, *, auth: bool,
                sync: bool = False) -> tuple[Server, Result, tuple[float, float], int]:
    server = start_service(workdir, args.policy_store, auth=auth, sync=sync)
    try:
        url = server.base + SERVICE_PATH
        # Tokens for well above the expected rate; the warm-up has its own (a token used
        # twice is a replay, refused with 401).
        warm_tokens = _tokens(workdir / "warm.txt", url, 8000) if auth else None
        tokens = _tokens(workdir / "tokens.txt", url, 4000 * args.duration) \
            if auth else None
        headers = {"Content-Type": "application/json"}
        if auth:
            headers["Authorization"] = f"Bearer {demo_token(url)}"
        answer = requests.post(url, data=body.read_bytes(), headers=headers, timeout=10)
        answer.raise_for_status()
        drive(url, body, 2, args, warm_tokens)
        result = measure(server, body, args, tokens)
        return server, result, server.worker_memory_mb(), len(answer.content)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--policy-store", type=Path, metavar="FILE",
                        help="a policy store to load (e.g. a full-size import) instead of the "
                        "embedded demo pack")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="moldx-bench-"))
    body = workdir / "order-sign.json"
    body.write_bytes(json.dumps(build()).encode())
    request_size = body.stat().st_size
    try:
        secured, secured_result, secured_memory, size = run_service(args, workdir, body,
                                                                    auth=True)
        open_, open_result, open_memory, _ = run_service(args, workdir, body, auth=False)
        sync, sync_result, sync_memory, _ = run_service(args, workdir, body, auth=True,
                                                        sync=True)
        port = _free_port()
        baseline = start([str(Path(sys.executable).parent / "gunicorn"), "--workers", "2",
                          "--preload", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
                          "bench.baseline_app:create()"], port,
                         {"BASELINE_RESPONSE_BYTES": str(size),
                          "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}, workdir)
        try:
            drive(baseline.base + SERVICE_PATH, body, 2, args)
            base_result = measure(baseline, body, args)
            base_memory = baseline.worker_memory_mb()
        finally:
            baseline.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"request {request_size} bytes; response {size} "
          f"bytes; gunicorn 2 workers --preload (the service's: threaded, buffering; the "
          f"baseline's: sync); wrk -t{args.threads} -c{args.connections} "
          f"-d{args.duration}s; policy: {args.policy_store or 'embedded demo pack'}\n")
    runs = (("service, JWT on", secured, secured_result, secured_memory),
            ("service, auth off", open_, open_result, open_memory),
            ("service, JWT on, sync workers (slow clients stop it)", sync, sync_result,
             sync_memory),
            ("baseline", baseline, base_result, base_memory))
    print("| run | req/s | p50 ms | p99 ms | errors | worker CPU ms/req | start-up s "
          "| worker RSS MB | worker PSS MB | req/s vs baseline |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, server, result, (rss, pss) in runs:
        ratio = result.requests_per_s / base_result.requests_per_s
        print(f"| {name} | {result.requests_per_s:.0f} | {result.p50_ms:.2f} | "
              f"{result.p99_ms:.2f} | {result.errors} | {result.cpu_ms:.2f} | "
              f"{server.startup_s:.2f} | {rss:.0f} | {pss:.0f} | {ratio:.0%} |")
    for name, _, result, _ in runs[:2]:
        ratio = result.requests_per_s / base_result.requests_per_s
        verdict = "meets" if ratio >= TARGET_THROUGHPUT_RATIO else "MISSES"
        print(f"\n{name}: throughput {ratio:.0%} of the baseline {verdict} the "
              f"{TARGET_THROUGHPUT_RATIO:.0%} target; each request costs the workers "
              f"{result.cpu_ms / base_result.cpu_ms:.1f}x the baseline's CPU.", end="")
    cost = 1 - secured_result.requests_per_s / sync_result.requests_per_s
    print(f"\nbuffering workers against sync workers, JWT on: {cost:+.0%} throughput cost "
          f"({secured_result.requests_per_s:.0f} against {sync_result.requests_per_s:.0f} "
          "req/s).")


if __name__ == "__main__":
    main()
