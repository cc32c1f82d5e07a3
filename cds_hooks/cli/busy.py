"""Why `moldx-cds serve` cannot start where it was asked to, said before anything else: the
service already running by its pid file, or the address taken by another program. (Else the
knowledge loaded, the line "discovery at ..." printed, and only then the server failed.)"""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path


def busy(host: str, port: int, pid_file: Path | None) -> str | None:
    """Why the service cannot start on `host`:`port`, or None."""
    if pid := _live_pid(pid_file):
        return (f"already running (process {pid}, pid file {pid_file}): stop it first, or "
                "`moldx-cds reload` to load new knowledge")
    if _taken(host, port):
        return f"{host}:{port} is in use by another program: stop it, or choose another --port"
    return None


def _live_pid(pid_file: Path | None) -> int | None:
    try:
        pid = int(pid_file.read_text().strip()) if pid_file else 0
    except (OSError, ValueError):
        return None
    if pid <= 0:
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None  # a stale file, left by a service that was killed
    except PermissionError:
        pass  # alive, another user's
    return pid


def _taken(host: str, port: int) -> bool:
    """Whether binding the address fails because something listens there (SO_REUSEADDR, as
    servers bind, so that connections closing from an earlier run do not count)."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port,
                                                             type=socket.SOCK_STREAM)[0]
    except socket.gaierror:
        return False  # the server says what is wrong with the host
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as bad:
            return bad.errno == errno.EADDRINUSE
    return False
