"""Slow clients: connections trickling a request body must not stop the other calls, and no
worker may be killed. (Sync workers each read one request themselves: two such connections
held both, and gunicorn killed them after its 30 s timeout.) Fewer and shorter connections than
the soak (bench/slow_soak.py: 100 for 60 s), enough to hold every sync worker and thread."""

from __future__ import annotations

import time

from bench.slow_clients import SlowClients
from tests.conftest import hook_fixture

from .harness import serve

SLOW = 20
SECONDS = 12


def test_calls_are_answered_while_slow_clients_trickle_their_bodies(tmp_path):
    """The slow ones send a length, a length after asking for `100 Continue`, or chunks."""
    with serve(tmp_path, workers=2) as service:
        body = hook_fixture("missing-zcode")
        answers = []
        with SlowClients(service.base, connections=SLOW, seconds=SECONDS,
                         styles=("length", "expect", "chunked")) as slow:
            ends = time.monotonic() + SECONDS - 2
            while time.monotonic() < ends:
                try:
                    answers.append(service.post(body, timeout=5).status_code)
                except OSError as bad:  # requests' ConnectionError and Timeout
                    answers.append(type(bad).__name__)
                time.sleep(0.2)
        assert slow.opened == SLOW
        assert answers and set(answers) == {200}, answers
    log = service.output()
    assert "WORKER TIMEOUT" not in log, log[-3000:]
    assert log.count("Booting worker") == 2, log[-3000:]
