"""A store written by the code before the layout move (cds_hooks/ as one flat folder, Alembic
revision 0002) is still read and migrated: `data/store-before-layout.sql` is that store's dump,
made by answering every fixture under fixtures/hooks; `data/report-before-layout.json` is what
`moldx-cds report --json` of that code said of it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

from cds_hooks.store import migrate
from tests.processes import CLI, command_env

DATA = Path(__file__).parent / "data"


def restored(folder: Path) -> str:
    path = folder / "before.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript((DATA / "store-before-layout.sql").read_text())
    return f"sqlite:///{path}"


def run(*args: str, url: str, folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=folder, capture_output=True, text=True,
                          env=command_env(MOLDX_CDS_STORE_URL=url), timeout=60)


def test_db_upgrade_on_a_store_made_before_the_move(tmp_path):
    url = restored(tmp_path)
    current = run("db", "current", url=url, folder=tmp_path)
    assert current.returncode == 1, current.stderr  # behind: 0003 adds orders, remittances
    assert "0002" in current.stdout
    upgrade = run("db", "upgrade", url=url, folder=tmp_path)
    assert upgrade.returncode == 0, upgrade.stderr
    after = run("db", "current", url=url, folder=tmp_path)
    assert after.returncode == 0 and f"revision {migrate.head()};" in after.stdout


def test_the_report_of_that_store_counts_what_it_did_before(tmp_path):
    url = restored(tmp_path)
    assert run("db", "upgrade", url=url, folder=tmp_path).returncode == 0
    report = run("report", "--json", url=url, folder=tmp_path)
    assert report.returncode == 0, report.stderr
    now, before = json.loads(report.stdout), json.loads((DATA / "report-before-layout.json")
                                                         .read_text())
    assert now["calls"] == before["calls"]
    assert sum(now["calls"].values()) == 20  # one call per fixture of that day
    assert {r["rule"]: (r["findings"], r["orders"]) for r in now["rules"]} == \
        {r["rule"]: (r["findings"], r["orders"]) for r in before["rules"]}
