"""Cards as the clinician who signs the order sees them, over HTTP: what the LIS applies does
not interrupt, one problem is one card, every warning offers something to do, no button drops
a needed test, and the summary is in the clinician's words."""

from __future__ import annotations

import json
import re

import pytest

from cds_hooks.common.trust import DEMO_ISSUERS_FILE, load_issuers
from tests.conftest import FHIR_SERVERS, ISSUER, TODAY, hook_fixture, post_hook

ZCODE = "urn:moldx-cds:dex-z-code"
CPT = "http://www.ama-assn.org/go/cpt"


def _codes(resource: dict, system: str) -> list[str]:
    return [c["code"] for c in resource["code"]["coding"] if c.get("system") == system]


def _select(request: dict) -> dict:
    request["hook"] = "order-select"
    request["context"]["selections"] = [
        f"ServiceRequest/{e['resource']['id']}" for e in request["context"]["draftOrders"]["entry"]]
    return request


@pytest.fixture
def issuer_file(tmp_path, keys):
    """An issuers file for the test client, with `extra` members in its entry."""

    def write(**extra) -> tuple:
        path = tmp_path / "issuers.json"
        path.write_text(json.dumps({"issuers": [{
            "iss": ISSUER, "jwks_file": str(keys.jwks_file),
            "fhir_servers": [f"{b.scheme}://{b.host}:{b.port}{b.path}" for b in FHIR_SERVERS],
            **extra}]}))
        return load_issuers(path)

    return write


# -- What the LIS applies does not interrupt ---------------------------------------------------

def test_a_certain_fix_sent_as_a_system_action_is_not_also_a_warning(lis_client):
    body = post_hook(lis_client, "missing-zcode")
    [action] = body["systemActions"]
    assert _codes(action["resource"], ZCODE) == ["ZL5H2"]  # the LIS adds it
    assert [c for c in body["cards"] if c["indicator"] == "warning"] == []
    assert body["cards"] == []


def test_a_fix_that_is_only_a_suggestion_still_gets_its_card(lis_client):
    body = post_hook(lis_client, "zcode-from-cpt")  # only a CPT names the test: a person confirms
    [card] = body["cards"]
    assert card["indicator"] == "warning" and card["suggestions"]


def test_order_select_sends_no_system_action_so_the_card_stays(lis_client):
    body = post_hook(lis_client, _select(hook_fixture("missing-zcode")))
    assert "systemActions" not in body
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert _codes(card["suggestions"][0]["actions"][0]["resource"], ZCODE) == ["ZL5H2"]


def test_a_client_whose_ehr_does_not_apply_system_actions_gets_the_card(
        client_for, knowledge, issuer_file):
    issuers = issuer_file(applies_system_actions=False)
    assert issuers[0].applies_system_actions is False
    client = client_for(knowledge, issuers=issuers)
    body = post_hook(client, "missing-zcode")
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert _codes(card["suggestions"][0]["actions"][0]["resource"], ZCODE) == ["ZL5H2"]
    assert _codes(body["systemActions"][0]["resource"], ZCODE) == ["ZL5H2"]  # still sent


def test_an_issuer_applies_system_actions_unless_its_entry_says_not(issuer_file):
    [issuer] = issuer_file()
    assert issuer.applies_system_actions is True
    with pytest.raises(ValueError, match="applies_system_actions"):
        issuer_file(applies_system_actions="no")


def test_the_sandbox_applies_no_system_actions():
    """Its PAMA screen takes nothing from a system action (docs/sandbox.md): it gets cards."""
    entries = {i.iss: i for i in load_issuers(DEMO_ISSUERS_FILE)}
    assert entries["https://sandbox.cds-hooks.org"].applies_system_actions is False
    assert entries["urn:moldx-cds:demo-client"].applies_system_actions is True


# -- One problem, one card ---------------------------------------------------------------------

def test_a_diagnosis_that_is_not_billable_is_one_card_offering_the_billable_codes(client):
    body = post_hook(client, "diagnosis-not-billable")
    [card] = body["cards"]  # not also "not covered; ABN needed", gone once the code is fixed
    assert "C34.9" in card["summary"]
    replaced = [s["actions"][0]["resource"]["reasonCode"][0]["coding"][0]["code"]
                for s in card["suggestions"]]
    assert replaced == ["C34.90", "C34.91", "C34.92"]
    assert "Advance Beneficiary Notice" not in card["detail"]
    assert "ABN signed" not in {r["display"] for r in card["overrideReasons"]}


