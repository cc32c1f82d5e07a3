"""docs/example-session.sh checks what it needs before it starts anything, and says in one line
what to do: a port already taken ended it silently, missing npm packages after 40 s of waiting
with only "nothing answers at ..."."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
from pathlib import Path

from .processes import ROOT, command_env, free_port

SCRIPT = ROOT / "docs" / "example-session.sh"


def _run(script: Path, **ports: str) -> subprocess.CompletedProcess:
    env = command_env(PATH=f"{Path(sys.executable).parent}:{command_env()['PATH']}",
                      **{"FHIR_PORT": str(free_port()), "CDS_PORT": str(free_port()), **ports})
    return subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True,
                          timeout=120)


def test_a_port_in_use_is_named_before_anything_starts():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        for variable in ("CDS_PORT", "FHIR_PORT"):
            run = _run(SCRIPT, **{variable: port})
            assert run.returncode == 2 and run.stdout == ""
            [line] = run.stderr.splitlines()
            assert f"port {port} " in line and f"{variable}=" in line


def test_missing_npm_packages_are_named_with_the_command_that_installs_them(tmp_path):
    """The script as it is in a clone where `npm ci` has not run (no node_modules)."""
    (tmp_path / "docs").mkdir()
    shutil.copy(SCRIPT, tmp_path / "docs")
    shutil.copytree(ROOT / "tests" / "fhir_server", tmp_path / "tests" / "fhir_server",
                    ignore=shutil.ignore_patterns("node_modules"))
    run = _run(tmp_path / "docs" / SCRIPT.name)
    assert run.returncode == 2 and run.stdout == ""
    [line] = run.stderr.splitlines()
    assert "npm ci --prefix tests/fhir_server" in line
