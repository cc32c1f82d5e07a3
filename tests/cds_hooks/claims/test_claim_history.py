"""A comprehensive genomic profile billed in an earlier file is found when the same patient's
next one is scrubbed: `scrub` and POST /claims/scrub keep the claim lines they have seen."""

from __future__ import annotations

import json

from sqlalchemy import select

from bench.x12_837p import Claim, Line, interchange
from cds_hooks.store.claim_history import LOOK_BACK_DAYS
from tests.processes import moldx_cds

from .conftest import X12

FIRST = interchange([Claim("CGP-NOV", [Line("81459", "ZC6D4", dos="20251103", charge="3500")],
                           patient="M77")])
SECOND = interchange([Claim("CGP-DEC", [Line("81459", "ZC6D4", dos="20251201",
                                             charge="3500")], patient="M77")])


def _post(client, text: str) -> dict:
    return client.post("/claims/scrub", data=text, content_type="application/edi-x12").get_json()


def _rules(answer: dict) -> set[str]:
    return {f["rule"] for c in answer["claims"] for line in c["lines"]
            for f in line["findings"]}


def test_a_profile_billed_in_an_earlier_file_is_found_by_the_command(tmp_path, settings,
                                                                      client):
    """(`client` makes the store's schema.)"""
    first, second = tmp_path / "nov.837", tmp_path / "dec.837"
    first.write_text(FIRST)
    second.write_text(SECOND)
    store = ("--store-url", settings.store_url)
    run = moldx_cds("scrub", str(first), "--json", *store, cwd=tmp_path)
    assert "repeat-cgp" not in _rules(json.loads(run.stdout))
    run = moldx_cds("scrub", str(second), "--json", *store, cwd=tmp_path)
    answer = json.loads(run.stdout)
    assert "repeat-cgp" in _rules(answer) and run.returncode == 1
    assert answer["earlier_claims_checked"] and answer["look_back_days"] == LOOK_BACK_DAYS
    message = next(f["message"] for f in answer["claims"][0]["lines"][0]["findings"]
                   if f["rule"] == "repeat-cgp")
    assert "CGP-NOV" in message
    # The November claim scrubbed again (corrected) is not a repeat of itself.
    again = moldx_cds("scrub", str(first), "--json", *store, cwd=tmp_path)
    assert "repeat-cgp" not in _rules(json.loads(again.stdout))


def test_a_profile_billed_in_an_earlier_file_is_found_by_the_service(client):
    assert "repeat-cgp" not in _rules(_post(client, FIRST))
    assert "repeat-cgp" in _rules(_post(client, SECOND))
    # Scrubbed again: its lines replaced, not a repeat of itself.
    assert "repeat-cgp" not in _rules(_post(client, FIRST))


def test_a_profile_billed_again_for_the_same_day_under_another_claim_id_is_found(client):
    """The same patient and date of service: taken to be the same specimen, one CGP on it."""
    _post(client, FIRST)
    again = FIRST.replace("CLM*CGP-NOV*", "CLM*CGP-NOV-2*")
    (line,) = _post(client, again)["claims"][0]["lines"]
    (edit,) = [f for f in line["findings"] if f["rule"] == "cgp-specimen"]
    assert "claim CGP-NOV line 1" in edit["message"]


def test_a_profile_older_than_the_look_back_is_not_looked_for(client):
    old = FIRST.replace("D8*20251103", "D8*20241103")
    _post(client, old)
    assert "repeat-cgp" not in _rules(_post(client, SECOND))


def test_without_a_store_the_command_says_the_look_back_was_skipped(tmp_path):
    run = moldx_cds("scrub", str(X12 / "clean.837"), "--json", "--store-url",
                    f"sqlite:///{tmp_path / 'none.sqlite'}", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "earlier files not looked for" in run.stderr
    assert not json.loads(run.stdout)["earlier_claims_checked"]
    assert not (tmp_path / "none.sqlite").exists()


def test_the_store_keeps_a_claims_lines_once_on_each_backend(store_url, knowledge):
    """A claim kept again replaces its lines; another patient's lines are not looked at."""
    from cds_hooks.claims.scrub import scrub
    from cds_hooks.store import migrate
    from cds_hooks.store.db import ClaimLineRow, Store

    store = Store(store_url)
    migrate.upgrade(store)
    try:
        scrub(FIRST, knowledge, store)
        scrub(FIRST, knowledge, store)
        scrub(FIRST.replace("*MI*M77", "*MI*M78"), knowledge, store)
        result = scrub(SECOND, knowledge, store)
        (repeat,) = [f for f in result.decision.findings if f.rule == "repeat-cgp"]
        assert [o.order for o in repeat.evidence.others] == ["CGP-NOV#1"]
        with store.session() as session:  # the member id is not kept in clear
            kept = session.scalars(select(ClaimLineRow.patient)).all()
        assert len(kept) == 3 and not {"M77", "M78"} & set(kept)
    finally:
        store.dispose()


def test_lines_no_file_can_look_back_to_are_dropped(tmp_path, knowledge):
    """A claim is filed within a year of its date of service and looks back LOOK_BACK_DAYS:
    lines older than both are not kept, whatever a caller sends."""
    from datetime import date, timedelta

    from cds_hooks.claims.scrub import scrub
    from cds_hooks.store import migrate
    from cds_hooks.store.claim_history import KEEP_DAYS
    from cds_hooks.store.db import ClaimLineRow, Store

    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    migrate.upgrade(store)
    old = (date.today() - timedelta(days=KEEP_DAYS + 1)).strftime("%Y%m%d")
    scrub(FIRST.replace("D8*20251103", f"D8*{old}"), knowledge, store)
    scrub(SECOND, knowledge, store)
    with store.session() as session:
        kept = session.scalars(select(ClaimLineRow.claim)).all()
    store.dispose()
    assert kept == ["CGP-DEC"]
