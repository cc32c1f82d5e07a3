"""What a new operator or biller types first, as they would type it: a file path as the store,
a misspelt setting, a remittance imported before the service has ever run."""

from __future__ import annotations

import json
import sqlite3

import pytest

from cds_hooks.common.settings import Settings
from tests.conftest import FIXTURES
from tests.processes import command_env, moldx_cds


@pytest.fixture
def env(tmp_path) -> dict[str, str]:
    return command_env(XDG_DATA_HOME=str(tmp_path / "data"))


def _revision(file) -> str:
    with sqlite3.connect(file) as db:
        return db.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_a_plain_path_as_the_store_url_is_a_sqlite_file(tmp_path, env):
    made = moldx_cds("db", "upgrade", "--store-url", str(tmp_path / "x.db"), cwd=tmp_path,
                     env=env)
    assert made.returncode == 0, made.stderr
    assert "Traceback" not in made.stderr
    # relative to the folder the command runs in, by the variable as by the option
    current = moldx_cds("db", "current", cwd=tmp_path,
                        env={**env, "MOLDX_CDS_STORE_URL": "x.db"})
    assert current.returncode == 0, current.stderr
    assert current.stdout.startswith(f"store sqlite:///{tmp_path / 'x.db'}: revision ")
    assert _revision(tmp_path / "x.db") in current.stdout


@pytest.mark.parametrize("url", ["postgres://moldx:secret@127.0.0.1:1/moldx",
                                 "sqlite:/x.db", "{tmp}"])
def test_a_store_url_that_cannot_be_used_is_refused_in_one_line(tmp_path, env, url):
    url = url.replace("{tmp}", str(tmp_path))  # a folder is no store file
    for command in (["report", "--store-url", url], ["db", "upgrade", "--store-url", url]):
        result = moldx_cds(*command, cwd=tmp_path, env=env)
        assert result.returncode == 2
        [line] = result.stderr.splitlines()
        assert line.startswith("moldx-cds: ") and "secret" not in line
        assert "sqlite:///" in line or "postgresql+psycopg://" in line  # what to write


def test_a_misspelt_setting_is_named_with_the_one_meant(tmp_path, env):
    """MOLDX_CDS_KNOWLEGE_DIR is not a setting: silently ignored, the demo lab would serve."""
    for command in (["check", str(FIXTURES / "hooks/all-correct.json")], ["db", "current"]):
        result = moldx_cds(*command, cwd=tmp_path,
                           env={**env, "MOLDX_CDS_KNOWLEGE_DIR": "/x"})
        assert ("moldx-cds: MOLDX_CDS_KNOWLEGE_DIR is not a setting (did you mean "
                "MOLDX_CDS_KNOWLEDGE_DIR?): ignored") in result.stderr.splitlines()


def test_every_setting_read_is_known_and_nothing_else_is():
    """The names that are not flagged are exactly those Settings.from_env reads (plus the
    client's and the test suite's own), so a new setting cannot be flagged as unknown."""
    from cds_hooks.common.settings import PREFIX, SETTINGS, unknown_variables

    class Recording(dict):
        def __init__(self):
            super().__init__()
            self.asked: set[str] = set()

        def get(self, key, default=None):
            self.asked.add(key)
            return super().get(key, default)

    environ = Recording()
    Settings.from_env(environ)
    read = {name.removeprefix(PREFIX) for name in environ.asked if name.startswith(PREFIX)}
    assert read == set(SETTINGS)
    assert unknown_variables({PREFIX + name: "x" for name in read}) == []
    assert unknown_variables({"MOLDX_CDS_FHIR_TOKEN": "x", "MOLDX_CDS_NOPE": "x"}) == [
        "MOLDX_CDS_NOPE is not a setting: ignored"]


