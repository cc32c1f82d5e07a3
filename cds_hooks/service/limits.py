"""Limits shared by all of a service's workers (processes): a few slots for costly work, and
a per-client rate. Both are kept in small files locked with flock(2) in the service's spool
folder, which the workers of one service share and no other service does; the kernel drops a
lock when its holder exits, even by SIGKILL, so a crashed worker never keeps a slot. When the
spool folder cannot be written (a full or read-only disk: the outage the store is built to
survive), each worker keeps the limits on its own until it can again, so the limits still hold
per worker and no call is refused, or lost, for want of a lock file."""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from .errors import Issue, RequestError

RETRY_SCRUB = 5  # seconds a client is told to wait for a scrub slot

log = logging.getLogger("moldx_cds.limits")
_LOCK = threading.Lock()
_LOCAL_SLOTS: dict[str, threading.BoundedSemaphore] = {}
_LOCAL_RATES: dict[str, dict] = {}


@contextlib.contextmanager
def slot(folder: Path, name: str, count: int, setting: str) -> Iterator[None]:
    """Hold one of `count` slots called `name` for the block; 429 with Retry-After when all
    are held (by any worker). `setting` is named in the answer."""
    try:
        release = _file_slot(folder, name, count)
    except OSError as bad:
        log.warning("%s slots kept by this worker alone: %s cannot be used (%s)", name, folder,
                    bad)
        release = _local_slot(name, count)
    if release is None:
        raise RequestError(429, [Issue("throttled", (
            f"{count} {name} call(s) already under way, the most {setting} allows; retry in "
            f"{RETRY_SCRUB} s"))], headers={"Retry-After": str(RETRY_SCRUB)})
    try:
        yield
    finally:
        release()


def _file_slot(folder: Path, name: str, count: int):
    """The release of a slot taken in `folder`, or None when every one is held."""
    folder.mkdir(parents=True, exist_ok=True)
    for number in range(count):
        handle = open(folder / f"{name}-slot-{number}.lock", "a")  # noqa: SIM115
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            continue
        return handle.close  # closing releases the lock
    return None


def _local_slot(name: str, count: int):
    with _LOCK:
        slots = _LOCAL_SLOTS.setdefault(name, threading.BoundedSemaphore(count))
    return slots.release if slots.acquire(blocking=False) else None


def within_rate(folder: Path, name: str, key: str, per_minute: int, setting: str,
                clock=time.time) -> None:
    """Count one call of `key` in the current minute; 429 with Retry-After (the seconds left
    in this minute) when `key` has made `per_minute` already."""
    now = clock()
    try:
        calls = _count_in_file(folder, name, key, per_minute, now)
    except OSError as bad:
        log.warning("%s rates kept by this worker alone: %s cannot be used (%s)", name, folder,
                    bad)
        with _LOCK:
            calls = _count(_LOCAL_RATES.setdefault(name, {}), key, per_minute, now)
    if calls is None:
        wait = max(1, math.ceil((now // 60 + 1) * 60 - now))
        raise RequestError(429, [Issue("throttled", (
            f"more than {per_minute} {name} posts in a minute from this client "
            f"({setting}); retry in {wait} s"))], headers={"Retry-After": str(wait)})


def _count_in_file(folder: Path, name: str, key: str, per_minute: int,
                   now: float) -> int | None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}-rate.json", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        try:
            counts = json.loads(handle.read() or "{}")
        except ValueError:
            counts = {}
        calls = _count(counts, key, per_minute, now)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps(counts))
    return calls


def _count(counts: dict, key: str, per_minute: int, now: float) -> int | None:
    """Count a call of `key` in `counts` (this minute's, kept in place); its number, or None
    when `key` has made `per_minute` this minute already."""
    minute = int(now // 60)
    if counts.get("minute") != minute:
        counts.clear()
        counts.update(minute=minute, calls={})
    calls = counts["calls"].get(key, 0)
    if calls >= per_minute:
        return None
    counts["calls"][key] = calls + 1
    return calls + 1
