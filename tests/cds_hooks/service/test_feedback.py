"""The feedback endpoint and the store behind it (a real SQLite file)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cds_hooks.service.app import create_app
from tests.conftest import SignedClient, hook_fixture, stored

SIGN = "/cds-services/moldx-order-sign"
FEEDBACK = SIGN + "/feedback"
WHEN = "2026-03-02T15:04:05Z"


def test_a_cards_uuid_posted_back_is_stored_and_can_be_read(client, app):
    body = hook_fixture("missing-zcode")
    [card] = client.post(SIGN, json=body).json["cards"]
    [suggestion] = card["suggestions"]
    response = client.post(FEEDBACK, json={"feedback": [
        {"card": card["uuid"], "outcome": "accepted",
         "acceptedSuggestions": [{"id": suggestion["uuid"]}], "outcomeTimestamp": WHEN}]})
    assert response.status_code == 200
    assert (response.mimetype, response.json) == ("application/json", {})

    store = stored(app)
    [issued] = store.cards(body["hookInstance"])
    assert issued.uuid == card["uuid"]
    assert issued.orders == ("ServiceRequest/sr-1",)
    assert issued.rules == ("missing-zcode",)
    assert issued.suggestions == (suggestion["uuid"],)
    [kept] = store.feedback(card["uuid"])
    assert kept["known_card"] is True and kept["outcome"] == "accepted"
    assert kept["accepted_suggestions"] == [suggestion["uuid"]]
    assert kept["outcome_at"] == "2026-03-02T15:04:05+00:00"


def test_an_override_with_the_sandbox_shape_is_stored(client, app):
    [card] = client.post(SIGN, json=hook_fixture("not-payable")).json["cards"]
    reason = card["overrideReasons"][0]
    response = client.post(FEEDBACK, json={"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
        "overrideReason": {"reason": {"code": reason["code"], "system": reason["system"]},
                           "userComment": "ABN on file"}}]})
    assert response.status_code == 200
    [kept] = stored(app).feedback(card["uuid"])
    assert (kept["override_code"], kept["override_comment"]) == (reason["code"], "ABN on file")


def test_feedback_on_an_unknown_card_is_kept_and_flagged(client, app, caplog):
    response = client.post(FEEDBACK, json={"feedback": [
        {"card": "never-issued", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "not relevant"}}]})
    assert response.status_code == 200
    [kept] = stored(app).feedback("never-issued")
    assert kept["known_card"] is False
    assert "did not issue" in caplog.text


def test_a_card_of_another_service_is_a_404_for_this_one(client, app):
    [card] = client.post(SIGN, json=hook_fixture("missing-zcode")).json["cards"]
    stored(app)  # the card is in the store: it is known to be order-sign's
    response = client.post("/cds-services/moldx-order-select/feedback", json={"feedback": [
        {"card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "x"}}]})
    assert response.status_code == 404
    assert response.json["issue"][0]["expression"] == ["feedback[0].card"]
    assert stored(app).feedback(card["uuid"]) == []


def test_override_comments_are_not_stored_when_the_setting_says_so(client_for, knowledge):
    """Comments are free text and may hold PHI; MOLDX_CDS_STORE_OVERRIDE_COMMENTS=off keeps
    only that there was one."""
    client = client_for(knowledge, store_override_comments=False)
    [card] = client.post(SIGN, json=hook_fixture("not-payable")).json["cards"]
    assert client.post(FEEDBACK, json={"feedback": [{
        "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
        "overrideReason": {"userComment": "Mrs Smith, DOB 1950-01-01, has an ABN"}}]}
    ).status_code == 200
    [kept] = stored(client.application).feedback(card["uuid"])
    assert "Smith" not in kept["override_comment"]
    assert "not stored" in kept["override_comment"]


@pytest.mark.parametrize("item, expression", [
    ({"outcome": "accepted", "outcomeTimestamp": WHEN}, "feedback[0].acceptedSuggestions"),
    ({"outcome": "liked", "outcomeTimestamp": WHEN}, "feedback[0].outcome"),
    ({"outcome": "overridden"}, "feedback[0].outcomeTimestamp"),
    ({"outcome": "overridden", "outcomeTimestamp": "2026-03-02T15:04:05"},
     "feedback[0].outcomeTimestamp"),
    ({"outcome": "overridden", "outcomeTimestamp": WHEN, "overrideReason": {}},
     "feedback[0].overrideReason"),
    ({"outcome": "overridden", "outcomeTimestamp": WHEN,
      "overrideReason": {"reason": {"code": "x"}}}, "feedback[0].overrideReason.reason.system"),
])
def test_bad_feedback_is_a_400_naming_the_field(client, item, expression):
    response = client.post(FEEDBACK, json={"feedback": [{"card": "c-1", **item}]})
    assert response.status_code == 400
    expressions = [e for i in response.json["issue"] for e in i.get("expression", [])]
    assert any(e.startswith(expression) for e in expressions), expressions


def test_an_empty_feedback_list_is_a_400_and_an_unknown_service_a_404(client):
    assert client.post(FEEDBACK, json={"feedback": []}).status_code == 400
    assert client.post("/cds-services/nope/feedback", json={"feedback": [
        {"card": "c", "outcome": "overridden", "outcomeTimestamp": WHEN,
         "overrideReason": {"userComment": "x"}}]}).status_code == 404


def test_a_store_that_cannot_be_opened_fails_no_answer(settings, knowledge, tmp_path, caplog):
    """A store that cannot be opened (a folder where the database file should be): the service
    answers as usual, feedback is accepted into the spool, and token ids are checked in
    memory, so a replay to this process is still refused."""
    (tmp_path / "not-a-file.sqlite").mkdir()
    app = create_app(replace(settings, store_url=f"sqlite:///{tmp_path / 'not-a-file.sqlite'}"),
                     knowledge)
    app.test_client_class = SignedClient
    client = app.test_client()
    response = client.post(SIGN, json=hook_fixture("missing-zcode"))
    assert response.status_code == 200 and response.json["cards"]
    feedback = client.post(FEEDBACK, json={"feedback": [
        {"card": response.json["cards"][0]["uuid"], "outcome": "overridden",
         "outcomeTimestamp": WHEN, "overrideReason": {"userComment": "x"}}]})
    assert feedback.status_code == 200
    token = client.keys.sign("http://localhost" + SIGN)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post(SIGN, json=hook_fixture("missing-zcode"),
                       headers=headers).status_code == 200
    assert client.post(SIGN, json=hook_fixture("missing-zcode"),
                       headers=headers).status_code == 401
    recorder = app.extensions["moldx_cds"].recorder
    assert recorder.pending() > 0  # the two answered calls and the feedback wait
    spooled = b"".join(p.read_bytes() for p in settings.spool_dir.glob("spool-*.jsonl"))
    assert spooled.count(b"\n") == 3
    assert "cannot be set up" in caplog.text
    recorder.close(drain_seconds=0)
