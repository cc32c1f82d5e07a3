"""Load benchmark: the service (`moldx-cds serve`: nginx in front of 2 gunicorn sync workers,
preload), a baseline app under the same gunicorn settings, and, given its checkout, the
community's example CDS service (bench/peer.py), driven by the same wrk client; ours with the
same 3-order order-sign request, the peer with its own one-lookup order-select.

Three servers, measured in turns: baseline, service with authentication off, baseline,
service as deployed (a client JWT verified on every call, each request with a token of its
own, since a replayed jti is refused), and again for each round. Each service run is compared
with the baseline run just before it, so that a machine busy for a while weighs on both sides
of a ratio. The baseline parses the same JSON and answers a fixed response of the same size.
Every request has a hookInstance of its own. Prints requests per second, p50 / p99 latency,
the workers' CPU per request, start-up time and worker memory, the ratios per round and their
median; with --peer, the peer's run follows in each round and ours are given as a share of
its req/s. All of it with 8 and then 64 connections (--connections). Needs wrk (Debian
package `wrk`).

    python -m bench.load [--duration S] [--rounds N] [--policy-store FILE] [--peer DIR]
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
import statistics
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

from . import peer as peer_service
from .request import build

SERVICE_PATH = "/cds-services/moldx-order-sign"
# req/s against the baseline's in the same round.
TARGETS = {"auth off": 0.40, "JWT on": 0.20}
# req/s against the peer's in the same round.
PEER_TARGETS = {"auth off": 1.0, "JWT on": 0.6}

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
    alone: bool = False  # one process serving (the peer), not a master and its children

    def worker_memory_mb(self) -> tuple[float, float]:
        """(largest RSS, largest PSS) of the gunicorn workers: RSS counts the pages a worker
        shares with the master after --preload, PSS charges each its share."""
        pids = self.processes()
        return (max((_memory_kb(p, "/proc/{}/status", "VmRSS:") for p in pids), default=0) / 1024,
                max((_memory_kb(p, "/proc/{}/smaps_rollup", "Pss:") for p in pids), default=0)
                / 1024)

    def processes(self) -> list[int]:
        """Every process below the one started (serve's nginx and its worker too), or that
        one alone."""
        if self.alone:
            return [self.process.pid]
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            children = Path(f"/proc/{pid}/task/{pid}/children")
            below = [int(p) for p in children.read_text().split()] if children.exists() else []
            found += below
            todo += below
        return found

    def worker_cpu_s(self) -> float:
        """CPU seconds the workers have used (every thread: the audit writer's too)."""
        return sum(cpu_seconds(pid) for pid in self.processes())

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


def cpu_seconds(pid: int) -> float:
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


def start(command: list[str], port: int, env: dict[str, str], cwd: Path,
          alone: bool = False) -> Server:
    started = time.monotonic()
    log = cwd / f"server-{port}.log"  # a file: an unread pipe would fill and stall the server
    process = subprocess.Popen(command, env={**os.environ, **env}, cwd=cwd,
                               stdout=log.open("w"), stderr=subprocess.STDOUT,
                               start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    while True:
        try:
            requests.get(f"{base}/cds-services", timeout=1)
            return Server(process, base, time.monotonic() - started, alone)
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() - started > 60:
                process.kill()
                sys.exit(f"{command[0]} did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)


def start_service(workdir: Path, policy_store: Path | None, *, auth: bool = True) -> Server:
    """`moldx-cds serve` with 2 workers, its own SQLite store, spool and pid file in
    `workdir` (not the user's data folder, where a running service may have its own)."""
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
    return start(command, port, env, workdir)


def start_baseline(workdir: Path, response_bytes: int) -> Server:
    """bench/baseline_app.py under the gunicorn settings of serve (bench/baseline_conf.py)."""
    port = _free_port()
    root = Path(__file__).resolve().parent.parent
    (workdir / f"metrics-{port}").mkdir()
    env = {"BASELINE_RESPONSE_BYTES": str(response_bytes), "PYTHONPATH": str(root),
           "PROMETHEUS_MULTIPROC_DIR": str(workdir / f"metrics-{port}"),
           "MOLDX_CDS_PID_FILE": str(workdir / f"baseline-{port}.pid")}
    command = [str(Path(sys.executable).parent / "gunicorn"), "-c",
               "python:bench.baseline_conf", "--bind", f"127.0.0.1:{port}",
               "bench.baseline_app:create()"]
    return start(command, port, env, workdir)


def start_peer(workdir: Path, checkout: Path) -> Server:
    port = _free_port()
    return start(peer_service.command(checkout), port, {"PORT": str(port)}, workdir,
                 alone=True)


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
            tokens: Path | None = None, path: str = SERVICE_PATH) -> Result:
    """The measured run against `server`, with the workers' CPU per request."""
    before = server.worker_cpu_s()
    result = drive(server.base + path, body, args.duration, args, tokens)
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


@dataclass
class Target:
    """One server under test and how each of its requests is authenticated."""

    name: str
    server: Server
    auth: bool = False
    results: list[Result] = dataclasses.field(default_factory=list)
    path: str = SERVICE_PATH

    @property
    def url(self) -> str:
        return self.server.base + self.path

    def tokens(self, path: Path, seconds: int) -> Path | None:
        # Well above the expected rate: a token used twice is a replay, refused with 401.
        return _tokens(path, self.url, 4000 * seconds) if self.auth else None

    def check(self, body: Path) -> int:
        """One call that must succeed; the size of its answer."""
        headers = {"Content-Type": "application/json"}
        if self.auth:
            headers["Authorization"] = f"Bearer {demo_token(self.url)}"
        answer = requests.post(self.url, data=body.read_bytes(), headers=headers, timeout=10)
        answer.raise_for_status()
        return len(answer.content)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=8, help="seconds per run")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of baseline, auth off, baseline, JWT on (, peer)")
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 64],
                        help="wrk connections, one set of rounds each (default 8 64)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--policy-store", type=Path, metavar="FILE",
                        help="a policy store to load (e.g. a full-size import) instead of the "
                        "embedded demo pack")
    parser.add_argument("--peer", type=Path, metavar="DIR",
                        help="a prepared checkout of cds-hooks/sandbox-cds-services (see "
                        "bench/peer.py), run in each round beside ours")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")

    workdir = Path(tempfile.mkdtemp(prefix="moldx-bench-"))
    body = workdir / "order-sign.json"
    body.write_bytes(json.dumps(build()).encode())
    peer_body = workdir / "peer-order-select.json"
    peer_body.write_bytes(json.dumps(peer_service.body()).encode())
    request_size = body.stat().st_size
    targets: list[Target] = []
    tables = {}
    try:
        secured = Target("service, JWT on", start_service(workdir, args.policy_store), True)
        targets.append(secured)
        open_ = Target("service, auth off",
                       start_service(workdir, args.policy_store, auth=False))
        targets.append(open_)
        size = secured.check(body)
        open_.check(body)
        baseline = Target("baseline", start_baseline(workdir, size))
        targets.append(baseline)
        peer = None
        if args.peer:
            peer = Target("peer", start_peer(workdir, args.peer), path=peer_service.PATH)
            targets.append(peer)
            peer.check(peer_body)
        for connections in args.connections:
            run = argparse.Namespace(**{**vars(args), "connections": connections})
            for target in targets:  # warm up, and a clean slate of results
                target.results = []
                drive(target.url, peer_body if target is peer else body, 2, run,
                      target.tokens(workdir / "warm.txt", 2))
            for _ in range(args.rounds):
                for target in (baseline, open_, baseline, secured, *([peer] if peer else [])):
                    tokens = target.tokens(workdir / "tokens.txt", args.duration)
                    target.results.append(measure(
                        target.server, peer_body if target is peer else body, run, tokens,
                        target.path))
            tables[connections] = {t.name: list(t.results) for t in targets}
        memory = {t.name: t.server.worker_memory_mb() for t in targets}
    finally:
        for target in targets:
            target.server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"request {request_size} bytes; response {size} bytes; the baseline under the "
          f"gunicorn settings of moldx-cds serve (sync workers, preload; without nginx); "
          f"wrk -t{args.threads} -d{args.duration}s, {args.rounds} rounds of baseline, auth "
          f"off, baseline, JWT on{', peer' if args.peer else ''}; policy: "
          f"{args.policy_store or 'embedded demo pack'}")
    for connections, results in tables.items():
        _print_table(connections, results, args.rounds)
    print("\n| server | start-up s | worker RSS MB | worker PSS MB |\n| --- | --- | --- | --- |")
    for target in targets:
        rss, pss = memory[target.name]
        print(f"| {target.name} | {target.server.startup_s:.2f} | {rss:.0f} | {pss:.0f} |")