def test_a_test_that_does_not_fit_the_indication_is_one_card(client):
    [card] = post_hook(client, "solid-panel-for-aml")["cards"]
    assert "hematolymphoid" in card["summary"]
    assert "Advance Beneficiary Notice" not in card["detail"]
    assert "ABN signed" not in {r["display"] for r in card["overrideReasons"]}


def test_the_root_card_keeps_the_covered_condition_the_coverage_rule_offers(client):
    """The consequence's own fix (link a covered problem-list diagnosis) stays on offer."""
    request = hook_fixture("diagnosis-on-problem-list")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["reasonCode"][0]["coding"][0]["code"] = "C34.9"
    [card] = post_hook(client, request)["cards"]
    links = [s for s in card["suggestions"]
             if s["actions"][0]["resource"].get("reasonReference")]
    assert len(links) == 1 and len(card["suggestions"]) == 4


def test_every_finding_still_reaches_a_card_on_check(client, capsys):
    """`moldx-cds check` names the card of each finding: the consequence's is the root's."""
    from cds_hooks.cli.main import main
    from tests.conftest import FIXTURES
    [card] = post_hook(client, "solid-panel-for-aml")["cards"]
    main(["check", str(FIXTURES / "hooks" / "solid-panel-for-aml.json")])
    lines = capsys.readouterr().out.splitlines()
    for rule in ("test-indication", "diagnosis-not-covered"):
        [line] = [x for x in lines if f" {rule} " in x]
        assert line.endswith(card["summary"]), line


# -- Every warning offers something to do ------------------------------------------------------

LAB = "http://example.org/fhir/CodeSystem/cascade-lab-tests"


def _replacement(card: dict, test_code: str) -> dict:
    """The suggestion of `card` that turns the order into `test_code`, and its resource."""
    [suggestion] = [s for s in card["suggestions"]
                    if _codes(s["actions"][0]["resource"], LAB) == [test_code]]
    return suggestion


def test_a_solid_panel_for_aml_offers_the_catalogs_hematolymphoid_test(client, knowledge):
    myeloid = knowledge.catalog.row_on("CMD-MYE40", TODAY)
    [card] = post_hook(client, "solid-panel-for-aml")["cards"]
    suggestion = _replacement(card, "CMD-MYE40")
    assert myeloid.test_name in suggestion["label"]
    assert not suggestion.get("isRecommended")  # a person decides: a suggestion only
    [action] = suggestion["actions"]
    assert action["type"] == "update"
    resource = action["resource"]
    assert _codes(resource, CPT) == [myeloid.cpt] and _codes(resource, ZCODE) == [myeloid.zcode]
    assert resource["code"]["text"] == myeloid.test_name
    assert resource["reasonCode"] == hook_fixture("solid-panel-for-aml")["context"][
        "draftOrders"]["entry"][0]["resource"]["reasonCode"]  # the diagnosis stays


def test_a_test_whose_assessment_is_pending_offers_the_labs_covered_test_for_the_same_use(
        client, knowledge):
    covered = knowledge.catalog.row_on("CMD-FUS30", TODAY)
    assert covered.dex_status.value == "covered"
    [card] = post_hook(client, "rna-panel-55-genes")["cards"]
    assert covered.test_name in _replacement(card, "CMD-FUS30")["label"]
    assert "ABN signed" not in {r["display"] for r in card["overrideReasons"]}


def test_without_a_covered_test_for_the_same_use_the_card_links_whom_to_ask(client, knowledge):
    request = hook_fixture("rna-panel-55-genes")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    hrd = knowledge.catalog.row_on("CMD-HRD", TODAY)  # technical assessment not successful
    order["code"]["coding"] = [{"system": LAB, "code": hrd.test_code}]
    cards = post_hook(client, request)["cards"]
    [card] = [c for c in cards if "will not be paid" in c["summary"]]
    assert "suggestions" not in card
    [link] = card["links"]
    assert knowledge.lab.name in link["label"] and link["url"] == knowledge.lab.contact_url


# -- Never one click that loses a test ---------------------------------------------------------

@pytest.mark.parametrize(("name", "combined"), [
    ("panel-and-msi", "CMD-LUNG50M"),
    ("dna-and-rna-panels", "CMD-LUNG50F"),
    ("stacked-single-genes", "CMD-EKB3"),
])
def test_orders_that_are_one_service_get_one_suggestion_combining_them(
        client, knowledge, name, combined):
    row = knowledge.catalog.row_on(combined, TODAY)
    request = hook_fixture(name)
    drafts = [f"ServiceRequest/{e['resource']['id']}"
              for e in request["context"]["draftOrders"]["entry"]]
    [card] = post_hook(client, request)["cards"]
    [suggestion] = card["suggestions"]
    assert row.test_name in suggestion["label"]
    [update, *deletes] = suggestion["actions"]
    assert update["type"] == "update"
    kept = f"ServiceRequest/{update['resource']['id']}"
    assert _codes(update["resource"], LAB) == [combined]
    assert _codes(update["resource"], CPT) == [row.cpt]
    # every other draft is removed, none is lost: the kept one now is the combined test
    assert sorted(d["resourceId"] for d in deletes if d["type"] == "delete") == \
        sorted(d for d in drafts if d != kept)


