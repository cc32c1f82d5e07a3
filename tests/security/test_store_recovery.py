"""A SQLite store made unwritable (here: the file made immutable, which stops root too) and
then fixed is used again without a restart: /readyz says not ready meanwhile and ready after,
and the records spooled meanwhile reach the store."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import time

import pytest
import requests

from tests.conftest import hook_fixture
from tests.processes import CLI, command_env

from .harness import serve


def chattr(flag: str, path) -> None:
    done = subprocess.run(["chattr", flag, str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr {flag} is not possible here: {done.stderr.strip()}")


def ready(service) -> bool:
    return requests.get(service.base + "/readyz", timeout=10).status_code == 200


def calls_kept(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("SELECT count(*) FROM hook_calls").fetchone()[0]


def until(check, seconds: float = 30) -> bool:
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if check():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.skipif(not shutil.which("chattr"), reason="needs chattr (e2fsprogs)")
def test_an_unwritable_sqlite_store_is_used_again_once_fixed(tmp_path):
    store = tmp_path / "moldx-cds.sqlite"
    made = subprocess.run([*CLI, "db", "upgrade", "--store-url", f"sqlite:///{store}"],
                          capture_output=True, text=True, env=command_env(), timeout=60)
    assert made.returncode == 0, made.stderr
    chattr("+i", store)
    try:
        with serve(tmp_path) as service:
            assert service.post(hook_fixture("missing-zcode")).status_code == 200  # spooled
            assert not ready(service)
            chattr("-i", store)
            assert until(lambda: all(ready(service) for _ in range(4))), service.output()[-3000:]
            assert until(lambda: calls_kept(store) >= 1), service.output()[-3000:]
    finally:
        subprocess.run(["chattr", "-i", str(store)], capture_output=True)
