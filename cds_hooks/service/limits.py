"""Limits shared by all of a service's workers (processes): a few slots for costly work, and
a per-client rate. Both are kept in small files locked with flock(2) in the service's spool
folder, which the workers of one service share and no other service does; the kernel drops a
lock when its holder exits, even by SIGKILL, so a crashed worker never keeps a slot."""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import Issue, RequestError

RETRY_SCRUB = 5  # seconds a client is told to wait for a scrub slot


@contextlib.contextmanager
def slot(folder: Path, name: str, count: int, setting: str) -> Iterator[None]:
    """Hold one of `count` slots called `name` for the block; 429 with Retry-After when all
    are held (by any worker). `setting` is named in the answer."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        handle = open(folder / f"{name}-slot-{number}.lock", "a")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        try:
            yield
        finally:
            handle.close()  # releases the lock
        return
    raise RequestError(429, [Issue("throttled", (
        f"{count} {name} call(s) already under way, the most {setting} allows; retry in "
        f"{RETRY_SCRUB} s"))], headers={"Retry-After": str(RETRY_SCRUB)})


def within_rate(folder: Path, name: str, key: str, per_minute: int, setting: str,
                clock=time.time) -> None:
    """Count one call of `key` in the current minute; 429 with Retry-After (the seconds left
    in this minute) when `key` has made `per_minute` already."""
    folder.mkdir(parents=True, exist_ok=True)
    minute = int(clock() // 60)
    with open(folder / f"{name}-rate.json", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        try:
            counts = json.loads(handle.read() or "{}")
        except ValueError:
            counts = {}
        if counts.get("minute") != minute:
            counts = {"minute": minute, "calls": {}}
        calls = counts["calls"].get(key, 0)
        if calls >= per_minute:
            wait = max(1, math.ceil((minute + 1) * 60 - clock()))
            raise RequestError(429, [Issue("throttled", (
                f"more than {per_minute} {name} posts in a minute from this client "
                f"({setting}); retry in {wait} s"))], headers={"Retry-After": str(wait)})
        counts["calls"][key] = calls + 1
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(counts))
