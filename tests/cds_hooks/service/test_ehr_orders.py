"""Orders as real EHRs send them, over the service's HTTP API: the lab's aliases, CRD 2.2
billing options and the coverage information CRD 2.2 asks for, with the CRD 2.0.1 shape kept
for calls that ask for no version (Inferno)."""

from __future__ import annotations

import copy
import shutil

import pytest

from cds_hooks.service.app import reload_knowledge
from plugin.knowledge import DEMO_DIR, load_knowledge
from tests.cds_hooks.service.test_prefetch import (
    CONDITION_SEARCH,
    COVERAGE_SEARCH,
    FAILURES,
    call,
)
from tests.cds_hooks.service.test_service import SELECT, SIGN, as_select, coverage_parts
from tests.conftest import hook_fixture

ORACLE = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/200"
BILLING_OPTIONS = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"
CPT = "http://www.ama-assn.org/go/cpt"
ZCODE = "urn:moldx-cds:dex-z-code"
TECHNICAL = {"system": "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp",
             "code": "technical"}


def _post(client, body: dict, url: str = SIGN) -> dict:
    response = client.post(url, json=body)
    assert response.status_code == 200, response.json
    return response.json


def _crd22(body: dict) -> dict:
    return {**body, "extension": {"davinci-crd.requestedVersion": "2.2"}}


def _orders(body: dict) -> list[dict]:
    return [e["resource"] for e in body["context"]["draftOrders"]["entry"]]


def _recode(body: dict, *codings: dict, options: tuple[str, ...] = ()) -> dict:
    """The call with its first order coded as an EHR would code it."""
    body = copy.deepcopy(body)
    order = _orders(body)[0]
    order["code"] = {"coding": list(codings), "text": "Send-out molecular test"}
    if options:
        order["code"]["extension"] = [
            {"url": BILLING_OPTIONS, "valueCodeableConcept": {"coding": [
                {"system": CPT, "code": code}]}} for code in options]
    return body


def _payer(body: dict, value: str) -> dict:
    body = copy.deepcopy(body)
    for entry in body["prefetch"]["coverage"]["entry"]:
        entry["resource"]["payor"][0]["identifier"]["value"] = value
    return body


def _parts(response: dict, index: int = 0) -> dict[str, list]:
    return coverage_parts(response["systemActions"][index]["resource"])


# -- orders that are not the lab's --------------------------------------------------------

def test_the_cds_hooks_docs_mra_order_select_example_gets_nothing(client):
    assert _post(client, hook_fixture("mra-order-select"), SELECT) == {"cards": []}


def test_an_imaging_order_with_billing_options_and_a_coverage_gets_nothing_at_signing(client):
    body = _recode(hook_fixture("all-correct"),
                   {"system": "http://snomed.info/sct", "code": "726551006"},
                   options=("77061", "77062", "77065", "77066"))
    assert _post(client, body) == {"cards": []}


# -- no Coverage ------------------------------------------------------------------------------

def test_without_a_coverage_one_card_names_the_checks_not_run(client):
    response = _post(client, hook_fixture("no-coverage"))
    [card] = [c for c in response["cards"] if "coverage" in c["summary"].lower()]
    assert card["indicator"] == "info"
    assert "insurance coverage" in card["summary"] and "did not run" in card["summary"]
    assert "whether the insurer pays for the test" in card["detail"]
    assert "systemActions" not in response  # the extension needs a Coverage to refer to


# -- aliases and billing options --------------------------------------------------------------

def test_an_oracle_health_order_catalog_code_is_the_labs_test(client):
    body = _recode(hook_fixture("missing-zcode"), {"system": ORACLE, "code": "2823941",
                                                    "display": "Lung Hotspot NGS Send Out"})
    response = _post(client, body)
    [action] = response["systemActions"]
    codes = {(c["system"], c["code"]) for c in action["resource"]["code"]["coding"]}
    # the certain fix, as for the lab's own code: the CPT and Z-code of CMD-LUNG50
    assert {(CPT, "81445"), (ZCODE, "ZL5H2"), (ORACLE, "2823941")} <= codes


def test_another_clients_epic_code_names_nothing_for_this_issuer(client):
    # the demo rows for this Epic site carry the demo client's iss, not the test client's
    body = _recode(hook_fixture("missing-zcode"), {
        "system": "urn:oid:1.2.840.114350.1.13.5501.2.7.2.696580", "code": "40012345"})
    assert _post(client, body) == {"cards": []}


