"""Which checks run for which payer (payers.csv coverage_rules)."""

from __future__ import annotations

import pytest

from plugin.knowledge import CoverageRules, KnowledgeError, load_knowledge
from tests.conftest import hook_fixture, post_hook
from tests.mcd_packs import copy_knowledge, read, write


def _payer(knowledge, value):
    return next(p for p in knowledge.payers if p.identifier_value == value)


def test_an_aetna_order_without_a_zcode_gets_no_zcode_card(client, knowledge):
    aetna = _payer(knowledge, "60054")
    assert aetna.coverage_rules is CoverageRules.NONE
    request = hook_fixture("aetna-no-zcode")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert not any(c["system"] == "urn:moldx-cds:dex-z-code" for c in order["code"]["coding"])
    # Its diagnosis (R91.8) is not covered by A57901, but Aetna follows no MolDX article.
    assert post_hook(client, request)["cards"] == []


def test_the_same_order_for_medicare_gets_both_checks(client, knowledge):
    request = hook_fixture("aetna-no-zcode")
    coverage = request["prefetch"]["coverage"]["entry"][0]["resource"]
    coverage["payor"][0]["identifier"]["value"] = knowledge.lab.medicare_part_b_contract
    summaries = [c["summary"] for c in post_hook(client, request)["cards"]]
    assert any("add the billing codes" in s for s in summaries)
    assert any("not covered for this diagnosis" in s for s in summaries)


def test_zcode_only_payers_get_the_zcode_check_but_no_diagnosis_check(client, knowledge):
    united = _payer(knowledge, "87726")
    assert united.coverage_rules is CoverageRules.ZCODE_ONLY
    request = hook_fixture("aetna-no-zcode")
    request["prefetch"]["coverage"]["entry"][0]["resource"]["payor"][0]["identifier"][
        "value"] = united.identifier_value
    [card] = post_hook(client, request)["cards"]
    assert united.name in card["summary"] and "Z-code" in card["suggestions"][0]["label"]


def test_an_unknown_payer_gets_one_info_card_for_the_request(client):
    request = hook_fixture("unknown-payer")
    assert len(request["context"]["draftOrders"]["entry"]) == 2
    [card] = post_hook(client, request)["cards"]
    assert card["indicator"] == "info"
    assert "99999" in card["summary"]
    assert "checks that need no payer were" in card["detail"]


def test_without_coverage_the_checks_that_need_no_payer_still_run(client):
    request = hook_fixture("no-coverage")
    assert request["prefetch"]["coverage"]["entry"] == []
    cards = post_hook(client, request)["cards"]
    summaries = [c["summary"] for c in cards]
    assert any("C34.9" in s and "not billable" in s for s in summaries)  # ICD-10-CM
    # the panel coding rules are MolDX's: not for an order whose payer is not known; only the
    # notice of what did not run names them
    [notice] = [c for c in cards if "coverage" in c["summary"] and c["indicator"] == "info"]
    assert "were skipped" in notice["detail"]
    assert not any("Z-code" in s or "A57901" in s or "81479" in s
                   for c in cards if c is not notice for s in (c["summary"], c["detail"]))


def test_medicare_must_agree_with_the_labs_contractor(tmp_path):
    """Medicare Part B follows the lab's contractor: a lab outside MolDX cannot have Medicare
    follow MolDX."""
    folder = copy_knowledge(tmp_path / "knowledge")
    header, [lab] = read(folder, "lab.csv")
    write(folder, "lab.csv", header, [{**lab, "state": "NY", "jurisdiction": "JK",
                                       "mac": "National Government Services"}])
    with pytest.raises(KnowledgeError, match="Medicare Part B follows the lab's contractor"):
        load_knowledge(folder)


def test_a_medicare_claim_needs_an_article_of_the_labs_contractor(tmp_path, client_for):
    folder = copy_knowledge(tmp_path / "knowledge")
    header, rows = read(folder / "mcd", "contractor.csv")
    write(folder / "mcd", "contractor.csv", header, [{**rows[0], "contractor_number": "03302"}])
    client = client_for(load_knowledge(folder))
    [card] = post_hook(client, "diagnosis-not-covered")["cards"]
    assert card["indicator"] == "info"
    assert "not an article of the lab's Medicare contractor (Part B contract 02302)" in \
        card["detail"]
