"""The store's two backends for tests: a SQLite file, and a real PostgreSQL server (a fresh
database per test on the server MOLDX_CDS_TEST_POSTGRES_URL names; `.ci/postgres` starts one
and prints that URL). Without the URL the PostgreSQL cases skip, unless
MOLDX_CDS_REQUIRE_POSTGRES is set (as .ci/run does), when they fail.

`outage` makes a store unreachable in the middle of a test, for real: PostgreSQL stops
accepting connections to the database and ends the open ones; a SQLite file is locked by
another connection holding a write transaction, so every write times out."""

from __future__ import annotations

import os
import sqlite3
import uuid
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

POSTGRES_URL = "MOLDX_CDS_TEST_POSTGRES_URL"
REQUIRE_POSTGRES = "MOLDX_CDS_REQUIRE_POSTGRES"


def postgres_base_url() -> str:
    url = os.environ.get(POSTGRES_URL)
    if not url:
        message = (f"the PostgreSQL store tests need {POSTGRES_URL} "
                   "(export MOLDX_CDS_TEST_POSTGRES_URL=\"$(bash .ci/postgres)\")")
        if os.environ.get(REQUIRE_POSTGRES):
            pytest.fail(message)
        pytest.skip(message)
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A store URL on each backend, to an empty database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.sqlite'}"
        return
    base = postgres_base_url()
    name = f"moldx_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(base).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@dataclass
class Outage:
    url: str
    active: bool = False
    _lock: sqlite3.Connection | None = None

    def start(self) -> None:
        self.active = True
        url = make_url(self.url)
        if url.get_backend_name() == "sqlite":
            self._lock = sqlite3.connect(url.database, isolation_level=None)
            self._lock.execute("BEGIN IMMEDIATE")  # holds the write lock until rollback
            return
        with self._admin() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{url.database}" ALLOW_CONNECTIONS false')
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                f"WHERE datname = '{url.database}' AND pid <> pg_backend_pid()")

    def end(self) -> None:
        self.active = False
        if self._lock is not None:
            self._lock.rollback()
            self._lock.close()
            self._lock = None
            return
        with self._admin() as connection:
            connection.exec_driver_sql(
                f'ALTER DATABASE "{make_url(self.url).database}" ALLOW_CONNECTIONS true')

    def _admin(self):
        return create_engine(postgres_base_url(), isolation_level="AUTOCOMMIT",
                             poolclass=NullPool).connect()


@pytest.fixture
def outage(store_url):
    cut = Outage(store_url)
    yield cut
    if cut.active:
        cut.end()
