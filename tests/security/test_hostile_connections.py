"""Hostile connections, without any token: each attack holds its connections open while other
calls are made, and every one of those must be answered within a second (a bound of the
defence: a request that has not arrived whole must cost the server a buffer, never a thread),
with no worker lost. Loopback only; each attack is a bounded number of connections for a few
seconds."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from bench.slow_clients import SlowClients
from tests.conftest import hook_fixture

from .harness import SIGN, Service, serve

SECONDS = 6  # each attack's duration
WORKERS = 2


@pytest.fixture
def service(tmp_path) -> Iterator[Service]:
    with serve(tmp_path, workers=WORKERS) as running:
        yield running


def _connect(service: Service) -> socket.socket:
    host, port = service.base.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


@contextmanager
def _held(service: Service, payloads: list[bytes]) -> Iterator[list[socket.socket]]:
    """One connection per payload, each sent at once and then left open."""
    sockets = []
    try:
        for payload in payloads:
            conn = _connect(service)
            conn.sendall(payload)
            sockets.append(conn)
        yield sockets
    finally:
        for conn in sockets:
            conn.close()


def _others_answered(service: Service, seconds: float = SECONDS) -> None:
    """Calls made meanwhile, each answered within a second: health checks, and a hook call."""
    answers = []
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        try:
            answers.append(requests.get(service.base + "/healthz", timeout=1).status_code)
        except OSError as bad:  # requests' ConnectionError and Timeout
            answers.append(type(bad).__name__)
        time.sleep(0.2)
    try:
        answers.append(service.post(hook_fixture("missing-zcode"), timeout=5).status_code)
    except OSError as bad:
        answers.append(type(bad).__name__)
    assert answers and set(answers) == {200}, answers


def _no_worker_lost(service: Service) -> None:
    assert service.process.poll() is None
    log = service.output()
    assert "WORKER TIMEOUT" not in log, log[-3000:]
    assert log.count("Booting worker") == WORKERS, log[-3000:]


def _head(service: Service, method: str, path: str, *headers: str) -> bytes:
    host = service.base.removeprefix("http://")
    return "\r\n".join([f"{method} {path} HTTP/1.1", f"Host: {host}", *headers, "", ""]).encode()


def test_pipelined_half_requests_after_a_whole_one(service):
    """A complete GET /healthz, then half of a second request, on each of 8 connections."""
    half = _head(service, "POST", SIGN, "Content-Type: application/json",
                 "Content-Length: 400") + b'{"hook": "order-sign"'
    with _held(service, [_head(service, "GET", "/healthz") + half] * 8):
        _others_answered(service)
    _no_worker_lost(service)


def test_chunked_bodies_whose_sizes_lie(service):
    """`0\\r\\n\\r\\n` inside a chunk that says it is longer, and chunks longer than they say."""
    chunked = _head(service, "POST", SIGN, "Content-Type: application/json",
                    "Transfer-Encoding: chunked")
    payloads = [chunked + b"40\r\n{\"a\": 0\r\n\r\n", chunked + b"10\r\n0\r\n\r\n",
                chunked + b"3\r\n{\"hook\": \"order-sign\"}\r\n0\r\n\r\n",
                chunked + b"ffffffff\r\n{"]
    with _held(service, payloads * 2) as sockets:
        _others_answered(service)
        # The one whose chunk is longer than it says is refused, not passed on.
        sockets[2].settimeout(5)
        assert sockets[2].recv(200).startswith(b"HTTP/1.1 400"), "a lying chunk was accepted"
    _no_worker_lost(service)


def test_slow_bodies(service):
    with SlowClients(service.base, connections=100, seconds=SECONDS + 4,
                     styles=("length", "expect", "chunked")) as slow:
        _others_answered(service)
    assert slow.opened == 100
    _no_worker_lost(service)


def test_content_length_with_transfer_encoding_is_refused(service):
    """A request smuggling a second one behind a Content-Length that chunked framing ignores:
    refused whole (400), and the smuggled request never answered."""
    smuggled = _head(service, "GET", "/healthz")
    body = b"0\r\n\r\n" + smuggled
    attack = _head(service, "POST", SIGN, "Content-Type: application/json",
                   f"Content-Length: {len(body)}", "Transfer-Encoding: chunked") + body
    with _held(service, [attack] * 4) as sockets:
        _others_answered(service, seconds=2)
        for conn in sockets:
            conn.settimeout(5)
            answer = b""
            try:
                while chunk := conn.recv(65536):
                    answer += chunk
            except TimeoutError:
                pass
            assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
            assert answer.count(b"HTTP/1.1 ") == 1, answer
    _no_worker_lost(service)


def test_idle_keep_alive_connections(service):
    """500 connections that each made one call and keep the connection open, saying nothing."""
    with _held(service, [_head(service, "GET", "/healthz")] * 500) as sockets:
        for conn in sockets[:50]:  # some of them have their answer: they are kept alive
            assert conn.recv(200).startswith(b"HTTP/1.1 200")
        _others_answered(service)
    _no_worker_lost(service)
