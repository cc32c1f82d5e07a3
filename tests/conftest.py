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
