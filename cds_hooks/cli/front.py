"""nginx in front of the gunicorn workers of `moldx-cds serve`: it holds every client
connection and hands the workers only whole requests.

nginx reads each request in its event loop (a request still arriving costs a buffer, not a
worker), refuses what HTTP/1.1 does not allow (a chunk longer than its size line, both
Content-Length and Transfer-Encoding: RFC 9112 section 6.1), bounds the head's size and the
time it takes to arrive, bounds the body's size and its pauses, and keeps idle keep-alive
connections without any worker knowing of them. The workers listen on a Unix socket in a
folder of this run only, so nothing but this nginx can reach them.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import pwd
import shutil
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("moldx_cds.nginx")

HEAD_TIMEOUT = 10  # seconds for a request's head to arrive whole (then 408)
BODY_PAUSE = 10  # seconds the body may pause between two reads (then 408)
KEEPALIVE = 5  # seconds an idle kept-alive connection stays open
HEADER_BUFFER = "8k"  # the longest request line or header line (else 414 / 400)
HEADER_BUFFERS = 4  # ... and at most this many such buffers for a whole head
UPSTREAM_TIMEOUT = 60  # seconds nginx waits for a worker's answer (above gunicorn's timeout)
CONNECTIONS = 4096  # client connections nginx holds at once
START_SECONDS = 10


class FrontError(RuntimeError):
    """nginx is missing or would not start; the message says which and why."""


def find_nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)),
        None)
    if not found:
        raise FrontError("nginx not found: moldx-cds serve runs it in front of its workers "
                         "(Debian/Ubuntu: apt-get install nginx-light)")
    return found


def config(*, host: str, port: int, upstream: Path, run_dir: Path, max_body: int) -> str:
    """The whole nginx configuration of one `serve`."""
    listen = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    temp = "\n".join(f"    {kind}_temp_path {run_dir / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would run its workers as `nobody`, which cannot open the run folder.
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};" if os.geteuid() == 0 else ""
    return f"""daemon off;
master_process on;
worker_processes 1;
{user}
pid {run_dir / "nginx.pid"};
error_log stderr warn;
worker_rlimit_nofile {2 * CONNECTIONS + 64};
events {{ worker_connections {CONNECTIONS}; }}
http {{
    access_log off;
    server_tokens off;
{temp}
    client_header_timeout {HEAD_TIMEOUT}s;
    client_body_timeout {BODY_PAUSE}s;
    client_header_buffer_size 1k;
    large_client_header_buffers {HEADER_BUFFERS} {HEADER_BUFFER};
    client_max_body_size {max_body};
    client_body_buffer_size 1m;
    keepalive_timeout {KEEPALIVE}s;
    send_timeout {BODY_PAUSE}s;
    reset_timedout_connection on;
    upstream moldx_cds {{ server unix:{upstream}; }}
    server {{
        listen {listen} backlog=1024;
        location / {{
            proxy_pass http://moldx_cds;
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_read_timeout {UPSTREAM_TIMEOUT}s;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Front:
    """nginx, running, for one `serve`."""

    process: subprocess.Popen
    run_dir: Path
    stopping: bool = False

    def quit(self, seconds: float) -> None:
        """Graceful: stop listening, finish the requests under way, then exit."""
        self.stopping = True
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(seconds)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def start(nginx: str, *, host: str, port: int, run_dir: Path, upstream: Path,
          max_body: int) -> Front:
    """nginx listening on host:port for `upstream`; FrontError if it does not listen within
    START_SECONDS. When it dies unexpectedly later, this process gets SIGTERM: a service that
    no longer listens must stop, not look alive."""
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (run_dir / kind).mkdir(exist_ok=True)
    conf = run_dir / "nginx.conf"
    conf.write_text(config(host=host, port=port, upstream=upstream, run_dir=run_dir,
                           max_body=max_body))
    # -e: its own log to stderr from the start (the packaged path is not writable by a user).
    process = subprocess.Popen([nginx, "-e", "stderr", "-p", str(run_dir), "-c", str(conf)],
                               stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True, errors="replace",
                               preexec_fn=_die_with_parent)
    front = Front(process, run_dir)
    lines: list[str] = []
    threading.Thread(target=_relay, args=(front, lines), daemon=True,
                     name="nginx-log").start()
    deadline = time.monotonic() + START_SECONDS
    # nginx writes its pid file once it has bound its address (a port some other process
    # listens on would answer a connection, and prove nothing).
    while not (run_dir / "nginx.pid").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            front.quit(1)
            raise FrontError("nginx did not start: " + (" ".join(lines[-3:]) or "no output"))
        time.sleep(0.05)
    return front


def _relay(front: Front, lines: list[str]) -> None:
    """nginx's error log (stderr) into ours, line by line, so it is JSON when ours is; then
    stop this service if nginx ends while serving."""
    for line in front.process.stderr:
        line = line.strip()
        lines.append(line)
        del lines[:-10]
        log.warning("nginx: %s", line, extra={"event": "nginx"})
    front.process.wait()
    if not front.stopping:
        log.error("nginx exited (status %s); stopping", front.process.returncode,
                  extra={"event": "nginx-exited"})
        os.kill(os.getpid(), signal.SIGTERM)


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM it when this process dies, even by SIGKILL, so no
    nginx is left holding the port (Linux prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
