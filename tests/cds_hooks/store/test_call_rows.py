"""The audit writer's own inserts (cds_hooks/store/bulk_inserts.py) against what SQLAlchemy's
ORM stores for the same values, on both backends: every column of every row, as the
database holds it (byte for byte on SQLite, where dates, times and amounts are stored as
SQLAlchemy's types write them) and as the readers get it back, and the batch written twice
kept once."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cds_hooks.store import migrate
from cds_hooks.store.db import (
    Base,
    CallOrderRow,
    FindingRow,
    HookCall,
    IssuedCardRow,
    IssuedSuggestionRow,
    OrderCodeRow,
    Store,
    StoreError,
    utc,
)

TABLES = (HookCall, FindingRow, CallOrderRow, OrderCodeRow, IssuedCardRow,
          IssuedSuggestionRow)
EPIC = "urn:oid:1.2.840.114350.1.13.5501.2.7.2.696580"


def call(at: str, *, prices=("12.34", "1200.00", None)) -> dict:
    """A call record as cds_hooks/service/audit.py makes them, with the values that could be
    stored differently: a time with and without microseconds, prices with cents, a whole
    amount and none, a date of service and none, text beyond ASCII, absent ids."""
    cards = [str(uuid.uuid4()) for _ in range(2)]
    orders = ["ServiceRequest/sr-1", "ServiceRequest/sr-2", "ServiceRequest/sr-3"]
    return {
        "kind": "call", "id": str(uuid.uuid4()), "at": at, "service": "moldx-order-sign",
        "hook": "order-sign", "hook_instance": str(uuid.uuid4()),
        "issuer": "https://ehr.test/cds-client", "patient": None, "orders": orders,
        "knowledge_version": "8d6925e43890", "ms": 1.37,
        "findings": [{"order": o, "rule": "missing-zcode", "severity": "warning",
                      "test": "CMD-LUNG50", "list_price": p, "card": c}
                     for o, p, c in zip(orders, prices, [*cards, None], strict=True)],
        "cards": [{"uuid": c, "orders": [o], "rules": ["missing-zcode", "stale-code"],
                   "indicator": "warning", "type": "claim",
                   "summary": "Z-code ZM7S1 ended 2025-12-31 — use ZM7S3 (Δ, ü, 𝄞)",
                   "suggestions": [{"uuid": str(uuid.uuid4()), "label": None if n else "Add",
                                    "actions": [f"{o}: add CPT 81445 «ZL5H2»"]}]}
                  for n, (c, o) in enumerate(zip(cards, orders, strict=False))],
        "order_facts": [{"order": o, "test": "CMD-MSI", "list_price": p, "cpt": "81301",
                         "date": "2026-02-20" if p else None, "payer": "Medicare Part B",
                         "requester": None if p else "Practitioner/pract-1",
                         "evaluated": ["one-service", "stale-code"],
                         # the EHR's own codes: an orderable named and not, a display or none
                         "codes": [{"system": EPIC, "code": "40012345", "display": "Lung ü",
                                    "named": True},
                                   {"system": "http://loinc.org", "code": "81247-9",
                                    "display": None, "named": False}] if p else []}
                        for o, p in zip(orders, prices, strict=True)],
        "actions": [{"type": "update", "resource": orders[0], "description": "añadir"}]}


def as_json(value) -> str:
    """A JSON column's text as the writer has always made it (orjson: compact, UTF-8)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def orm_rows(record: dict, call_id: int) -> list[Base]:
    """The record's rows as ORM objects holding the Python values the columns mean: what
    SQLAlchemy's own types store."""
    price = lambda p: Decimal(p) if p else None  # noqa: E731
    rows: list[Base] = [HookCall(
        id=call_id, record_id=record["id"], hook_instance=record["hook_instance"],
        service=record["service"], hook=record["hook"], issuer=record["issuer"],
        patient=record["patient"], orders=as_json(record["orders"]),
        actions=as_json(record["actions"]), knowledge_version=record["knowledge_version"],
        received_at=datetime.fromisoformat(record["at"]), duration_ms=record["ms"])]
    rows += [FindingRow(call_id=call_id, order_ref=f["order"], rule=f["rule"],
                        severity=f["severity"], test_code=f["test"],
                        list_price=price(f["list_price"]), card_uuid=f["card"])
             for f in record["findings"]]
    rows += [CallOrderRow(call_id=call_id, order_ref=o["order"], test_code=o["test"],
                          list_price=price(o["list_price"]), cpt=o["cpt"],
                          date_of_service=date.fromisoformat(o["date"]) if o["date"] else None,
                          payer=o["payer"], requester=o["requester"],
                          evaluated=as_json(o["evaluated"]))
             for o in record["order_facts"]]
    rows += [OrderCodeRow(call_id=call_id, order_ref=o["order"], system=c["system"],
                          code=c["code"], display=c["display"], named=c["named"])
             for o in record["order_facts"] for c in o["codes"]]
    for c in record["cards"]:
        rows.append(IssuedCardRow(
            uuid=c["uuid"], call_id=call_id, service=record["service"],
            hook_instance=record["hook_instance"], orders=as_json(c["orders"]),
            rules=as_json(c["rules"]), indicator=c["indicator"], card_type=c["type"],
            summary=c["summary"]))
        rows += [IssuedSuggestionRow(uuid=s["uuid"], card_uuid=c["uuid"], label=s["label"],
                                     actions=as_json(s["actions"]))
                 for s in c["suggestions"]]
    return rows


