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