def test_without_a_combined_test_in_the_catalog_nothing_is_dropped(tmp_path, client_for):
    from plugin.knowledge import load_knowledge
    from tests.mcd_packs import copy_knowledge, read, write
    folder = copy_knowledge(tmp_path / "knowledge")
    header, rows = read(folder, "catalog.csv")
    write(folder, "catalog.csv", header, [r for r in rows if r["test_code"] != "CMD-LUNG50M"])
    [card] = post_hook(client_for(load_knowledge(folder)), "panel-and-msi")["cards"]
    assert "suggestions" not in card
    assert "no test that combines" in card["detail"]


# -- The clinician's words ---------------------------------------------------------------------

from tests.conftest import FIXTURES  # noqa: E402

HOOKS = sorted(p.stem for p in (FIXTURES / "hooks").glob("*.json"))
BILLING_WORDS = re.compile(r"Z-code|\bDEX\b|MolDX|\bA\d{5}\b|\bL\d{5}\b|\bCARC\b|\bRARC\b|"
                           r"\bCO-\d+|\bABN\b|[Mm]odifier|\bGA\b")


def _answers(client, name):
    """The fixture's answer on order-sign and on order-select."""
    yield post_hook(client, hook_fixture(name))
    yield post_hook(client, _select(hook_fixture(name)))


@pytest.mark.parametrize("name", HOOKS)
def test_summaries_speak_the_clinicians_words(client, name):
    for body in _answers(client, name):
        for card in body["cards"]:
            assert not BILLING_WORDS.search(card["summary"]), card["summary"]


@pytest.mark.parametrize("name", HOOKS)
def test_details_are_at_most_three_short_paragraphs_before_the_billing_staffs(client, name):
    for body in _answers(client, name):
        for card in body["cards"]:
            clinician = (card.get("detail") or "").split("For billing staff:")[0]
            paragraphs = [p for p in clinician.split("\n\n") if p.strip()]
            assert len(paragraphs) <= 3, card["detail"]


@pytest.mark.parametrize("name", HOOKS)
def test_no_line_is_repeated_across_the_cards_of_one_answer(client, name):
    for body in _answers(client, name):
        lines = [line.strip() for card in body["cards"]
                 for line in (card.get("detail") or "").splitlines()
                 if line.strip() and line.strip() != "For billing staff:"]
        assert len(lines) == len(set(lines)), lines


def test_the_date_of_service_and_the_amount_at_risk_appear_once(client):
    request = hook_fixture("diagnosis-not-covered")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"]["coding"] = [c for c in order["code"]["coding"] if "dex" not in c["system"]]
    cards = post_hook(client, request)["cards"]  # the Z-code card and the coverage card
    assert len(cards) == 2
    text = "\n".join(c["detail"] for c in cards)
    assert text.count("Date of service:") == 1 and text.count("Amount at risk:") == 1


def test_diagnosis_choices_say_what_they_mean(client):
    [card] = post_hook(client, "diagnosis-not-billable")["cards"]
    labels = [s["label"] for s in card["suggestions"]]
    assert "Use C34.91 Malignant neoplasm of unspecified part of right bronchus or lung" \
        in labels
    assert "C34.92 Malignant neoplasm of unspecified part of left bronchus or lung" \
        in card["detail"]


def test_an_abn_is_offered_as_an_override_only_where_the_card_says_it_helps(client):
    [coding_gap] = post_hook(client, "snomed-reason")["cards"]  # an ABN does not cure it
    assert "ABN signed" not in {r["display"] for r in coding_gap["overrideReasons"]}
    [medical_necessity] = post_hook(client, "diagnosis-not-covered")["cards"]
    assert "Advance Beneficiary Notice" in medical_necessity["detail"]
    assert "ABN signed" in {r["display"] for r in medical_necessity["overrideReasons"]}


def test_why_a_test_will_not_be_paid_is_said_in_the_clinicians_words(client):
    [card] = post_hook(client, "rna-panel-55-genes")["cards"]
    clinician = card["detail"].split("For billing staff:")[0]
    assert not BILLING_WORDS.search(clinician), clinician
    assert "technical assessment" in clinician
