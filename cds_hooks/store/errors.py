"""What the store raises when it cannot answer."""

from __future__ import annotations


class StoreError(Exception):
    """The store could not answer. `transient`: the database is unreachable, locked or not
    migrated yet, and the same write may succeed later; otherwise the data itself was refused
    (a record the database will never take)."""

    def __init__(self, message: str, transient: bool = True):
        super().__init__(message)
        self.transient = transient
