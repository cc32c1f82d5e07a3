"""The store on both backends (a SQLite file and a real PostgreSQL server): its migrations,
the audit trail a hook call and feedback leave in it, and replay protection across workers."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, inspect, select

from cds_hooks.service.app import create_app
from cds_hooks.store import migrate
from cds_hooks.store.db import Base, FindingRow, HookCall, IssuedSuggestionRow, Store
from tests.conftest import SignedClient, hook_fixture, stored

SIGN = "/cds-services/moldx-order-sign"
WHEN = "2026-03-02T15:04:05Z"


@pytest.fixture
def app_on(settings, knowledge, keys):
    """Apps on a given store, their writers stopped at the end."""
    apps = []

    def make(store_url, **changes):
        app = create_app(replace(settings, store_url=store_url, **changes), knowledge)
        app.test_client_class = SignedClient
        SignedClient.keys = keys
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["moldx_cds"].recorder.close()


def test_migrations_make_the_schema_the_models_describe(store_url):
    store = Store(store_url)
    assert migrate.current(store) is None
    assert migrate.upgrade(store) == (None, migrate.head())
    assert migrate.upgrade(store) == (migrate.head(), migrate.head())  # a second start
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_a_store_made_before_migrations_is_stamped_and_upgraded(store_url):
    """A database created by the earlier create_all (revision 0001's tables, no
    alembic_version) keeps its rows and gets the audit columns."""
    store = Store(store_url)
    migrate.upgrade(store, migrate.FIRST)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE alembic_version")
        connection.exec_driver_sql(
            "INSERT INTO hook_calls (hook_instance, service, hook, orders, knowledge_version, "
            "received_at, duration_ms) VALUES ('h-1', 'moldx-order-sign', 'order-sign', '[]', "
            "'v1', '2026-01-01 00:00:00', 1.5)")
    assert migrate.upgrade(store) == (migrate.FIRST, migrate.head())
    with store.session() as session:
        [call] = session.scalars(select(HookCall)).all()
    assert (call.hook_instance, call.patient, call.record_id) == ("h-1", None, None)


def test_a_hook_call_leaves_its_audit_trail(store_url, app_on, knowledge):
    app = app_on(store_url)
    body = hook_fixture("missing-zcode")
    answer = app.test_client().post(SIGN, json=body).json
    [card] = answer["cards"]
    [action] = answer["systemActions"]
    store = stored(app)
    with store.session() as session:
        [call] = session.scalars(select(HookCall)).all()
        [finding] = session.scalars(select(FindingRow)).all()
        [suggestion] = session.scalars(select(IssuedSuggestionRow)).all()
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    assert (call.hook_instance, call.service, call.patient) == (
        body["hookInstance"], "moldx-order-sign", body["context"]["patientId"])
    assert json.loads(call.orders) == ["ServiceRequest/sr-1"]
    assert call.knowledge_version == knowledge.version and call.duration_ms > 0
    assert json.loads(call.actions) == [{"type": "update", "resource": "ServiceRequest/sr-1",
                                         "description": action["description"]}]
    assert (finding.rule, finding.severity, finding.order_ref, finding.card_uuid) == (
        "missing-zcode", "warning", "ServiceRequest/sr-1", card["uuid"])
    assert (finding.test_code, finding.list_price) == (row.test_code, row.list_price_usd)
    assert suggestion.label == card["suggestions"][0]["label"]
    # Ids only: nothing of the patient but its id, no resource bodies.
    with store.engine.connect() as connection:
        dumped = json.dumps([list(map(str, r)) for table in Base.metadata.sorted_tables
                             for r in connection.execute(select(table))])
    assert "Patient/" not in dumped.replace(body["context"]["patientId"], "")
    assert '"resourceType"' not in dumped


def test_feedback_is_kept_with_its_reason_and_comment(store_url, app_on):
    app = app_on(store_url)
    client = app.test_client()
    [card] = client.post(SIGN, json=hook_fixture("not-payable")).json["cards"]
    reason = card["overrideReasons"][0]
    assert client.post(SIGN + "/feedback", json={"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"reason": {"system": reason["system"], "code": reason["code"]},
                            "userComment": "ABN on file"}},
        {"card": "not-ours", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "?"}}]}).status_code == 200
    store = stored(app)
    [kept] = store.feedback(card["uuid"])
    assert (kept["known_card"], kept["override_code"], kept["override_comment"]) == (
        True, reason["code"], "ABN on file")
    assert store.feedback("not-ours")[0]["known_card"] is False


def test_a_retried_call_keeps_its_cards_once_and_a_replayed_batch_nothing_twice(
        store_url, app_on):
    app = app_on(store_url)
    client = app.test_client()
    body = hook_fixture("missing-zcode")
    client.post(SIGN, json=body)
    client.post(SIGN, json=body)  # the EHR retries: same hookInstance, same card uuids
    store = stored(app)
    assert len(store.cards(body["hookInstance"])) == 1
    with store.session() as session:
        calls = session.scalars(select(HookCall)).all()
    assert len(calls) == 2
    # The writer replays a batch after a failure in mid-write: record ids make that harmless.
    record = {"kind": "call", "id": calls[0].record_id, "at": "2026-03-02T00:00:00+00:00",
              "service": "moldx-order-sign", "hook": "order-sign", "hook_instance": "x",
              "orders": [], "knowledge_version": "v", "ms": 1.0, "findings": [], "cards": []}
    store.write([record])
    with store.session() as session:
        assert session.scalar(select(func.count()).select_from(HookCall)) == 2


def test_a_token_replayed_to_another_worker_is_refused(store_url, app_on, keys):
    """Two apps on one store stand for two gunicorn workers (or replicas)."""
    first = app_on(store_url).test_client()
    second = app_on(store_url).test_client()
    headers = {"Authorization": "Bearer " + keys.sign("http://localhost" + SIGN)}
    body = hook_fixture("all-correct")
    assert first.post(SIGN, json=body, headers=headers).status_code == 200
    replay = second.post(SIGN, json=body, headers=headers)
    assert replay.status_code == 401
    assert "replayed" in replay.json["issue"][0]["diagnostics"]


def test_the_tables_are_the_ones_documented(store_url):
    store = Store(store_url)
    migrate.upgrade(store)
    engine = create_engine(store_url)
    assert set(inspect(engine).get_table_names()) == {
        "alembic_version", "hook_calls", "findings", "cards", "suggestions", "feedback",
        "token_uses", "call_orders", "order_codes", "remittances", "remittance_lines",
        "claim_lines"}
    engine.dispose()
