"""The gunicorn worker `moldx-cds serve` runs: gunicorn's threaded worker (gthread), with each
HTTP/1 request read whole by the worker's event loop before a thread takes it.

A sync worker, or a gthread thread, reads the request itself: a client that trickles its body
a byte a second holds it for as long as it likes, so two such clients stopped both sync workers
until gunicorn killed them. Here the event loop reads every connection without blocking, so a
hundred slow clients cost a hundred buffers, not the threads; a thread gets a request only once
all of it (head and `Content-Length` body) has arrived. A request that has not arrived whole
within the worker timeout (gunicorn's `timeout`) is answered 408 and closed.

A request asking for `100 Continue` gets it from the loop, which then reads the body too; a
chunked body is read to its last chunk. Passed through as gthread does: TLS (gunicorn's own),
HTTP/2, and bytes already read ahead on a kept-alive connection.
"""

from __future__ import annotations

import contextlib
import re
import selectors
import sys
import time
from dataclasses import dataclass, field
from functools import partial

from gunicorn.workers.gthread import ThreadWorker

HEAD_LIMIT = 64 * 1024  # a longer head is passed on for gunicorn to refuse (431)
DEFAULT_BODY_LIMIT = 10 * 1024 * 1024  # when the app names none (Flask's MAX_CONTENT_LENGTH)
_LENGTH = re.compile(rb"\r\ncontent-length[ \t]*:[ \t]*(\d+)")
_CHUNKED = re.compile(rb"\r\ntransfer-encoding[ \t]*:[^\r]*chunked")
_CONTINUE = re.compile(rb"\r\nexpect[ \t]*:[ \t]*100-continue")
# The event loop hands each request to a thread and back: with Python's default GIL switch
# interval (5 ms) it waited that long behind a computing thread, every request.
SWITCH_INTERVAL = 0.0005
ACCEPT_GRACE = 0.1  # seconds a connection still arriving keeps its worker from accepting
_TIMED_OUT = (b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n"
              b"\r\n")


@dataclass
class _Arrival:
    deadline: float
    accepted: float
    data: bytearray = field(default_factory=bytearray)
    continued: bool = False  # a 100 Continue was sent

    def ready(self, body_limit: int) -> bool:
        """Whether a thread may take the request now: all of it is here, or what is here is
        enough for gunicorn or the app to answer it without waiting for more."""
        end = self.data.find(b"\r\n\r\n")
        if end < 0:
            return len(self.data) > HEAD_LIMIT
        head = bytes(self.data[:end]).lower()
        body = len(self.data) - end - 4
        if _CHUNKED.search(head):
            # The last chunk (and no trailer: clients of this service send none).
            return self.data.endswith(b"0\r\n\r\n") and body >= 5 or body > body_limit
        length = _LENGTH.search(head)
        wanted = int(length.group(1)) if length else 0
        # Too large: the app answers 413 from the length alone.
        return wanted > body_limit or body >= wanted

    def wants_continue(self) -> bool:
        """A head in, asking for `100 Continue` before the body (HTTP/1.1), not answered."""
        end = self.data.find(b"\r\n\r\n")
        if self.continued or end < 0:
            return False
        head = bytes(self.data[:end]).lower()
        return bool(_CONTINUE.search(head)) and b" http/1.1\r\n" in head + b"\r\n"


class BufferingWorker(ThreadWorker):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.arriving: dict[object, _Arrival] = {}
        self.busy = 0  # requests in the threads

    # A worker with as many requests in its threads, or just accepted, as it has threads
    # accepts no new connection: another worker with a free thread takes it. Without this,
    # one worker's event loop took every kept-alive connection of a client opening several at
    # once (wrk's 8, an EHR's pool) and the other worker stood idle (bench/load.py: 175-450
    # req/s from one run to the next). A connection still arriving counts only for its first
    # ACCEPT_GRACE seconds: slow clients must not stop a worker accepting.

    def set_accept_enabled(self, enabled):
        super().set_accept_enabled(enabled and not self._full())

    def _full(self) -> bool:
        recent = time.monotonic() - ACCEPT_GRACE
        arriving = sum(1 for a in self.arriving.values() if a.accepted > recent)
        return self.busy + arriving >= self.cfg.threads

    def _to_thread(self, conn):
        self.busy += 1
        if self._full():
            self.set_accept_enabled(False)
        super().enqueue_req(conn)

    def finish_request(self, conn, fs):
        self.busy -= 1  # the event loop enables accepting again on its next turn
        super().finish_request(conn, fs)

    def init_process(self):
        sys.setswitchinterval(SWITCH_INTERVAL)
        super().init_process()

    def enqueue_req(self, conn):
        buffered = conn.parser is not None and conn.parser.unreader.buf.getvalue()
        if getattr(conn, "arrived", None) is not None or buffered or self.cfg.is_ssl \
                or conn.is_http2:
            return self._to_thread(conn)
        conn.sock.setblocking(False)
        self.arriving[conn] = _Arrival(time.monotonic() + self.cfg.timeout, time.monotonic())
        if self._full():
            self.set_accept_enabled(False)
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._receive, conn))

    def _receive(self, conn, sock) -> None:
        arrival = self.arriving[conn]
        try:
            chunk = sock.recv(256 * 1024)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if not chunk:  # the client left
            self._drop(conn)
            return
        arrival.data += chunk
        if arrival.wants_continue():
            # The client waits for it before sending the body; gunicorn sends another once
            # the thread parses the head (clients take any number of 1xx answers).
            arrival.continued = True
            with contextlib.suppress(OSError):
                sock.send(b"HTTP/1.1 100 Continue\r\n\r\n")
        if arrival.ready(self._body_limit()):
            self.poller.unregister(sock)
            del self.arriving[conn]
            conn.arrived = bytes(arrival.data)
            conn.data_ready = True
            self._to_thread(conn)

    def handle(self, conn):
        """In a thread: the request that arrived, through gunicorn's own parser."""
        arrived = getattr(conn, "arrived", None)
        if arrived is not None:
            conn.arrived = None
            conn.sock.setblocking(True)
            conn.init()  # a kept-alive connection has its parser already
            conn.parser.unreader.unread(arrived)
        return super().handle(conn)

    def murder_pending(self):
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c, a in self.arriving.items() if a.deadline <= now]:
            with contextlib.suppress(OSError):
                conn.sock.send(_TIMED_OUT)
            self._drop(conn)

    def _drop(self, conn) -> None:
        self.arriving.pop(conn, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            self.poller.unregister(conn.sock)
        if conn in self.keepalived_conns:
            self.keepalived_conns.remove(conn)
        self.nr_conns -= 1
        conn.close()

    def _body_limit(self) -> int:
        config = getattr(self.wsgi, "config", None)
        return (config or {}).get("MAX_CONTENT_LENGTH") or DEFAULT_BODY_LIMIT
