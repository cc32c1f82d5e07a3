"""Real processes for the tests that run the service as users do: `moldx-cds` commands in
their own process, and `moldx-cds serve` on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

CLI = [sys.executable, "-m", "cds_hooks.cli.main"]
# The console script pip installed beside this Python: what a user types.
CONSOLE_SCRIPT = str(Path(sys.executable).with_name("moldx-cds"))
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def command_env(**settings: str) -> dict[str, str]:
    """This environment without MOLDX_CDS_* settings (the test's own come from `settings`),
    able to import the project from its folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLDX_CDS_")}
    return {**env, "PYTHONPATH": str(ROOT), **settings}


def moldx_cds(*args: str, cwd: Path, env: dict[str, str] | None = None,
              timeout: float = 60) -> subprocess.CompletedProcess:
    """The installed `moldx-cds` run with `args` in `cwd`, as a user would in a terminal."""
    return subprocess.run([CONSOLE_SCRIPT, *args], cwd=cwd, env=env or command_env(),
                          capture_output=True, text=True, timeout=timeout)


@dataclass
class RunningService:
    base: str  # http://127.0.0.1:PORT
    output: str = ""  # what it printed, once it has stopped


def wait_until_up(process: subprocess.Popen, url: str, what: str,
                  output: Callable[[], str], seconds: float = 60,
                  answers: tuple[int, ...] = (200,)) -> None:
    """Poll `url` until it answers with one of `answers`; fail the test with the process's
    `output` if the process dies or the time runs out."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(url, timeout=1).status_code in answers:
                return
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"{what} did not start:\n{output()}")
        time.sleep(0.1)


@contextmanager
def running_service(folder: Path, env: dict[str, str],
                    workers: int = 2) -> Iterator[RunningService]:
    """`moldx-cds serve` in `folder` until the block ends; its data folder (store, spool, pid
    file) is `folder`/data unless `env` names another XDG_DATA_HOME."""
    env = {"XDG_DATA_HOME": str(folder / "data"), **env}
    port = free_port()
    process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", str(workers)],
                               cwd=folder, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    service = RunningService(f"http://127.0.0.1:{port}")
    wait_until_up(process, service.base + "/cds-services", "moldx-cds serve",
                  process.stdout.read)
    try:
        yield service
    finally:
        process.terminate()
        service.output, _ = process.communicate(timeout=10)
