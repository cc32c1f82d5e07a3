"""The billing expert's cases (docs/rules.md), as fixtures under fixtures/hooks answered over
HTTP by `moldx-cds serve` in its own process, as an EHR would call it."""

from __future__ import annotations

import pytest
import requests

from cds_hooks.client.keys import demo_token
from tests.conftest import hook_fixture
from tests.processes import command_env, running_service

CPT = "http://www.ama-assn.org/go/cpt"
ZCODE = "urn:moldx-cds:dex-z-code"


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("billing"), command_env()) as service:
        url = service.base + "/cds-services/moldx-order-sign"

        def post(name: str) -> dict:
            response = requests.post(url, json=hook_fixture(name), timeout=10,
                                     headers={"Authorization": f"Bearer {demo_token(url)}"})
            assert response.status_code == 200, response.text
            return response.json()

        yield post


def _codes(resource: dict, system: str) -> list[str]:
    return [c["code"] for c in resource["code"]["coding"] if c.get("system") == system]


def _only(body: dict, rule_words: str) -> dict:
    [card] = [c for c in body["cards"] if rule_words in c["summary"]]
    return card


def test_a_dna_panel_and_msi_signed_together_are_one_81457_service(call):
    body = call("panel-and-msi")
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert "one service, CPT 81457" in card["summary"]
    assert "taken to be on the same specimen" in card["detail"]  # no specimen was stated
    [suggestion] = card["suggestions"]  # the panel with MSI in place of both: none is lost
    assert [a["type"] for a in suggestion["actions"]] == ["update", "delete"]
    assert _codes(suggestion["actions"][0]["resource"], CPT) == ["81457"]
    # a person combines the orders: nothing is applied unasked
    assert all(a["type"] == "update" and "drop" not in a["description"]
               for a in body["systemActions"])


def test_dna_and_rna_panels_on_one_specimen_are_one_81479_service(call):
    [card] = call("dna-and-rna-panels")["cards"]
    assert "A DNA panel and an RNA panel on one specimen are one service, CPT 81479" in \
        card["summary"]
    assert "run serially" in card["detail"]  # T3: the separate-service exception is named
    assert "(tissue, collected 2026-03-02)" in card["detail"]


def test_three_single_gene_codes_on_one_specimen_are_one_panel(call):
    [card] = call("stacked-single-genes")["cards"]
    assert "Single-gene tests on one specimen are one service, CPT 81479" in card["summary"]
    assert "ServiceRequest/sr-1" in card["detail"] and "ServiceRequest/sr-2" in card["detail"]


def test_a_solid_panel_for_leukaemia_is_an_indication_warning_not_a_cpt_change(call):
    body = call("solid-panel-for-aml")
    card = _only(body, "check the test ordered")
    assert "solid-tumour test" in card["summary"]
    # the test for the indication is offered in place of the order, never a CPT change
    [suggestion] = card["suggestions"]
    assert _codes(suggestion["actions"][0]["resource"], CPT) == ["81450"]
    [action] = body["systemActions"]  # coverage information only: the CPT is kept
    assert _codes(action["resource"], CPT) == ["81445"]


def test_a_malformed_zcode_is_named_and_the_catalogs_offered_not_applied(call):
    body = call("malformed-zcode")
    [card] = body["cards"]
    assert "mistyped" in card["summary"] and "ZL5H is written as a Z-code but is not one" in \
        card["detail"]
    assert "not in the test catalog" not in card["summary"]
    [suggestion] = card["suggestions"]
    assert _codes(suggestion["actions"][0]["resource"], ZCODE) == ["ZL5H2"]
    # only a CPT named the test: the update is a suggestion, not a system action
    [action] = body["systemActions"]
    assert _codes(action["resource"], ZCODE) == ["ZL5H"]


def test_a_zcode_inferred_from_a_cpt_is_only_a_suggestion(call):
    body = call("zcode-from-cpt")
    [card] = body["cards"]
    assert "confirm that this is the test ordered" in card["detail"]
    assert _codes(card["suggestions"][0]["actions"][0]["resource"], ZCODE) == ["ZL5H2"]
    [action] = body["systemActions"]
    assert _codes(action["resource"], ZCODE) == []


def test_the_date_of_service_is_the_specimens_collection_day(call):
    request = hook_fixture("specimen-date")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    assert order["authoredOn"] > "2025-12-31"  # the order alone would make ZM7S1 stale
    body = call("specimen-date")
    assert body["cards"] == []


def test_a_snomed_reason_is_named_never_no_diagnosis(call):
    [card] = call("snomed-reason")["cards"]
    assert "the claim needs the ICD-10-CM code for Non-small cell lung cancer" in card["summary"]
    assert "no diagnosis," not in card["detail"]
    assert "coded in SNOMED CT" in card["detail"]
    assert "demo data, not for billing" in card["detail"]


def test_molDX_panel_rules_are_not_applied_to_aetna(call):
    assert call("aetna-panel-rules")["cards"] == []


def test_plasma_and_pla_codes_fit(call):
    assert call("plasma-and-pla-codes")["cards"] == []


def test_a_55_gene_rna_panel_billed_81456_is_not_recoded(call):
    body = call("rna-panel-55-genes")
    [card] = body["cards"]  # only its DEX status
    assert "will not be paid yet" in card["summary"]
    assert "technical assessment" in card["detail"]
    assert "81449" not in card["summary"] + card["detail"]


def test_the_sandbox_snomed_reason_case_of_docs_sandbox_md(call):
    """What the CDS Hooks sandbox sends on signing (cds-hooks/sandbox): one CPT coding,
    a SNOMED CT reason, no date, no insurance. The reason is named, the Z-code is offered
    but not applied (only a CPT named the test)."""
    body = call("sandbox-snomed-reason")
    summaries = [c["summary"] for c in body["cards"]]
    assert ("Lung and colon hotspot panel (50 genes): the claim needs the ICD-10-CM code for "
            "Non-small cell lung cancer") in summaries
    assert any(s.startswith("Lung and colon hotspot panel (50 genes): confirm the test") for s in
               summaries)
    assert not any("no diagnosis" in (c.get("detail") or "") for c in body["cards"])
    [action] = body["systemActions"]
    assert _codes(action["resource"], ZCODE) == []
