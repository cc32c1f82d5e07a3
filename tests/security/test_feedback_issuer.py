"""Feedback belongs to its issuer: a client may give feedback only on the cards of its own
calls (another client's card is a 404, as an unknown one), and the report never credits one
client's feedback to another client's card."""

from __future__ import annotations

import sqlite3
import time
import uuid
from datetime import UTC, datetime

from cds_hooks.report import summary
from cds_hooks.service import audit
from cds_hooks.store import migrate
from cds_hooks.store.db import Store
from tests.conftest import hook_fixture

from .harness import ISSUER, OTHER_ISSUER, SIGN, serve

FEEDBACK = SIGN + "/feedback"


def accepted(card: str, suggestion: str) -> dict:
    return {"feedback": [{"card": card, "outcome": "accepted",
                          "acceptedSuggestions": [{"id": suggestion}],
                          "outcomeTimestamp": datetime.now(UTC).isoformat()}]}


def written(folder, card: str) -> bool:
    with sqlite3.connect(folder / "moldx-cds.sqlite") as db:
        return db.execute("SELECT 1 FROM cards WHERE uuid = ?", (card,)).fetchone() is not None


def test_feedback_on_another_clients_card_is_a_404(tmp_path):
    with serve(tmp_path) as service:
        answer = service.post(hook_fixture("zcode-from-cpt")).json()
        card = answer["cards"][0]
        for _ in range(100):  # the worker's recorder writes the call soon after answering
            if written(tmp_path, card["uuid"]):
                break
            time.sleep(0.1)
        feedback = accepted(card["uuid"], card["suggestions"][0]["uuid"])
        other = service.post(feedback, FEEDBACK, token=service.token(FEEDBACK, iss=OTHER_ISSUER))
        assert other.status_code == 404, other.text
        assert card["uuid"] in other.json()["issue"][0]["diagnostics"]
        own = service.post(feedback, FEEDBACK, token=service.token(FEEDBACK))
        assert own.status_code == 200, own.text


def test_the_report_does_not_credit_another_clients_feedback(tmp_path):
    """Even when it was kept (posted before the card reached the store, or while the store
    was down)."""
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate.upgrade(store)
    card, suggestion = str(uuid.uuid4()), str(uuid.uuid4())
    order = "ServiceRequest/sr-1"
    call = {"kind": "call", "id": str(uuid.uuid4()), "at": datetime.now(UTC).isoformat(),
            "service": "moldx-order-sign", "hook": "order-sign", "hook_instance": "h-1",
            "issuer": ISSUER, "patient": "pat-1", "orders": [order],
            "knowledge_version": "test", "ms": 1.0, "actions": [],
            "findings": [{"order": order, "rule": "missing-zcode", "severity": "warning",
                          "test": "CMD-LUNG50", "list_price": "1000.00", "card": card}],
            "cards": [{"uuid": card, "orders": [order], "rules": ["missing-zcode"],
                       "indicator": "warning", "type": "coding", "summary": "Add",
                       "suggestions": [{"uuid": suggestion, "label": "Add", "actions": []}]}]}
    other = audit.feedback_record(service="moldx-order-sign", issuer=OTHER_ISSUER, items=[{
        "card": card, "outcome": "accepted", "accepted_suggestions": [suggestion],
        "override_system": None, "override_code": None, "override_comment": None,
        "outcome_at": datetime.now(UTC).isoformat()}])
    store.write([call, other])
    report = summary.build(store)
    line = next(r for r in report.rules if r.rule == "missing-zcode")
    assert (line.accepted, line.fixed, report.orders_fixed) == (0, 0, 0)
    assert report.unknown_feedback == 1
