"""Shared test fixtures: the demo knowledge, the app, and the example hook requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cds_hooks.app import create_app
from cds_hooks.settings import Settings
from plugin.knowledge import Knowledge, load_knowledge

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load_fixture(name: str) -> dict:
    """A JSON file under fixtures/ (`hooks/missing-zcode.json`)."""
    return json.loads((FIXTURES / name).read_text())


def hook_fixture(name: str) -> dict:
    return load_fixture(f"hooks/{name}.json")


@pytest.fixture(scope="session")
def knowledge() -> Knowledge:
    return load_knowledge()


@pytest.fixture
def app(knowledge):
    return create_app(Settings(), knowledge)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="session")
def fhir_server():
    """A real FHIR R4 server on loopback (tests/fhir_server: Medplum's router, in memory) that
    requires a bearer token. Yields (base URL, token). Skipped when Node or the server's npm
    packages are missing, unless MOLDX_CDS_REQUIRE_FHIR_SERVER is set (as .ci/run does)."""
    import os
    import shutil
    import signal
    import socket
    import subprocess
    import time

    import requests

    folder = Path(__file__).parent / "fhir_server"
    node = shutil.which("node")
    if not node or not (folder / "node_modules").is_dir():
        message = "the FHIR server needs node and `npm ci --prefix tests/fhir_server`"
        if os.environ.get("MOLDX_CDS_REQUIRE_FHIR_SERVER"):
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    token = "integration-test-token"
    process = subprocess.Popen(
        [node, "--experimental-websocket", "server.mjs"], cwd=folder,
        env={**os.environ, "PORT": str(port), "FHIR_TOKEN": token},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}/fhir/R4"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{base}/Patient", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"the FHIR server did not start:\n{process.stdout.read().decode()}")
            time.sleep(0.1)
    yield base, token
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=10)


def post_hook(client, request: dict | str) -> dict:
    """POST a hook request (or the fixture of that name) to the service its hook names; the
    response body."""
    request = hook_fixture(request) if isinstance(request, str) else request
    service = {"order-sign": "moldx-order-sign", "order-select": "moldx-order-select"}
    response = client.post(f"/cds-services/{service[request['hook']]}", json=request)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


@pytest.fixture(scope="session")
def knowledge_with_v25(tmp_path_factory) -> Knowledge:
    """The demo knowledge with a version 25 of A57901 from 2026-01-01 (version 24 ends
    2025-12-31) that adds C78.01 to the covered codes and lists R91.8 as not covered."""
    from tests.mcd_packs import add_version, copy_knowledge

    folder = copy_knowledge(tmp_path_factory.mktemp("v25") / "knowledge")
    add_version(folder / "mcd", "57901", "25", "2026-01-01", "2025-12-31",
                add_covered=("C78.01",), noncovered=("R91.8",))
    return load_knowledge(folder)
