"""Slow clients: connections that send a hook call's head at once and then trickle its body a
byte at a time, for a bounded time, from one thread. What a careless or hostile client on the
hospital network can do to the service without any credentials.

    with SlowClients("http://127.0.0.1:8080", connections=100, seconds=25):
        ...  # the normal calls, meanwhile
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

PATH = "/cds-services/moldx-order-sign"
BODY_BYTES = 4096  # what each says it will send: more than it sends in the time given


@dataclass
class SlowClients:
    base: str
    connections: int = 100
    seconds: float = 25.0
    every: float = 0.5  # seconds between two bytes of one connection
    # How each says it sends its body, in turn: a length, a length after `100 Continue`, chunks.
    styles: tuple[str, ...] = ("length",)
    opened: int = 0
    bytes_sent: int = 0
    cut_off: int = 0  # connections the service closed before the time was up
    _thread: threading.Thread | None = field(default=None, repr=False)
    _stop: threading.Event = field(default_factory=threading.Event, repr=False)

    def __enter__(self) -> SlowClients:
        host, port = self.base.removeprefix("http://").split(":")
        framing = {"length": f"Content-Length: {BODY_BYTES}\r\n",
                   "expect": f"Content-Length: {BODY_BYTES}\r\nExpect: 100-continue\r\n",
                   "chunked": "Transfer-Encoding: chunked\r\n"}
        sockets = []
        for number in range(self.connections):
            head = (f"POST {PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: "
                    f"application/json\r\n{framing[self.styles[number % len(self.styles)]]}"
                    "\r\n").encode()
            conn = socket.create_connection((host, int(port)), timeout=5)
            conn.sendall(head + b"{")
            sockets.append(conn)
        self.opened = len(sockets)
        self._thread = threading.Thread(target=self._trickle, args=(sockets,), daemon=True)
        self._thread.start()
        return self

    def _trickle(self, sockets: list[socket.socket]) -> None:
        ends = time.monotonic() + self.seconds
        open_ = list(sockets)
        while open_ and time.monotonic() < ends and not self._stop.is_set():
            for conn in list(open_):
                try:
                    conn.sendall(b" ")
                    self.bytes_sent += 1
                except OSError:
                    self.cut_off += 1
                    open_.remove(conn)
            self._stop.wait(self.every)
        for conn in sockets:
            conn.close()

    def __exit__(self, *_exc) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
