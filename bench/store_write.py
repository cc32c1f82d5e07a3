"""CPU per call record in the audit writer: spool lines parsed and written to the store.

Records are made the way the service makes them (cds_hooks.service.audit.call_record on the
decision and response of bench/request.py's 3-order order-sign, a new hookInstance each) and
spooled as the Recorder spools them. Timed, in batches as the writer thread takes them: the
Recorder's parse of the lines and Store.write, against the floor in the same run, alternated:
the driver's own bulk path (SQLite: executemany; PostgreSQL: COPY) with the same rows, already
built as tuples, into an empty copy of the schema, and its commit: what the database and its
driver cost, the least any writer pays. "Above the floor" is the writer's own Python work.
Run: python -m bench.store_write
[--records N] [--batch B] [--rounds R] [--store postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from cds_hooks.service import audit
from cds_hooks.service.app import freeze_long_lived
from cds_hooks.service.models import HookRequest
from cds_hooks.store import migrate
from cds_hooks.store.db import Store
from cds_hooks.store.recorder import Recorder

from .order_sign import OrderSign
from .request import build


def call_records(count: int) -> list[dict[str, Any]]:
    """`count` records of the order-sign request, as cds_hooks.service.app.call_service
    makes them (each with its own hookInstance, so its own card uuids)."""
    order_sign = OrderSign()
    service = order_sign.service
    body = build()
    records = []
    for _ in range(count):
        body["hookInstance"] = str(uuid.uuid4())
        request = HookRequest.model_validate(body)
        decision, response = order_sign.answer(request)
        records.append(audit.call_record(
            service=service.id, hook=service.hook, hook_instance=request.hookInstance,
            issuer="https://ehr.example.org/cds-client", patient=request.context.patientId,
            decision=decision, response=response, ms=1.25, rules=service.rules))
    return records


def spooled(records: list[dict[str, Any]]) -> bytes:
    return b"".join(orjson.dumps(r, default=str) + b"\n" for r in records)


class Writer:
    """The writer thread's work on a batch of spool lines: parse, then Store.write."""

    def __init__(self, store: Store):
        self.store = store
        self.recorder = Recorder(store, Path(tempfile.mkdtemp()))

    def __call__(self, lines: bytes) -> None:
        self.store.write(list(self.recorder._parse(lines)))


class Floor:
    """The least a writer must do: hand the driver the rows already built, by its fastest
    bulk path (SQLite: executemany; PostgreSQL: COPY), and commit."""

    def __init__(self, store: Store, rows: dict[str, list[tuple]]):
        self.connection = store.engine.raw_connection()
        self.sqlite = store.dialect == "sqlite"
        self.tables = [table for table, r in rows.items() if r]
        self.inserts = {table: f"INSERT INTO {table} VALUES ({', '.join('?' * len(r[0]))})"
                        for table, r in rows.items() if r}

    def __call__(self, rows: dict[str, list[tuple]]) -> None:
        cursor = self.connection.cursor()
        for table in self.tables:
            if self.sqlite:
                cursor.executemany(self.inserts[table], rows[table])
                continue
            with cursor.copy(f"COPY {table} FROM STDIN") as copy:
                for row in rows[table]:
                    copy.write_row(row)
        cursor.close()
        self.connection.commit()


TABLES = ("hook_calls", "findings", "call_orders", "cards", "suggestions")  # parents first


def floor_rows(store: Store) -> dict[str, tuple[list[str], list[tuple]]]:
    """The rows Store.write made of a batch, read back as the driver gives them, with their
    columns' names."""
    with store.engine.connect() as connection:
        found = {table: connection.exec_driver_sql(f"SELECT * FROM {table}") for table in TABLES}
        return {table: (list(rows.keys()), [tuple(r) for r in rows]) for table, rows in
                found.items()}


KEYS = {"id", "call_id", "record_id", "uuid", "card_uuid"}


def renumbered(template: dict[str, tuple[list[str], list[tuple]]], n: int
               ) -> dict[str, list[tuple]]:
    """Batch `n`'s rows for the floor: the template's, with keys of their own (integer ids
    shifted, record ids and uuids new, and what refers to them following)."""
    new: dict[Any, Any] = {}

    def key(value: Any) -> Any:
        if isinstance(value, int):
            return value + (n + 1) * 1_000_000
        return value if value is None else new.setdefault(value, str(uuid.uuid4()))
    return {table: [tuple(key(v) if c in KEYS else v for c, v in zip(columns, row, strict=True))
                    for row in rows] for table, (columns, rows) in template.items()}


CREATED: list[str] = []  # PostgreSQL databases of this run, dropped at its end


def empty_store(url: str | None, folder: Path, name: str) -> Store:
    if url is None:
        store = Store(f"sqlite:///{folder / name}.sqlite")
    else:
        database = f"bench_{name}_{uuid.uuid4().hex[:8]}"
        _admin(url, f'CREATE DATABASE "{database}"')
        CREATED.append(database)
        store = Store(make_url(url).set(database=database).render_as_string(
            hide_password=False))
    migrate.upgrade(store)
    return store


def _admin(url: str, statement: str) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


def measure(records: int, batch: int, rounds: int, url: str | None) -> dict[str, list[float]]:
    """CPU microseconds per record of each round, for the writer and the floor."""
    made = call_records(records)
    freeze_long_lived()  # as the service does once its knowledge is loaded
    batches = [spooled(made[at:at + batch]) for at in range(0, len(made), batch)]
    folder = Path(tempfile.mkdtemp())
    sample = empty_store(url, folder, "sample")
    sample.write(made[:batch])
    template = floor_rows(sample)
    sample.dispose()
    times: dict[str, list[float]] = {"writer": [], "floor": []}
    for round_no in range(rounds):
        writer = Writer(empty_store(url, folder, f"writer{round_no}"))
        floor_store = empty_store(url, folder, f"floor{round_no}")
        floor = Floor(floor_store, {t: rows for t, (_, rows) in template.items()})
        floor_batches = [renumbered(template, n) for n in range(len(batches))]
        for name in ("writer", "floor") if round_no % 2 == 0 else ("floor", "writer"):
            started = time.process_time_ns()
            for n, lines in enumerate(batches):
                if name == "writer":
                    writer(lines)
                else:
                    floor(floor_batches[n])
            times[name].append((time.process_time_ns() - started) / 1000 / len(made))
        floor.connection.close()
        writer.store.dispose()
        floor_store.dispose()
    return times


def report(times: dict[str, list[float]], records: int, batch: int) -> str:
    writer, floor = statistics.median(times["writer"]), statistics.median(times["floor"])
    return (f"| path | CPU us / record (median of {len(times['writer'])} rounds) |\n"
            f"| --- | --- |\n| writer (parse + Store.write) | {writer:.0f} |\n"
            f"| floor (the driver's bulk path with built rows) | {floor:.0f} |\n"
            f"| writer above the floor | {writer - floor:.0f} |\n\n"
            f"writer / floor: {writer / floor:.2f} ({records} records in batches of {batch})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--store", help="a PostgreSQL server URL (default: SQLite files)")
    args = parser.parse_args()
    try:
        print(report(measure(args.records, args.batch, args.rounds, args.store), args.records,
                     args.batch))
    finally:
        for database in CREATED:
            _admin(args.store, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
