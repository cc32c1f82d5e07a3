"""The store going away: answers never wait on it or fail because of it, the failure is logged
and counted, and nothing accepted is lost (on a SQLite file and a real PostgreSQL server)."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cds_hooks.service.app import create_app
from cds_hooks.store import migrate
from cds_hooks.store.db import FeedbackRow, HookCall, Store
from cds_hooks.store.recorder import Recorder
from tests.conftest import SignedClient, hook_fixture

SIGN = "/cds-services/moldx-order-sign"
WHEN = "2026-03-02T15:04:05Z"
FIXTURES = ("missing-zcode", "mismatched-zcode", "stale-code", "not-payable", "all-correct",
            "unknown-test", "mismatched-cpt")


def metric(client, name: str, **labels: str) -> float:
    """A value of GET /metrics, as Prometheus would scrape it (0 when not there yet)."""
    text = client.get("/metrics").get_data(as_text=True)
    wanted = ",".join(f'{k}="{v}"' for k, v in labels.items())
    match = re.search(rf"^{name}\{{{wanted}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def count(store: Store, table) -> int:
    with store.session() as session:
        return session.scalar(select(func.count()).select_from(table))


def waiting_for(check, seconds: float = 30) -> bool:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_the_store_made_unreachable_mid_run_fails_no_answer_and_loses_nothing(
        store_url, outage, settings, knowledge, keys, caplog):
    app = create_app(replace(settings, store_url=store_url, store_timeout=0.5), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    client = app.test_client()
    runtime = app.extensions["moldx_cds"]
    errors_before = metric(client, "moldx_cds_store_errors_total", operation="write")

    for name in FIXTURES[:3]:
        assert client.post(SIGN, json=hook_fixture(name)).status_code == 200
    assert runtime.recorder.flush()
    assert count(runtime.store, HookCall) == 3

    outage.start()
    answers = []
    for name in FIXTURES[3:]:
        body = hook_fixture(name)
        response = client.post(SIGN, json=body)
        assert response.status_code == 200, response.json
        answers.append(response.json)
    [card] = answers[0]["cards"]  # not-payable
    feedback = client.post(SIGN + "/feedback", json={"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "ABN on file"}}]})
    assert feedback.status_code == 200
    # The writer fails, logs it, counts it; the records wait in the spool.
    assert waiting_for(lambda: metric(client, "moldx_cds_store_errors_total",
                                      operation="write") > errors_before)
    assert runtime.recorder.pending() > 0
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert "is unreachable" in caplog.text

    outage.end()
    assert runtime.recorder.flush(timeout=60), "the spooled records were not replayed"
    assert count(runtime.store, HookCall) == len(FIXTURES)
    assert count(runtime.store, FeedbackRow) == 1
    assert runtime.store.feedback(card["uuid"])[0]["known_card"] is True
    assert waiting_for(lambda: client.get("/readyz").status_code == 200, 10)
    runtime.recorder.close()


WORKER = textwrap.dedent("""
    import json, os, sys
    from cds_hooks.store.recorder import Recorder
    from cds_hooks.store.db import Store
    recorder = Recorder(Store(sys.argv[1], timeout=0.5), sys.argv[2])
    for record in json.loads(sys.stdin.read()):
        assert recorder.submit(record)
    os._exit(0)  # dies without stopping its writer or closing its spool
""")


def call_record(number: int) -> dict:
    return {"kind": "call", "id": f"00000000-0000-4000-8000-{number:012d}",
            "at": "2026-03-02T10:00:00+00:00", "service": "moldx-order-sign",
            "hook": "order-sign", "hook_instance": f"h-{number}", "issuer": None,
            "patient": "pat-1", "orders": ["ServiceRequest/sr-1"], "knowledge_version": "v",
            "ms": 1.0, "findings": [], "cards": [], "actions": []}


def test_records_of_a_worker_that_died_while_the_store_was_down_are_replayed(
        store_url, outage, tmp_path):
    """A real process accepts records while the store is down and dies; a writer of another
    process adopts its spool file once the store is back."""
    store = Store(store_url, timeout=0.5)
    migrate.upgrade(store)
    store.dispose()
    spool = tmp_path / "spool"
    outage.start()
    records = [call_record(n) for n in range(40)]
    subprocess.run([sys.executable, "-c", WORKER, store_url, str(spool)],
                   input=json.dumps(records), text=True, check=True, timeout=60,
                   cwd=Path(__file__).resolve().parents[3])
    [left] = spool.glob("spool-*.jsonl")
    assert len(left.read_text().splitlines()) == 40
    outage.end()

    survivor = Recorder(store, spool)
    survivor.start()
    assert waiting_for(lambda: not left.exists())
    assert count(store, HookCall) == 40
    survivor.close()


def test_a_record_the_database_refuses_is_set_aside_and_the_rest_written(store_url, tmp_path):
    store = Store(store_url)
    migrate.upgrade(store)
    recorder = Recorder(store, tmp_path / "spool")
    bad = copy.deepcopy(call_record(2))
    bad["findings"] = [{"order": "ServiceRequest/sr-1", "rule": "r" * 500,  # over 100 chars
                        "severity": "warning"}]
    good = [call_record(1), call_record(3)]
    for record in (good[0], bad, good[1]):
        assert recorder.submit(record)
    assert recorder.flush()
    if store.dialect == "postgresql":  # SQLite does not enforce VARCHAR lengths
        assert count(store, HookCall) == 2
        [aside] = (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()
        assert json.loads(json.loads(aside)["record"])["id"] == bad["id"]
    else:
        assert count(store, HookCall) == 3
    recorder.close()


def test_a_spooled_record_missing_a_field_is_set_aside_and_the_rest_written(store_url,
                                                                            tmp_path):
    """A line the store cannot read (here a call without its hook) must not hold back the
    records behind it: it goes to rejected.jsonl, as a line that is not JSON does."""
    store = Store(store_url)
    migrate.upgrade(store)
    recorder = Recorder(store, tmp_path / "spool")
    bad = call_record(2)
    del bad["hook"]
    for record in (call_record(1), bad, call_record(3)):
        assert recorder.submit(record)
    assert recorder.flush(timeout=5)
    assert count(store, HookCall) == 2
    [aside] = (tmp_path / "spool" / "rejected.jsonl").read_text().splitlines()
    assert json.loads(json.loads(aside)["record"])["id"] == bad["id"]
    recorder.close()


def test_feedback_goes_straight_to_the_store_when_the_spool_cannot_be_written(
        settings, knowledge, keys, tmp_path):
    (tmp_path / "blocked").write_text("a file where the spool folder should be")
    app = create_app(replace(settings, spool_dir=tmp_path / "blocked" / "spool"), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    client = app.test_client()
    assert client.post(SIGN, json=hook_fixture("missing-zcode")).status_code == 200
    response = client.post(SIGN + "/feedback", json={"feedback": [
        {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "x"}}]})
    assert response.status_code == 200
    assert len(app.extensions["moldx_cds"].store.feedback("c-1")) == 1
    assert metric(client, "moldx_cds_records_total", outcome="dropped") >= 1  # the hook call


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_feedback_that_nothing_can_keep_is_a_503_to_retry(store_url, outage, settings,
                                                          knowledge, keys, tmp_path):
    (tmp_path / "blocked").write_text("a file where the spool folder should be")
    app = create_app(replace(settings, store_url=store_url, store_timeout=0.2,
                             spool_dir=tmp_path / "blocked" / "spool"), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    outage.start()
    response = app.test_client().post(SIGN + "/feedback", json={"feedback": [
        {"card": "c-1", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "x"}}]})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
