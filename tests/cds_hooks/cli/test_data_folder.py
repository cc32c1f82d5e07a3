"""One store wherever you stand: the default audit store, spool and pid file are in the user's
data folder (beside the policy store), so `serve`, `report`, `db` and `reload` started from
different folders find the same ones; reading a store that is not there creates nothing; and a
PostgreSQL URL without its driver is one line naming the install (the installed command, each
run in a folder of its own)."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
import requests

from cds_hooks.client.keys import demo_token
from tests.conftest import hook_fixture
from tests.processes import CONSOLE_SCRIPT, command_env, free_port, moldx_cds, wait_until_up


@pytest.fixture
def user(tmp_path) -> dict:
    """A user's environment: a data folder of their own, and two unrelated folders."""
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    return {"env": command_env(XDG_DATA_HOME=str(tmp_path / "data")),
            "data": tmp_path / "data" / "moldx-cds", "here": tmp_path / "here",
            "there": tmp_path / "there"}


def files_in(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_serve_report_db_and_reload_share_the_store_from_any_folder(user):
    port = free_port()
    service = subprocess.Popen([CONSOLE_SCRIPT, "serve", "--port", str(port), "--workers", "1"],
                               cwd=user["here"], env=user["env"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(service, base + "/readyz", "moldx-cds serve", service.stderr.read)
        url = base + "/cds-services/moldx-order-sign"
        answer = requests.post(url, json=hook_fixture("missing-zcode"), timeout=10,
                               headers={"Authorization": f"Bearer {demo_token(url)}"})
        assert answer.status_code == 200
        ready = requests.get(base + "/readyz", timeout=5).json()
        assert ready["checks"]["store"]["url"] == f"sqlite:///{user['data'] / 'store.sqlite'}"

        reloaded = moldx_cds("reload", cwd=user["there"], env=user["env"])
        assert reloaded.returncode == 0, reloaded.stderr
        assert "knowledge reloaded" in reloaded.stderr
        current = moldx_cds("db", "current", cwd=user["there"], env=user["env"])
        assert current.returncode == 0, current.stderr
        assert str(user["data"] / "store.sqlite") in current.stdout
        deadline = time.monotonic() + 60
        while True:  # the writer thread puts the call in the store soon after the answer
            report = moldx_cds("report", "--json", cwd=user["there"], env=user["env"])
            assert report.returncode == 0, report.stderr
            if sum(json.loads(report.stdout)["calls"].values()) == 1:
                break
            assert time.monotonic() < deadline, "the call never reached the store"
            time.sleep(0.2)
    finally:
        service.terminate()
        service.wait(timeout=30)
    assert files_in(user["here"]) == [] and files_in(user["there"]) == []
    assert {"store.sqlite", "spool"} <= set(files_in(user["data"]))


def test_report_on_a_store_that_is_not_there_says_where_it_looked_and_makes_nothing(user):
    for command in (["report"], ["db", "current"]):
        result = moldx_cds(*command, cwd=user["here"], env=user["env"])
        assert result.returncode == 2
        [line] = result.stderr.splitlines()
        assert f"no store at {user['data'] / 'store.sqlite'}" in line
        assert "Traceback" not in result.stderr
    given = user["here"] / "elsewhere.sqlite"
    result = moldx_cds("report", "--store-url", f"sqlite:///{given}", cwd=user["here"],
                       env=user["env"])
    assert result.returncode == 2 and f"no store at {given}" in result.stderr
    assert not user["data"].exists() and files_in(user["here"]) == []


@pytest.fixture
def without_psycopg(tmp_path) -> dict[str, str]:
    """An environment in which `import psycopg` fails as it does where it is not installed
    (a module of that name that raises what Python raises then, first on the path)."""
    shadow = tmp_path / "no-psycopg" / "psycopg"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'psycopg'\", name='psycopg')\n")
    env = command_env(XDG_DATA_HOME=str(tmp_path / "data"))
    env["PYTHONPATH"] = f"{shadow.parent}:{env['PYTHONPATH']}"
    return env


URL = "postgresql+psycopg://moldx:secret@127.0.0.1:1/moldx"


@pytest.mark.parametrize("command", [["serve", "--port", "1"], ["report"], ["db", "upgrade"],
                                     ["db", "current"], ["report", "--store-url", URL]])
def test_a_postgresql_url_without_its_driver_is_one_line(tmp_path, without_psycopg, command):
    result = moldx_cds(*command, cwd=tmp_path, env={**without_psycopg, "MOLDX_CDS_STORE_URL": URL})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "moldx-cds: the store postgresql+psycopg://moldx:***@127.0.0.1:1/moldx needs the Python "
        "module psycopg, which is not installed: pip install 'moldx-cds[postgres]'"]
