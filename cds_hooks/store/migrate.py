"""The store's schema: Alembic migrations shipped in the package (cds_hooks/migrations).

`moldx-cds db upgrade` applies them; so does the service at start unless
MOLDX_CDS_STORE_AUTO_UPGRADE=off. Several processes may start at once (gunicorn workers,
replicas): the upgrade holds a lock meanwhile (a PostgreSQL advisory lock; for SQLite, a lock
file beside the database), so one migrates and the others find the schema done.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect
from sqlalchemy.exc import SQLAlchemyError

from .db import Store, StoreError

log = logging.getLogger("moldx_cds.migrate")

FIRST = "0001"  # the tables as they were before migrations existed
_LOCK_KEY = 0x6D6F6C6478  # "moldx": the advisory lock that serializes upgrades


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", "cds_hooks.store:migrations")
    config.attributes["connection"] = connection
    return config


def head() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def current(store: Store) -> str | None:
    """The revision the database is at; None for an empty database."""
    try:
        with store.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as bad:
        raise StoreError(str(bad).splitlines()[0]) from bad


def upgrade(store: Store, revision: str = "head") -> tuple[str | None, str]:
    """Bring the schema to `revision`; returns (revision before, revision after)."""
    try:
        with _serialized(store), store.engine.begin() as connection:
            before = MigrationContext.configure(connection).get_current_revision()
            config = _config(connection)
            if before is None and inspect(connection).has_table("hook_calls"):
                # Made by create_all before migrations: it has the first revision's tables.
                command.stamp(config, FIRST)
                before = FIRST
            command.upgrade(config, revision)
            after = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as bad:
        raise StoreError(str(bad).splitlines()[0]) from bad
    if before != after:
        log.warning("store schema upgraded from %s to %s at %s", before or "nothing", after,
                    store.display_url(), extra={"event": "store-upgraded"})
    return before, after


@contextmanager
def _serialized(store: Store) -> Iterator[None]:
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({_LOCK_KEY})")
            try:
                yield
            finally:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({_LOCK_KEY})")
                connection.commit()
    elif store.dialect == "sqlite" and store.engine.url.database not in (None, "", ":memory:"):
        with open(Path(store.engine.url.database + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
    else:
        yield