def test_billing_options_alone_give_a_suggestion_and_no_code_applied(client):
    body = _recode(hook_fixture("missing-zcode"),
                   {"system": "http://snomed.info/sct", "code": "1234567"}, options=("81445",))
    response = _post(client, body)
    [card] = response["cards"]
    assert card["suggestions"] and "confirm that this is the test" in card["detail"]
    [action] = response["systemActions"]  # coverage information only
    assert [c["code"] for c in action["resource"]["code"]["coding"]] == ["1234567"]
    assert not [c for c in _parts(response)["billingCode"] if c["system"] == ZCODE]


def test_a_disagreeing_billing_option_is_a_warning_naming_both(client):
    body = _recode(hook_fixture("all-correct"), *_orders(hook_fixture("all-correct"))[0][
        "code"]["coding"], options=("81455",))
    [card] = _post(client, body)["cards"]
    assert card["indicator"] == "warning" and card["overrideReasons"]
    billing = [line for line in card["detail"].split("\n\n") if "81455" in line]
    assert billing and all(line.startswith("For billing staff:") for line in billing)
    assert "81445" in billing[0] and "CMD-LUNG50" in billing[0]


def test_a_generic_loinc_code_is_a_choice_and_crd_22_says_detail_code(client):
    body = _crd22(_recode(hook_fixture("all-correct"),
                          {"system": "http://loinc.org", "code": "81247-9"}))
    response = _post(client, body)
    [card] = response["cards"]
    assert len(card["suggestions"]) == 3 and card["selectionBehavior"] == "at-most-one"
    parts = _parts(response)
    assert parts["covered"] == ["conditional"] and "detail-code" in parts["info-needed"]
    assert "billingCode" not in parts
    # the same call without a version gets the CRD 2.0.1 shape
    old = _parts(_post(client, {k: v for k, v in body.items() if k != "extension"}))
    assert old["covered"] == ["conditional"] and old["info-needed"] == ["OTH"]


# -- coverage information ---------------------------------------------------------------------

def test_medicare_under_its_article_is_covered_with_the_zcode(client):
    parts = _parts(_post(client, _crd22(hook_fixture("all-correct"))))
    assert parts["covered"] == ["covered"] and "reason" not in parts
    assert {c["code"] for c in parts["billingCode"]} == {"81445", "ZL5H2"}


def test_no_covered_without_the_payers_coverage_policy(client):
    body = _payer(hook_fixture("all-correct"), "87726")  # UnitedHealthcare: Z-code rules only
    parts = _parts(_post(client, _crd22(body)))
    assert parts["covered"] == ["indeterminate"]
    assert any("No coverage policy of UnitedHealthcare" in r["text"] for r in parts["reason"])
    assert parts["pa-needed"] == ["conditional"]
    assert {c["code"] for c in parts["billingCode"]} == {"81445", "ZL5H2"}  # it requires one
    old = _parts(_post(client, body))
    assert old["covered"] == ["conditional"] and "OTH" in old["info-needed"]


def test_no_zcode_billing_code_for_a_payer_that_does_not_require_one(client):
    parts = _parts(_post(client, _crd22(_payer(hook_fixture("all-correct"), "60054"))))
    assert [c["code"] for c in parts["billingCode"]] == ["81445"]  # Aetna: no Z-code
    assert parts["covered"] == ["indeterminate"] and parts["reason"]


def test_parallel_orders_that_are_one_service_depend_on_each_other(client):
    response = _post(client, hook_fixture("panel-and-msi"))
    by_order = {a["resource"]["id"]: coverage_parts(a["resource"])
                for a in response["systemActions"]}
    assert by_order["sr-1"]["dependency"] == [{"reference": "ServiceRequest/sr-2"}]
    assert by_order["sr-2"]["dependency"] == [{"reference": "ServiceRequest/sr-1"}]


@pytest.mark.parametrize("failure", FAILURES)
def test_a_fhir_failure_with_a_known_coverage_is_indeterminate_technical(client, fhir_server,
                                                                        failure):
    fhir_server.get(CONDITION_SEARCH, **FAILURES[failure])
    parts = _parts(_post(client, _crd22(call(conditions=...))))
    assert parts["covered"] == ["indeterminate"]
    [technical] = [r for r in parts["reason"] if r.get("coding")]
    assert technical["coding"] == [TECHNICAL] and "could not be read" in technical["text"]


# -- CDS Hooks 3.0 readiness -------------------------------------------------------------------

