"""The date of service picks the article version and the catalog row."""

from __future__ import annotations

import pytest

from plugin.knowledge import load_knowledge
from tests.conftest import hook_fixture, post_hook
from tests.mcd_packs import copy_knowledge, read, write


def _on(request: dict, day: str, code: str) -> dict:
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["occurrenceDateTime"] = order["authoredOn"] = day
    coding = order["reasonCode"][0]["coding"][0]
    coding["code"] = code
    coding.pop("display", None)
    return request


@pytest.fixture
def client_v25(knowledge_with_v25, client_for):
    return client_for(knowledge_with_v25)


def test_a_code_added_in_the_newer_version_is_covered_from_its_effective_date(client_v25):
    before = post_hook(client_v25, _on(hook_fixture("diagnosis-secondary-lung"),
                                       "2025-12-31", "C78.01"))["cards"]
    after = post_hook(client_v25, _on(hook_fixture("diagnosis-secondary-lung"),
                                      "2026-01-01", "C78.01"))["cards"]
    [card] = before
    assert "version 24" in card["detail"]
    assert after == []


def test_the_card_names_the_version_in_force(client_v25, knowledge_with_v25):
    [card] = post_hook(client_v25, _on(hook_fixture("diagnosis-not-covered"),
                                       "2026-06-01", "R91.8"))["cards"]
    version = knowledge_with_v25.policy.versions["A57901"][-1]
    assert f"version {version.version}" in card["detail"]
    assert f"in force from {version.effective_from}" in card["detail"]


def test_no_version_in_force_is_a_notice_not_a_guess(client_v25):
    [card] = post_hook(client_v25, _on(hook_fixture("diagnosis-not-covered"),
                                       "2025-01-15", "R91.8"))["cards"]
    assert card["indicator"] == "info"
    assert "A57901 has no version in force on 2025-01-15" in card["detail"]


def test_the_catalog_row_in_force_decides_the_article(tmp_path, client_for):
    """CMD-LUNG50 names no article until 2025-12-31 and A57901 from 2026-01-01."""
    folder = copy_knowledge(tmp_path / "knowledge")
    header, rows = read(folder, "catalog.csv")
    [lung] = [r for r in rows if r["test_code"] == "CMD-LUNG50"]
    earlier = {**lung, "effective_to": "2025-12-31", "policy_article": ""}
    lung["effective_from"] = "2026-01-01"
    write(folder, "catalog.csv", header, [earlier, *rows])
    client = client_for(load_knowledge(folder))

    assert post_hook(client, _on(hook_fixture("diagnosis-not-covered"), "2025-06-01",
                                 "R91.8"))["cards"] == []
    [card] = post_hook(client, _on(hook_fixture("diagnosis-not-covered"), "2026-03-02",
                                   "R91.8"))["cards"]
    assert "A57901" in card["detail"] and "A57901" not in card["summary"]
