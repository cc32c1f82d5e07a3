"""The README's serve command, as a separate process answering over real HTTP."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from .conftest import hook_fixture


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command() -> list[str]:
    script = Path(sys.executable).parent / "moldx-cds"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cds_hooks.cli"]


@pytest.fixture(scope="module")
def service():
    port = _free_port()
    process = subprocess.Popen([*_command(), "serve", "--port", str(port)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               env={**os.environ}, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/cds-services", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"moldx-cds serve did not start:\n{process.stdout.read().decode()}")
            time.sleep(0.1)
    yield base
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def test_discovery_over_http(service):
    response = requests.get(f"{service}/cds-services", timeout=5)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert {s["id"] for s in response.json()["services"]} == {"moldx-order-select",
                                                               "moldx-order-sign"}


def test_fixtures_over_http(service, knowledge):
    url = f"{service}/cds-services/moldx-order-sign"
    assert requests.post(url, json=hook_fixture("all-correct"), timeout=5).json() == {
        "cards": []}
    body = requests.post(url, json=hook_fixture("missing-zcode"), timeout=5).json()
    [action] = body["systemActions"]
    codes = {c["code"] for c in action["resource"]["code"]["coding"]}
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    assert {row.cpt, row.zcode} <= codes


def test_bad_input_over_http_is_a_400_not_a_500(service):
    response = requests.post(f"{service}/cds-services/moldx-order-sign", data="{",
                             headers={"Content-Type": "application/json"}, timeout=5)
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
