"""Section G of the billing rules, over every fixture: what a card's people-facing text may
and may not say."""

from __future__ import annotations

import re

import pytest

from tests.conftest import FIXTURES, hook_fixture, post_hook

HOOKS = sorted(p.stem for p in (FIXTURES / "hooks").glob("*.json"))
FHIR_ID = re.compile(r"\b(Specimen|Condition|Coverage|ServiceRequest|Patient)/[\w.-]+")
JARGON = re.compile(r"\b(CARC|RARC|CO-252|N706|ta-pending|ta-not-successful)\b")


def _cards(client, name):
    request = hook_fixture(name)
    request["hook"] = "order-sign"
    return post_hook(client, request)["cards"]


@pytest.mark.parametrize("name", HOOKS)
def test_summaries_and_labels_name_things_by_display_not_fhir_id(client, name):
    for card in _cards(client, name):
        assert not FHIR_ID.search(card["summary"]), card["summary"]
        for suggestion in card.get("suggestions", []):
            assert not FHIR_ID.search(suggestion["label"]), suggestion["label"]


@pytest.mark.parametrize("name", HOOKS)
def test_billing_jargon_is_only_on_the_billing_staff_line(client, name):
    for card in _cards(client, name):
        assert not JARGON.search(card["summary"])
        for line in (card.get("detail") or "").split("\n\n"):
            assert not JARGON.search(line) or line.startswith("For billing staff:"), line


def test_the_missing_zcode_card_keeps_the_denial_codes_for_billing_staff(client):
    [card] = _cards(client, "missing-zcode")
    [line] = [x for x in card["detail"].split("\n\n") if x.startswith("For billing staff:")]
    assert "CARC CO-252" in line and "RARC N706" in line


def test_a_card_citing_the_demo_policy_pack_says_it_is_demo_data(client):
    [card] = _cards(client, "diagnosis-not-covered")
    assert card["links"][0]["label"].startswith("A57901")
    assert "demo data, not for billing" in card["detail"]
