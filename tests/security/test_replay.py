"""A token id is never accepted twice, on either store backend, however long it is: two
workers (two Store objects on one database) asked about the same id accept it at most once.
The service refuses ids over 255 characters before they reach the store
(test_token_binding.py); the store must not be the weak link if one gets through."""

from __future__ import annotations

import time

import pytest

from cds_hooks.store import migrate
from cds_hooks.store.db import Store


@pytest.mark.parametrize("length", [36, 255, 501, 5000])
def test_a_token_id_is_accepted_at_most_once_by_two_workers(store_url, length):
    first, second = Store(store_url), Store(store_url)
    migrate.upgrade(first)
    jti = "j" * length
    expires = time.time() + 330
    answers = [first.first_use("https://ehr.test", jti, expires),
               second.first_use("https://ehr.test", jti, expires),
               first.first_use("https://ehr.test", jti, expires)]
    assert answers.count(True) <= 1, answers
    first.dispose()
    second.dispose()


@pytest.mark.parametrize("store_url", ["postgresql"], indirect=True)  # a server to drop it
def test_token_ids_are_stored_again_after_the_database_drops_the_connection(store_url,
                                                                            monkeypatch):
    """Each request thread keeps one connection for token ids: one the database closed is
    replaced, and the ids recorded after that are refused by another worker again."""
    from sqlalchemy import text

    import cds_hooks.store.db as db

    monkeypatch.setattr(db, "TOKEN_RETRY_SECONDS", 0)  # try the database again at once
    worker, other = Store(store_url), Store(store_url)
    migrate.upgrade(worker)
    expires = time.time() + 330
    assert worker.first_use("https://ehr.test", "before", expires)
    with other.session() as session:
        session.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                             "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    worker.first_use("https://ehr.test", "during", expires)  # may fall back to memory
    assert worker.first_use("https://ehr.test", "after", expires)
    assert not other.first_use("https://ehr.test", "after", expires)
    assert not other.first_use("https://ehr.test", "before", expires)
    worker.dispose()
    other.dispose()
