"""Token ids in this process's memory: what the store falls back on while the database cannot be
reached, and what a service without a store uses."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class MemoryReplayGuard:
    """Token ids seen by this process, forgotten once their token has expired."""

    def __init__(self, clock: Callable[[], float] = time.time):
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._clock = clock
        self._pruned_at = 0.0

    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        now = self._clock()
        with self._lock:
            if now - self._pruned_at >= 1:  # not on every call: the dict can be large
                self._seen = {k: t for k, t in self._seen.items() if t >= now}
                self._pruned_at = now
            if self._seen.get((issuer, jti), -1.0) >= now:
                return False
            self._seen[(issuer, jti)] = expires_at
            return True