def test_remit_into_a_new_store_makes_it_and_says_where(tmp_path, env):
    store = tmp_path / "new" / "new.sqlite"
    result = moldx_cds("remit", str(FIXTURES / "x12/denials.835"), "--store-url",
                       f"sqlite:///{store}", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert f"moldx-cds: made a new store at sqlite:///{store}" in result.stderr
    assert _revision(store)
    again = moldx_cds("remit", str(FIXTURES / "x12/denials.835"), "--store-url", str(store),
                      cwd=tmp_path, env=env)
    assert again.returncode == 0 and "new store" not in again.stderr
    assert "already imported" in again.stderr


@pytest.mark.parametrize("command", [["scrub", str(FIXTURES / "x12/rules.837")],
                                     ["check", str(FIXTURES / "hooks/stale-code.json")],
                                     ["check", str(FIXTURES / "hooks/second-cgp.json")]])
@pytest.mark.parametrize("columns", [100, 160])
def test_the_tables_fit_the_terminal_and_json_keeps_every_word(command, columns, capsys,
                                                               monkeypatch):
    from cds_hooks.cli.main import main

    monkeypatch.setenv("COLUMNS", str(columns))  # what shutil.get_terminal_size reads first
    main(command)
    table = capsys.readouterr().out
    assert max(len(line) for line in table.splitlines()) <= columns
    main([*command, "--json"])
    whole = json.loads(capsys.readouterr().out)
    texts = _texts(whole, {"fix", "message", "summary", "description"})
    # the wrapped table still holds every word of every text
    assert texts and all(set(text.split()) <= set(table.split()) for text in texts)


def _texts(value, keys: set[str]) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items()
                for t in ([v] if k in keys and isinstance(v, str) else _texts(v, keys))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, keys)]
    return []


def test_making_the_store_is_one_line_not_the_migration_librarys_info_lines(tmp_path, env):
    """serve logs at INFO: alembic's own INFO lines (plugins set up as it is imported, the
    context, each revision run) came with every start; the store's one line says what
    changed. In a process of its own, as serve is, so that alembic is imported afresh."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    program = ("from cds_hooks.common import logs\n"
               "logs.configure('text')\n"
               "from cds_hooks.store import migrate\n"
               "from cds_hooks.store.db import Store\n"
               f"store = Store({url!r})\n"
               "migrate.upgrade(store)\n"
               "migrate.upgrade(store)  # a second start: nothing to say\n"
               "print(migrate.head())\n")
    run = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True,
                         text=True, timeout=60, check=True)
    [line] = run.stderr.splitlines()
    assert line.endswith(f"moldx_cds.migrate: store schema upgraded from nothing to "
                         f"{run.stdout.strip()} at {url}")


def test_a_second_serve_on_a_busy_port_says_so_in_one_line_first(tmp_path, env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = moldx_cds("serve", "--port", port, cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"moldx-cds: not starting: 127.0.0.1:{port} is in use by another program: stop it, "
        "or choose another --port"]


def test_serve_while_its_pid_file_names_a_live_process_says_so_in_one_line(tmp_path, env):
    import os

    pid_file = tmp_path / "serve.pid"
    pid_file.write_text(f"{os.getpid()}\n")  # this test's process: alive
    result = moldx_cds("serve", "--port", "1", "--pid-file", str(pid_file), cwd=tmp_path,
                       env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"moldx-cds: not starting: already running (process {os.getpid()}, pid file "
        f"{pid_file}): stop it first, or `moldx-cds reload` to load new knowledge"]


def test_a_reader_that_stops_early_ends_the_command_quietly(tmp_path):
    """`moldx-cds check --json FILE | head`: when the reader goes away, the command stops as
    other Unix tools do, without a Python traceback on the terminal."""
    import subprocess

    from tests.processes import CONSOLE_SCRIPT

    process = subprocess.Popen(
        [CONSOLE_SCRIPT, "check", "--json", str(FIXTURES / "hooks" / "stale-code.json")],
        cwd=tmp_path, env=command_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before the command writes a byte
    _, errors = process.communicate(timeout=60)
    assert b"Traceback" not in errors and b"BrokenPipeError" not in errors, errors.decode()
