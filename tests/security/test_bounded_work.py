"""Work a trusted client can ask for is bounded by what it costs: orders per hook call, HL and
LX loops per 837P sent to POST /claims/scrub, scrubs at once over all workers; feedback by its
size, its comments and its rate per client. Each limit answers with the setting's name."""

from __future__ import annotations

import copy
import fcntl
from pathlib import Path

from bench.x12_837p import load_file
from tests.conftest import hook_fixture

SIGN = "/cds-services/moldx-order-sign"
FEEDBACK = "/cds-services/moldx-order-sign/feedback"


def _with_orders(count: int) -> dict:
    body = hook_fixture("missing-zcode")
    entry = body["context"]["draftOrders"]["entry"][0]
    entries = []
    for number in range(count):
        copied = copy.deepcopy(entry)
        copied["resource"]["id"] = f"order-{number}"
        entries.append(copied)
    body["context"]["draftOrders"]["entry"] = entries
    return body


def _diagnostics(response) -> str:
    return " ".join(issue["diagnostics"] for issue in response.get_json()["issue"])


def test_a_hook_call_with_more_orders_than_the_limit_is_a_413_naming_the_setting(client_for,
                                                                                 knowledge):
    client = client_for(knowledge, max_orders=5)
    assert client.post(SIGN, json=_with_orders(5)).status_code == 200
    response = client.post(SIGN, json=_with_orders(6))
    assert response.status_code == 413
    assert "MOLDX_CDS_MAX_ORDERS" in _diagnostics(response)
    assert response.get_json()["issue"][0]["expression"] == ["context.draftOrders.entry"]


def test_an_837p_with_more_loops_than_the_limit_is_a_413_naming_the_setting(client_for,
                                                                             knowledge):
    client = client_for(knowledge, max_claim_loops=60)
    # 40 service lines in 10 claims: 1 + 10 HL and 40 LX loops = 51; 80 lines: 101.
    small = client.post("/claims/scrub", data=load_file(40),
                        content_type="application/edi-x12")
    assert small.status_code == 200
    large = client.post("/claims/scrub", data=load_file(80),
                        content_type="application/edi-x12")
    assert large.status_code == 413
    assert "MOLDX_CDS_MAX_CLAIM_LOOPS" in _diagnostics(large)


def test_a_scrub_while_every_scrub_slot_is_taken_is_a_429_with_retry_after(client_for,
                                                                          knowledge, settings):
    client = client_for(knowledge, scrub_concurrency=1)
    # Another worker holding the one slot: the same lock another process would take.
    settings.spool_dir.mkdir(parents=True, exist_ok=True)
    with open(Path(settings.spool_dir) / "scrub-slot-0.lock", "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        busy = client.post("/claims/scrub", data=load_file(4),
                           content_type="application/edi-x12")
    assert busy.status_code == 429
    assert int(busy.headers["Retry-After"]) > 0
    assert "MOLDX_CDS_SCRUB_CONCURRENCY" in _diagnostics(busy)
    free = client.post("/claims/scrub", data=load_file(4), content_type="application/edi-x12")
    assert free.status_code == 200


def _feedback(card: str, comment: str | None = None) -> dict:
    item = {"card": card, "outcome": "overridden", "outcomeTimestamp": "2026-01-05T10:00:00Z",
            "overrideReason": {"userComment": comment or "patient declined"}}
    return {"feedback": [item]}


def test_a_feedback_body_over_the_limit_is_a_413(client_for, knowledge):
    client = client_for(knowledge, max_feedback_bytes=2000, max_comment_chars=10_000)
    response = client.post(FEEDBACK, json=_feedback("card-big", "x" * 3000))
    assert response.status_code == 413
    assert "MOLDX_CDS_MAX_FEEDBACK_BYTES" in _diagnostics(response)
    assert client.post(FEEDBACK, json=_feedback("card-small")).status_code == 200


def test_an_override_comment_over_the_limit_is_a_400_naming_it(client_for, knowledge):
    client = client_for(knowledge, max_comment_chars=100)
    response = client.post(FEEDBACK, json=_feedback("card-1", "y" * 101))
    assert response.status_code == 400
    assert response.get_json()["issue"][0]["expression"] == [
        "feedback[0].overrideReason.userComment"]
    assert "MOLDX_CDS_MAX_COMMENT_CHARS" in _diagnostics(response)
    assert client.post(FEEDBACK, json=_feedback("card-2", "y" * 100)).status_code == 200


def test_feedback_past_the_rate_of_one_client_is_a_429_with_retry_after(client_for,
                                                                       knowledge):
    client = client_for(knowledge, feedback_per_minute=3)
    # Seven: should the minute turn between two posts, one of the two minutes has four.
    answers = [client.post(FEEDBACK, json=_feedback(f"card-{n}")) for n in range(7)]
    statuses = [a.status_code for a in answers]
    assert 429 in statuses, statuses
    assert statuses.count(200) <= 6, statuses
    refused = next(a for a in answers if a.status_code == 429)
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert "MOLDX_CDS_FEEDBACK_PER_MINUTE" in _diagnostics(refused)


def test_the_limits_still_hold_in_each_worker_when_the_spool_folder_cannot_be_written(tmp_path):
    """A full or read-only disk must neither lift the limits nor refuse every call."""
    import pytest

    from cds_hooks.service import limits
    from cds_hooks.service.errors import RequestError

    blocked = tmp_path / "not-a-folder"
    blocked.write_text("")
    spool = blocked / "spool"
    for _ in range(2):
        limits.within_rate(spool, "feedback", "https://ehr.test", 2, "SETTING",
                           clock=lambda: 600.0)
    with pytest.raises(RequestError) as refused:
        limits.within_rate(spool, "feedback", "https://ehr.test", 2, "SETTING",
                           clock=lambda: 600.0)
    assert refused.value.status == 429
    with limits.slot(spool, "scrub-test", 1, "SETTING"):
        with pytest.raises(RequestError) as busy, limits.slot(spool, "scrub-test", 1, "S"):
            pass
        assert busy.value.status == 429
    with limits.slot(spool, "scrub-test", 1, "SETTING"):  # released when the block ended
        pass