def _print_table(connections: int, results: dict[str, list[Result]], rounds: int) -> None:
    print(f"\n{connections} connections\n")
    print("| run | round | req/s | p50 ms | p99 ms | errors | CPU ms/req | "
          "req/s vs baseline | req/s vs peer |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    ratios: dict[str, list[float]] = {"auth off": [], "JWT on": []}
    of_peer: dict[str, list[float]] = {"auth off": [], "JWT on": []}
    peers = results.get("peer")
    for round_ in range(rounds):
        peer = peers[round_] if peers else None
        base_rows = (results["baseline"][2 * round_], results["baseline"][2 * round_ + 1])
        for base, name, kind in ((base_rows[0], "service, auth off", "auth off"),
                                 (base_rows[1], "service, JWT on", "JWT on")):
            result = results[name][round_]
            ratio = result.requests_per_s / base.requests_per_s
            ratios[kind].append(ratio)
            vs_peer = ""
            if peer:
                of_peer[kind].append(result.requests_per_s / peer.requests_per_s)
                vs_peer = f"{of_peer[kind][-1]:.2f}"
            # The baseline against the peer too: the ceiling of any Flask app under these
            # settings with this request, whatever the service does.
            base_vs_peer = f"{base.requests_per_s / peer.requests_per_s:.2f}" if peer else ""
            for label, r, shown, shown_peer in (("baseline", base, "1.00", base_vs_peer),
                                                (name, result, f"{ratio:.2f}", vs_peer)):
                print(f"| {label} | {round_ + 1} | {r.requests_per_s:.0f} | {r.p50_ms:.2f} | "
                      f"{r.p99_ms:.2f} | {r.errors} | {r.cpu_ms:.2f} | {shown} | {shown_peer} |")
        if peer:
            print(f"| peer | {round_ + 1} | {peer.requests_per_s:.0f} | {peer.p50_ms:.2f} | "
                  f"{peer.p99_ms:.2f} | {peer.errors} | {peer.cpu_ms:.2f} | | 1.00 |")
    print()
    for kind, found in ratios.items():
        ratio = statistics.median(found)
        verdict = "meets" if ratio >= TARGETS[kind] else "MISSES"
        print(f"{kind}: {ratio:.2f} of the baseline's req/s (median of {len(found)} rounds) "
              f"{verdict} the {TARGETS[kind]:.2f} target.")
        if of_peer[kind]:
            share = statistics.median(of_peer[kind])
            verdict = "meets" if share >= PEER_TARGETS[kind] else "MISSES"
            print(f"{kind}: {share:.2f} of the peer's req/s (median of {len(of_peer[kind])} "
                  f"rounds) {verdict} the {PEER_TARGETS[kind]:.2f} target.")


if __name__ == "__main__":
    main()
