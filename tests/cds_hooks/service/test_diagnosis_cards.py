"""Diagnoses against the demo coverage policy, over HTTP: the cards a clinician sees."""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import hook_fixture, post_hook

DOS = date(2026, 3, 2)  # the date of service of the fixtures


@pytest.fixture
def article(knowledge):
    """The version of the lung panel's article in force on the fixtures' date of service."""
    row = knowledge.catalog.row_on("CMD-LUNG50", DOS)
    return knowledge.policy.version_on(row.policy_article, DOS)


def test_a_covered_lung_diagnosis_for_medicare_gets_no_card(client, article):
    request = hook_fixture("all-correct")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert order["reasonCode"][0]["coding"][0]["code"] == "C34.90"
    assert article.covers("C34.90")
    assert post_hook(client, request)["cards"] == []


def test_an_uncovered_diagnosis_alone_warns_naming_the_article_and_asks_for_an_abn(
        client, article):
    assert not article.covers("R91.8")
    [card] = post_hook(client, "diagnosis-not-covered")["cards"]
    assert card["indicator"] == "warning"
    assert "not covered for this diagnosis" in card["summary"] and len(card["summary"]) < 140
    assert article.article not in card["summary"]  # the article number is billing staff's
    assert f"**{article.article}** version {article.version}" in card["detail"]
    assert "R91.8" in card["detail"]
    assert "Advance Beneficiary Notice" in card["detail"] and "**GA**" in card["detail"]
    assert "before the specimen is taken" in card["detail"]
    assert card["links"] == [{"label": f"{article.article} version {article.version} (CMS MCD)",
                              "url": article.ref.url, "type": "absolute"}]
    assert "suggestions" not in card


def test_a_covered_condition_on_the_problem_list_is_offered_as_the_reason(client, article):
    request = hook_fixture("diagnosis-on-problem-list")
    [condition] = [e["resource"] for e in request["prefetch"]["conditions"]["entry"]]
    assert article.covers(condition["code"]["coding"][0]["code"])
    [card] = post_hook(client, request)["cards"]
    assert card["indicator"] == "warning"
    assert "Advance Beneficiary Notice" not in card["detail"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    assert action["type"] == "update"
    updated = action["resource"]
    original = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert updated["reasonReference"] == [{"reference": f"Condition/{condition['id']}"}]
    # Nothing else changes but the coverage information every update of the order carries.
    assert {k: v for k, v in updated.items() if k not in ("reasonReference", "extension")} \
        == original
    assert [e["url"] for e in updated["extension"]] == [
        "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"]


def test_an_inactive_covered_condition_is_not_offered(client):
    request = hook_fixture("diagnosis-on-problem-list")
    condition = request["prefetch"]["conditions"]["entry"][0]["resource"]
    condition["clinicalStatus"]["coding"][0]["code"] = "resolved"
    [card] = post_hook(client, request)["cards"]
    assert "suggestions" not in card
    assert "Advance Beneficiary Notice" in card["detail"]


def test_a_secondary_lung_cancer_code_warns(client, article):
    assert not article.covers("C78.01")
    [card] = post_hook(client, "diagnosis-secondary-lung")["cards"]
    assert card["indicator"] == "warning"
    assert "C78.01" in card["detail"] and article.article in card["detail"]
    assert "secondary site" in card["summary"] and "primary tumour" in card["summary"]


def test_a_code_that_needs_more_characters_lists_the_billable_codes(client, knowledge):
    cards = post_hook(client, "diagnosis-not-billable")["cards"]
    [card] = [c for c in cards if "not billable" in c["summary"]]
    assert card["indicator"] == "warning"
    assert all(f"- {c} Malignant neoplasm" in card["detail"] for c in ("C34.90", "C34.91",
                                                                       "C34.92"))
    labels = [s["label"] for s in card["suggestions"]]
    assert [label.split()[:2] for label in labels] == [["Use", c] for c in ("C34.90", "C34.91",
                                                                             "C34.92")]
    resource = card["suggestions"][0]["actions"][0]["resource"]
    assert resource["reasonCode"][0]["coding"][0]["code"] == "C34.90"
    # C34.9 is not on the article either, but that follows from the code: one card, this one.
    assert cards == [card]


def test_an_unknown_code_warns_without_choices(client):
    request = hook_fixture("diagnosis-not-billable")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["reasonCode"][0]["coding"][0]["code"] = "C34.99"
    cards = post_hook(client, request)["cards"]
    [card] = [c for c in cards if "C34.99" in c["summary"]]
    assert "is not an ICD-10-CM code" in card["summary"]
    assert "suggestions" not in card


def test_a_non_covered_listed_code_is_named_as_such(client_for, knowledge_with_v25):
    client = client_for(knowledge_with_v25)
    [card] = post_hook(client, "diagnosis-not-covered")["cards"]
    assert "R91.8: on the article's list of diagnoses that do **not** support" in card["detail"]
    assert "version 25" in card["detail"]


def test_a_covered_diagnosis_in_a_linked_condition_is_enough(client, article):
    request = hook_fixture("diagnosis-on-problem-list")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    condition = request["prefetch"]["conditions"]["entry"][0]["resource"]
    del order["reasonCode"]
    order["reasonReference"] = [{"reference": f"Condition/{condition['id']}"}]
    assert article.covers(condition["code"]["coding"][0]["code"])
    assert post_hook(client, request)["cards"] == []
