"""Getting audit records into the store without the answer waiting on it.

A record is *accepted* once it is appended to this process's spool file, a JSON-lines file in
the spool folder (one write on the request thread; feedback is also fsync'ed, so an item is on
disk before the client hears 200). A background thread, started in each worker process on its
first use (never in gunicorn's master), drains the file into the database in batches and
empties it when it has caught up. While the database is unreachable, records simply stay in
the file; the thread retries with a growing pause (1 s to 30 s), logs the outage once and
counts every failure (moldx_cds_store_errors_total{operation="write"}), and replays the file
when the database is back. Writes are idempotent by record id, so a batch replayed after a
failure in mid-write is kept once.

A process that dies leaves its file behind: each process holds an exclusive lock (flock) on its
own file while it lives, and the writers of the other processes adopt and replay any file whose
lock they can take (at start and every 30 s). The spool folder must be local to the host (not
NFS). A record the database refuses (not an outage: the data itself) is set aside in
rejected.jsonl, logged and counted, so that it cannot block the records behind it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

from cds_hooks.common import metrics

from .db import Store, StoreError
from .records import Record, from_line, to_line

log = logging.getLogger("moldx_cds.recorder")

BATCH = 500  # records per transaction
READ_CHUNK = 1 << 20
ADOPT_EVERY = 30.0  # seconds between looks for files left by dead processes
MAX_PAUSE = 30.0  # seconds between attempts while the database is down
OUTAGE_REMINDER = 300.0  # seconds between log lines while an outage lasts
# A woken writer waits this long for more records, so that one transaction takes many: written
# one by one as they came, records cost a commit each (about 1.5 ms of CPU under load, half a
# hook call's own cost). flush() and close() skip the wait.
LINGER = 0.25


class Recorder:
    def __init__(self, store: Store, spool_dir: Path, *, max_spool_bytes: int = 512 << 20,
                 prepare: Callable[[], None] | None = None):
        """`prepare`: called by the writer before writing when the store was unreachable
        (e.g. to upgrade its schema once the database is back)."""
        self._store = store
        self._dir = Path(spool_dir)
        self._max = max_spool_bytes
        self._prepare = prepare
        self._pid: int | None = None  # the process whose spool file is open
        self._init_lock = threading.Lock()
        ref = weakref.ref(self)
        os.register_at_fork(after_in_child=lambda: (r := ref()) and r._forget_parent())

    def _forget_parent(self) -> None:
        # A forked child has none of its parent's threads, and its locks may be held by them;
        # its copies of the parent's file descriptors would keep the parent's spool locked.
        if self._pid is not None:
            for fd in (self._fd, self._reader):
                os.close(fd)
        self._init_lock = threading.Lock()
        self._pid = None

    # -- on the request thread --------------------------------------------------------------

    def submit(self, record: dict[str, Any]) -> bool:
        """Accept a hook call's record; False when it could not be kept (logged, counted)."""
        if self._append(record, durable=False):
            return True
        metrics.RECORDS.labels("dropped").inc()
        log.error("the %s record of %s was dropped: the spool is full or cannot be written",
                  record["kind"], record.get("hook_instance") or record["service"],
                  extra={"event": "record-dropped"})
        return False

    def accept(self, record: dict[str, Any]) -> bool:
        """Accept feedback durably: on disk in the spool (fsync'ed), else in the database.
        False when neither could take it: the caller answers 503 so that the client retries."""
        if self._append(record, durable=True):
            return True
        try:
            self._store.write([record])
        except StoreError as bad:
            metrics.STORE_ERRORS.labels("write").inc()
            log.error("feedback could not be kept, neither spooled nor stored: %s", bad,
                      extra={"event": "record-dropped"})
            return False
        metrics.RECORDS.labels("stored").inc()
        return True

    def _append(self, record: dict[str, Any], *, durable: bool) -> bool:
        # orjson: about a tenth of json.dumps's time on a call's 4 KB record.
        line = orjson.dumps(record, default=str) + b"\n"
        try:
            self._start()
            with self._lock:
                if self._size + len(line) > self._max:
                    return False
                try:
                    _write_all(self._fd, line)
                    if durable:
                        os.fsync(self._fd)
                except OSError:
                    os.ftruncate(self._fd, self._size)  # no half line for the reader
                    raise
                self._size += len(line)
        except OSError as bad:
            metrics.STORE_ERRORS.labels("spool").inc()
            log.error("the spool file in %s cannot be written: %s", self._dir, bad,
                      extra={"event": "store-error", "operation": "spool"})
            return False
        metrics.RECORDS.labels("accepted").inc()
        metrics.SPOOLED.inc()
        self._wake.set()
        return True

    # -- the writer thread ------------------------------------------------------------------

    def start(self) -> None:
        """Open this process's spool file and start its writer (gunicorn's post_fork calls
        this so files left by dead workers are replayed even before the first request)."""
        try:
            self._start()
        except OSError as bad:
            metrics.STORE_ERRORS.labels("spool").inc()
            log.error("the spool folder %s cannot be used: %s", self._dir, bad)

    def _start(self) -> None:
        if self._pid == os.getpid():
            return
        with self._init_lock:
            if self._pid == os.getpid():
                return
            self._dir.mkdir(parents=True, exist_ok=True)
            name = f"spool-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl"
            self._path = self._dir / name
            self._fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC,
                               0o600)
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # ours while we live
            self._reader = os.open(self._path, os.O_RDONLY | os.O_CLOEXEC)
            self._lock = threading.Lock()
            self._wake = threading.Event()
            self._stop = threading.Event()
            self._urgent = threading.Event()
            self._size = 0  # bytes in our file
            self._offset = 0  # of which this many are in the database
            self._down_since: float | None = None
            self._last_error = ""
            self._reminded_at = 0.0
            self._thread = threading.Thread(target=self._run, name="moldx-cds-recorder",
                                            daemon=True)
            self._pid = os.getpid()
            self._wake.set()  # look for files left by dead processes at once
            self._thread.start()

    def _run(self) -> None:
        pause = 0.0
        adopt_at = 0.0
        while not self._stop.is_set():
            if pause:
                self._stop.wait(pause)  # while the store is down, new records wait too
            else:
                self._wake.wait(ADOPT_EVERY)
                # Linger to gather a batch, unless someone waits for the records (a flush, or
                # close): a linger begun just before their call would hold them its full length.
                self._urgent.wait(LINGER)
            self._wake.clear()
            try:
                if self._down_since is not None and self._prepare:
                    self._prepare()
                if time.monotonic() >= adopt_at:
                    self._adopt_orphans()
                    adopt_at = time.monotonic() + ADOPT_EVERY
                self._drain()
                self._recovered()
                pause = 0.0
            except StoreError as bad:
                self._failed(bad)
                pause = min(MAX_PAUSE, max(1.0, pause * 2))
            except Exception:  # the writer must outlive anything; records stay spooled
                log.exception("the audit writer failed; retrying")
                pause = min(MAX_PAUSE, max(1.0, pause * 2))

    def _failed(self, bad: StoreError) -> None:
        metrics.STORE_ERRORS.labels("write").inc()
        self._last_error = str(bad)
        now = time.monotonic()
        if self._down_since is None or now - self._reminded_at > OUTAGE_REMINDER:
            if self._down_since is None:
                self._down_since = now
            self._reminded_at = now
            log.error("the store at %s is unreachable (%s); %d bytes of records wait in %s "
                      "and will be written when it is back", self._store.display_url(), bad,
                      self._size - self._offset, self._path,
                      extra={"event": "store-error", "operation": "write"})

    def _recovered(self) -> None:
        if self._down_since is not None:
            log.warning("the store is reachable again after %.0f s; spooled records written",
                        time.monotonic() - self._down_since, extra={"event": "store-recovered"})
            self._down_since = None

    def _drain(self) -> None:
        """Write what our file holds beyond what is already in the database."""
        while True:
            with self._lock:
                start, end = self._offset, self._size
                if start == end:
                    if end:  # caught up: start the file afresh
                        os.ftruncate(self._fd, 0)
                        self._size = self._offset = 0
                    return
            data = os.pread(self._reader, min(end - start, READ_CHUNK), start)
            data = data[:data.rfind(b"\n") + 1]
            if not data:  # one line longer than a chunk
                data = os.pread(self._reader, end - start, start)
            records = list(self._parse(data))
            for at in range(0, len(records), BATCH):
                self._write(records[at:at + BATCH])
            with self._lock:
                self._offset = start + len(data)
            metrics.SPOOLED.dec(len(records))

    def _adopt_orphans(self) -> None:
        for path in sorted(self._dir.glob("spool-*.jsonl")):
            if path == self._path:
                continue
            try:
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue  # another writer adopted it
            try:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # its process is alive
                if not path.exists():
                    continue
                count = 0
                for block in _blocks(fd, path):
                    records = list(self._parse(block))
                    for at in range(0, len(records), BATCH):
                        self._write(records[at:at + BATCH])
                    count += len(records)
                path.unlink()
                if count:
                    log.warning("%d records left by an earlier process (%s) were written",
                                count, path.name, extra={"event": "spool-replayed"})
            finally:
                os.close(fd)

    def _parse(self, data: bytes) -> Iterator[Record]:
        for line in data.splitlines():
            if not line or line.isspace():  # not strip(): it copies each 4 KB line
                continue
            try:
                yield from_line(line)
            except ValueError as bad:
                self._reject(line.decode(errors="replace"), f"not a record: {bad}")

    def _write(self, batch: list[Record]) -> None:
        try:
            unknown = self._store.write(batch)
        except StoreError as bad:
            if bad.transient:
                raise
            # The database refuses something in this batch: find it, keep the rest.
            unknown = []
            for record in batch:
                try:
                    unknown += self._store.write([record])
                except StoreError as one:
                    if one.transient:
                        raise
                    self._reject(to_line(record), str(one))
        metrics.RECORDS.labels("stored").inc(len(batch))
        for card in unknown:
            log.warning("feedback on card %s, which this service did not issue: kept and "
                        "flagged", card, extra={"event": "feedback-unknown-card"})

    def _reject(self, line: str, reason: str) -> None:
        metrics.RECORDS.labels("rejected").inc()
        log.error("a record was refused by the store and set aside in %s: %s",
                  self._dir / "rejected.jsonl", reason, extra={"event": "record-rejected"})
        with open(self._dir / "rejected.jsonl", "a") as kept:
            kept.write(json.dumps({"reason": reason, "record": line}) + "\n")

    # -- waiting and stopping ---------------------------------------------------------------

    def outage(self) -> str | None:
        """Why this process's writer cannot write to the store right now; None when it can."""
        if self._pid != os.getpid() or self._down_since is None:
            return None
        return self._last_error

    def pending(self) -> int:
        """Bytes of this process's records not yet in the database."""
        if self._pid != os.getpid():
            return 0
        with self._lock:
            return self._size - self._offset

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until this process's records are in the database; False on timeout (the store
        is down: they stay spooled)."""
        if self._pid != os.getpid():
            return True
        deadline = time.monotonic() + timeout
        self._urgent.set()
        try:
            while self.pending():
                if time.monotonic() > deadline:
                    return False
                self._wake.set()
                time.sleep(0.01)
            return True
        finally:
            self._urgent.clear()

    def close(self, drain_seconds: float = 2.0) -> None:
        """Stop the writer after trying for a while to write what is spooled; what is left
        stays in the file for another process to replay."""
        if self._pid != os.getpid():
            return
        self.flush(drain_seconds)
        self._stop.set()
        self._urgent.set()
        self._wake.set()
        self._thread.join(timeout=drain_seconds + 5)
        with self._lock:
            if self._size == self._offset:
                self._path.unlink(missing_ok=True)
            os.close(self._reader)
            os.close(self._fd)  # releases the lock: a leftover file is adoptable
            self._pid = None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _blocks(fd: int, path: Path) -> Iterator[bytes]:
    """The complete lines of a file, in blocks of about READ_CHUNK bytes."""
    size, offset = os.fstat(fd).st_size, 0
    while offset < size:
        data = os.pread(fd, READ_CHUNK, offset)
        block = data[:data.rfind(b"\n") + 1]
        if not block:
            if offset + len(data) < size:  # one line longer than a chunk
                block = os.pread(fd, size - offset, offset)
                block = block[:block.rfind(b"\n") + 1]
            if not block:
                log.warning("%s ends in a partial line (its process died while writing it); "
                            "the partial line is skipped", path.name)
                return
        yield block
        offset += len(block)