def empty(url: str) -> Store:
    store = Store(url)
    migrate.upgrade(store)
    return store


def stored(store: Store) -> dict[str, list[tuple]]:
    """Every table's rows as the driver returns them."""
    found = {}
    with store.engine.connect() as connection:
        for model in TABLES:
            table = model.__table__
            key = ", ".join(c.name for c in table.primary_key)
            found[table.name] = [tuple(row) for row in connection.exec_driver_sql(
                f"SELECT * FROM {table.name} ORDER BY {key}")]
    return found


@pytest.fixture
def second_url(store_url):
    """Another empty database on the same backend."""
    if store_url.startswith("sqlite"):
        yield store_url.replace("store.sqlite", "reference.sqlite")
        return
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    name = f"{make_url(store_url).database}_ref"
    admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    yield make_url(store_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_the_writer_stores_each_column_as_the_orm_does(store_url, second_url):
    records = [call("2026-03-02T15:04:05+00:00"),
               call("2026-03-02T15:04:05.000120+00:00", prices=(None, "0.50", "981.00"))]
    written, reference = empty(store_url), empty(second_url)
    written.write(records)
    with reference.session() as session:
        for number, record in enumerate(records, start=1):
            for row in orm_rows(record, number):
                session.add(row)
                session.flush()  # parents first: the models have no relationships
    assert stored(written) == stored(reference)
    assert sum(len(rows) for rows in stored(written).values()) == 2 * (1 + 3 + 3 + 4 + 2 + 2)


def test_the_readers_get_back_the_values_of_the_record(store_url):
    record = call("2026-03-02T15:04:05.000120+00:00")
    store = empty(store_url)
    store.write([record])
    with store.session() as session:
        [row] = session.scalars(select(HookCall)).all()
        findings = session.scalars(select(FindingRow).order_by(FindingRow.id)).all()
        orders = session.scalars(select(CallOrderRow).order_by(CallOrderRow.id)).all()
    assert utc(row.received_at) == datetime(2026, 3, 2, 15, 4, 5, 120, tzinfo=UTC)
    assert (row.duration_ms, row.patient, json.loads(row.actions)) == (
        1.37, None, record["actions"])
    assert [f.list_price for f in findings] == [Decimal("12.34"), Decimal("1200.00"), None]
    assert [(o.list_price, o.date_of_service, o.requester) for o in orders] == [
        (Decimal("12.34"), date(2026, 2, 20), None),
        (Decimal("1200.00"), date(2026, 2, 20), None),
        (None, None, "Practitioner/pract-1")]
    [first, second] = store.cards(record["hook_instance"])
    card = record["cards"][0]
    assert (first.uuid, first.orders, first.rules) == (
        card["uuid"], tuple(card["orders"]), tuple(card["rules"]))
    assert first.suggestions == (card["suggestions"][0]["uuid"],)
    assert store.card_owners([card["uuid"]]) == {
        card["uuid"]: ("moldx-order-sign", "https://ehr.test/cds-client")}


def counts(store: Store) -> list[int]:
    with store.session() as session:
        return [session.scalar(select(func.count()).select_from(m)) for m in TABLES]


def test_a_batch_written_again_is_kept_once(store_url):
    store = empty(store_url)
    batch = [call("2026-03-02T15:04:05+00:00"), call("2026-03-02T15:04:06+00:00")]
    store.write(batch)
    once = counts(store)
    store.write(batch)
    store.write([*batch, batch[0]])  # and a record twice in one batch
    assert counts(store) == once == [2, 6, 6, 8, 4, 4]


def test_a_retried_call_in_the_same_batch_keeps_its_cards_once(store_url):
    store = empty(store_url)
    first = call("2026-03-02T15:04:05+00:00")
    retry = json.loads(json.dumps(first)) | {"id": str(uuid.uuid4())}  # same hookInstance
    store.write([first, retry])
    assert counts(store) == [2, 6, 6, 8, 2, 2]


def test_a_batch_that_fails_in_mid_write_keeps_nothing_and_is_kept_once_after(store_url):
    store = empty(store_url)
    good = call("2026-03-02T15:04:05+00:00")
    bad = call("2026-03-02T15:04:06+00:00")
    # Its second card's suggestion has the first's uuid: the last insert of the batch fails.
    bad["cards"][1]["suggestions"][0]["uuid"] = bad["cards"][0]["suggestions"][0]["uuid"]
    with pytest.raises(StoreError) as failed:
        store.write([good, bad])
    assert failed.value.transient is False
    assert counts(store) == [0, 0, 0, 0, 0, 0]
    bad["cards"][1]["suggestions"][0]["uuid"] = str(uuid.uuid4())
    store.write([good])
    store.write([good, bad])  # the writer replays the batch
    assert counts(store) == [2, 6, 6, 8, 4, 4]
