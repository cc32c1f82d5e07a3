"""No 500 from input: a nested array of depth 256 inside an order is a 400 naming the field,
and the audit trail keeps only answers that were sent."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import hook_fixture

from .harness import serve


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    with serve(tmp_path_factory.mktemp("nesting")) as running:
        yield running


def nested(depth: int) -> list:
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def calls_kept(service) -> int:
    with sqlite3.connect(service.folder / "moldx-cds.sqlite") as db:
        return db.execute("SELECT count(*) FROM hook_calls").fetchone()[0]


def test_an_array_nested_256_deep_in_an_order_is_a_400_naming_the_field(service):
    body = hook_fixture("missing-zcode")
    body["context"]["draftOrders"]["entry"][0]["resource"]["note"] = [{"text": "x",
                                                                      "x": nested(256)}]
    response = service.post(body)
    assert response.status_code == 400, response.text
    issue = response.json()["issue"][0]
    assert issue["expression"][0].startswith("context.draftOrders.entry[0].resource.note[0].x")
    assert "nested" in issue["diagnostics"]


def test_the_audit_trail_keeps_the_answers_sent_and_no_other(service):
    """The refused call leaves no record; an answered one does (written by the worker's
    recorder: polled, bounded)."""
    import time

    before = calls_kept(service)
    body = hook_fixture("missing-zcode")
    body["context"]["draftOrders"]["entry"][0]["resource"]["note"] = [{"x": nested(256)}]
    assert service.post(body).status_code == 400
    assert service.post(hook_fixture("missing-zcode")).status_code == 200
    for _ in range(100):
        if calls_kept(service) > before:
            break
        time.sleep(0.1)
    time.sleep(1)  # had the refused call been spooled, it would be written by now too
    assert calls_kept(service) == before + 1