def test_smart_v2_scopes_are_accepted_beside_v1(client, fhir_server):
    fhir_server.get(CONDITION_SEARCH, json={"resourceType": "Bundle", "type": "searchset"})
    body = call(conditions=...)
    body["fhirAuthorization"]["scope"] = ("patient/Condition.rs patient/Coverage.rs "
                                          "patient/Patient.rs patient/ServiceRequest.rs")
    response = _post(client, body)
    assert response["systemActions"] and not [
        c for c in response["cards"] if "could not be read" in c["summary"]]


NON_2XX = {
    "400 not JSON": (lambda c: c.post(SIGN, data=b"{", content_type="application/json"), 400),
    "401 no token": (lambda c: c.post(SIGN, json=hook_fixture("all-correct"), sign=False), 401),
    "404 no service": (lambda c: c.post("/cds-services/nope", json={}), 404),
    "405 GET a service": (lambda c: c.get(SIGN), 405),
    "412 no coverage to read": (lambda c: c.post(SIGN, json={
        k: v for k, v in call(coverage=...).items() if k not in ("fhirServer",
                                                                 "fhirAuthorization")}), 412),
    "413 too large": (lambda c: c.post(SIGN, data=b" " * (11 * 1024 * 1024),
                                       content_type="application/json"), 413),
}


@pytest.mark.parametrize("case", NON_2XX)
def test_every_error_of_the_hook_routes_carries_an_operation_outcome(client, case):
    send, status = NON_2XX[case]
    response = send(client)
    assert response.status_code == status
    assert response.json["resourceType"] == "OperationOutcome"
    assert response.json["issue"][0]["diagnostics"]


def _broken(monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("a rule crashed")
    monkeypatch.setattr("cds_hooks.service.app.decide", fail)


def test_an_internal_failure_with_a_known_coverage_is_indeterminate_technical(client,
                                                                           monkeypatch):
    _broken(monkeypatch)
    response = _post(client, _crd22(hook_fixture("all-correct")))
    assert response["cards"] == []
    [action] = response["systemActions"]
    original = _orders(hook_fixture("all-correct"))[0]
    assert {k: v for k, v in action["resource"].items() if k != "extension"} == original
    parts = coverage_parts(action["resource"])
    assert parts["covered"] == ["indeterminate"] and parts["reason"][0]["coding"] == [TECHNICAL]
    assert "could not complete its checks" in parts["reason"][0]["text"]
    old = _parts(_post(client, hook_fixture("all-correct")))  # 2.0.1: no indeterminate
    assert old["covered"] == ["conditional"] and old["info-needed"] == ["OTH"]


def test_an_internal_failure_without_a_coverage_is_a_500_operation_outcome(client,
                                                                          monkeypatch):
    _broken(monkeypatch)
    response = client.post(SIGN, json=hook_fixture("no-coverage"))
    assert response.status_code == 500
    assert response.json["resourceType"] == "OperationOutcome"
    assert "a rule crashed" not in response.get_data(as_text=True)  # the log has it


# -- aliases.csv reloaded like the other files -------------------------------------------------

def test_a_reload_reads_aliases_again_and_a_bad_row_keeps_the_old_knowledge(client_for,
                                                                              tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(DEMO_DIR, folder)
    (folder / "aliases.csv").unlink()
    client = client_for(load_knowledge(folder), knowledge_dir=folder)
    body = _recode(hook_fixture("missing-zcode"), {"system": ORACLE, "code": "777"})
    assert _post(client, body) == {"cards": []}  # no alias: not the lab's order

    (folder / "aliases.csv").write_text(f"system,code,test_code,issuer\n{ORACLE},777,CMD-EGFR,\n")
    assert reload_knowledge(client.application)["result"] == "done"
    [action] = _post(client, body)["systemActions"]
    assert (ZCODE, "ZE1G6") in {(c["system"], c["code"])
                                for c in action["resource"]["code"]["coding"]}

    (folder / "aliases.csv").write_text(f"system,code,test_code,issuer\n{ORACLE},777,CMD-X,\n")
    outcome = reload_knowledge(client.application)
    assert outcome["result"] == "failed"
    assert outcome["problems"] == [
        "aliases.csv, line 2, column test_code: test 'CMD-X' is not in catalog.csv"]
    assert _post(client, body)["systemActions"]  # still serving the knowledge that loaded


def test_a_coverage_that_could_not_be_read_is_not_said_to_be_missing(client, fhir_server):
    fhir_server.get(COVERAGE_SEARCH, status=500)
    body = as_select(call(coverage=...))
    summaries = [c["summary"] for c in _post(client, body, SELECT)["cards"]]
    assert any("could not be read" in s for s in summaries)
    assert not any("No active insurance coverage" in s for s in summaries)
