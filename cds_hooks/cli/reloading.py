"""`moldx-cds reload`: signal the running service and wait for its answer.

The service's master answers a SIGHUP by loading the knowledge again (gunicorn_conf.on_reload,
or the --debug server's handler) and writing the outcome beside its pid file, as JSON with an
`id` of its own. The command sends the signal, waits for an outcome with a new `id`, and
prints it: the new version, or the problems (file, line, column) and the version still
serving.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.2


def outcome_file(pid_file: Path) -> Path:
    return pid_file.with_name(pid_file.name + ".reload.json")


def write_outcome(pid_file: Path | str | None, outcome: dict[str, Any]) -> None:
    """Leave the outcome of a reload for `moldx-cds reload` (atomically: never half read)."""
    if not pid_file:
        return
    target = outcome_file(Path(pid_file))
    partial = target.with_name(target.name + ".partial")
    partial.write_text(json.dumps({"id": uuid.uuid4().hex, "pid": os.getpid(), **outcome}))
    os.replace(partial, target)


def read_outcome(pid_file: Path) -> dict[str, Any] | None:
    try:
        return json.loads(outcome_file(pid_file).read_text())
    except (OSError, ValueError):
        return None


def reload(pid_file: Path, timeout: float) -> int:
    """Exit status 0: reloaded; 1: the new knowledge did not load (the old one serves);
    2: no service to signal, or no answer in time."""
    try:
        pid = int(pid_file.read_text().strip())
    except FileNotFoundError:
        return _fail(f"no pid file {pid_file}: is the service running? (`moldx-cds serve` "
                     "writes it; --pid-file or MOLDX_CDS_PID_FILE names another)")
    except ValueError:
        return _fail(f"{pid_file} does not hold a process id")
    before = (read_outcome(pid_file) or {}).get("id")
    try:
        os.kill(pid, signal.SIGHUP)
    except ProcessLookupError:
        return _fail(f"no process {pid} (from {pid_file}): the service is not running")
    except PermissionError:
        return _fail(f"not allowed to signal process {pid} (from {pid_file})")
    print(f"moldx-cds: asked the service (process {pid}) to reload its knowledge ...",
          file=sys.stderr)
    deadline = time.monotonic() + timeout
    while (outcome := read_outcome(pid_file)) is None or outcome.get("id") == before:
        if time.monotonic() > deadline:
            return _fail(f"no answer from process {pid} within {timeout:g} s; its log says "
                         "how the reload went, and /readyz shows the knowledge version")
        time.sleep(POLL_SECONDS)
    if outcome["result"] == "done":
        print(f"moldx-cds: knowledge reloaded: {outcome['previous_version']} -> "
              f"{outcome['version']}", file=sys.stderr)
        return 0
    print(f"moldx-cds: the new knowledge does not load; still serving {outcome['version']}:",
          file=sys.stderr)
    for problem in outcome["problems"]:
        print(f"  {problem}", file=sys.stderr)
    return 1


def _fail(message: str) -> int:
    print(f"moldx-cds: {message}", file=sys.stderr)
    return 2
