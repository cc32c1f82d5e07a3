"""The serving workers share a client's kept-alive connections: nginx holds the client's
connections and hands each request to whichever worker is free. (Once, one worker's event loop
took all of a client's connections opened at once, and the other stood idle.)"""

from __future__ import annotations

import json
import threading
from collections import Counter

import requests

from tests.conftest import hook_fixture
from tests.security.harness import SIGN, serve

CONNECTIONS = 8
CALLS = 6  # on each connection


def test_connections_opened_at_once_are_served_by_both_workers(tmp_path):
    with serve(tmp_path, workers=2, MOLDX_CDS_LOG_FORMAT="json") as service:
        body = hook_fixture("missing-zcode")
        tokens = [[service.token() for _ in range(CALLS)] for _ in range(CONNECTIONS)]
        start = threading.Barrier(CONNECTIONS)
        answers: list[int] = []

        def client(mine: list[str]) -> None:
            with requests.Session() as session:  # one kept-alive connection
                start.wait()
                for token in mine:
                    answers.append(session.post(service.base + SIGN, json=body, timeout=30,
                                                headers={"Authorization": f"Bearer {token}"})
                                   .status_code)

        threads = [threading.Thread(target=client, args=(t,)) for t in tokens]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert answers == [200] * CONNECTIONS * CALLS
    lines = [json.loads(line) for line in service.output().splitlines()
             if line.startswith("{") and '"event": "request"' in line]
    served = Counter(line["pid"] for line in lines if line.get("path") == SIGN)
    assert len(served) == 2, served
