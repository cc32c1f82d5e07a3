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
