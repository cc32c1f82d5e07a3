"""The example hook requests of fixtures/hooks, posted to the service."""

from __future__ import annotations

import copy
from datetime import date

import pytest
from fhir.resources.R4B.servicerequest import ServiceRequest as R4BServiceRequest

from plugin.codes import CPT_SYSTEM, DEFAULT_ZCODE_SYSTEM
from tests.conftest import hook_fixture

SIGN, SELECT = "/cds-services/moldx-order-sign", "/cds-services/moldx-order-select"


def _post(client, body, url=SIGN):
    response = client.post(url, json=body)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _order(body: dict) -> dict:
    return body["context"]["draftOrders"]["entry"][0]["resource"]


def _row(knowledge, body):
    order = _order(body)
    test = next(c["code"] for c in order["code"]["coding"]
                if c["system"] == knowledge.lab.test_code_system)
    return knowledge.catalog.row_on(test, date.fromisoformat(order["occurrenceDateTime"]))


def _codes(resource: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource["code"]["coding"]}


COVERAGE_INFORMATION = \
    "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-coverage-information"


def _without_code(resource: dict) -> dict:
    """The order but for its codes and the Da Vinci coverage information every update adds."""
    return {k: v for k, v in resource.items() if k not in ("code", "extension")}


def _coverage(resource: dict) -> dict[str, object]:
    """The coverage-information extension's values by name (billingCode as a list)."""
    [extension] = [e for e in resource["extension"] if e["url"] == COVERAGE_INFORMATION]
    values: dict[str, object] = {}
    for part in extension["extension"]:
        value = next(v for k, v in part.items() if k.startswith("value"))
        if part["url"] == "billingCode":
            values.setdefault("billingCode", []).append(value["code"])
        else:
            values[part["url"]] = value
    return values


def _select(request: dict) -> dict:
    """The same orders, as an order-select call selecting all of them."""
    request["hook"] = "order-select"
    request["context"]["selections"] = [
        f"ServiceRequest/{e['resource']['id']}" for e in request["context"]["draftOrders"]["entry"]]
    return request


def _assert_updates_only_the_codes(action: dict, original: dict) -> None:
    assert action["type"] == "update" and action["description"]
    resource = action["resource"]
    assert _without_code(resource) == _without_code(original)
    R4BServiceRequest.model_validate(resource)  # a valid FHIR R4 resource, not only JSON


def test_an_order_with_everything_right_gets_no_card(client, knowledge):
    request = hook_fixture("all-correct")
    row = _row(knowledge, request)
    body = _post(client, request)
    assert body["cards"] == []
    # only the Da Vinci coverage information, the codes as they were
    [action] = body["systemActions"]
    _assert_updates_only_the_codes(action, _order(request))
    assert _codes(action["resource"]) == _codes(_order(request))
    coverage = _coverage(action["resource"])
    assert coverage["covered"] == "covered"
    assert coverage["billingCode"] == [row.cpt, row.zcode]


def test_missing_zcode_card_suggestion_and_system_action(client, knowledge):
    request = hook_fixture("missing-zcode")
    row = _row(knowledge, request)
    body = _post(client, request)
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    assert "billing codes" in card["summary"] and row.zcode in card["suggestions"][0]["label"]
    [suggestion] = card["suggestions"]
    [action] = suggestion["actions"]
    _assert_updates_only_the_codes(action, _order(request))
    expected = _codes(_order(request)) | {(CPT_SYSTEM, row.cpt), (DEFAULT_ZCODE_SYSTEM, row.zcode)}
    assert _codes(action["resource"]) == expected
    [system_action] = body["systemActions"]
    assert system_action["resource"] == action["resource"]
    assert _coverage(system_action["resource"])["billingCode"] == [row.cpt, row.zcode]


def test_order_select_suggests_but_leaves_the_order_to_the_clinician(client):
    body = _post(client, _select(hook_fixture("missing-zcode")), SELECT)
    assert len(body["cards"]) == 1 and body["cards"][0]["suggestions"]
    assert "systemActions" not in body


@pytest.mark.parametrize(("fixture", "kind_system"), [
    ("mismatched-zcode", DEFAULT_ZCODE_SYSTEM),
    ("mismatched-cpt", CPT_SYSTEM),
    ("stale-code", DEFAULT_ZCODE_SYSTEM),
])
def test_a_wrong_code_is_replaced_by_the_catalogs(client, knowledge, fixture, kind_system):
    request = hook_fixture(fixture)
    row = _row(knowledge, request)
    right = row.zcode if kind_system == DEFAULT_ZCODE_SYSTEM else row.cpt
    [wrong] = [c["code"] for c in _order(request)["code"]["coding"]
               if c["system"] == kind_system]
    assert wrong != right
    body = _post(client, request)
    [card] = body["cards"]
    assert card["indicator"] == "warning" and wrong in card["suggestions"][0]["label"]
    [action] = card["suggestions"][0]["actions"]
    _assert_updates_only_the_codes(action, _order(request))
    codes = _codes(action["resource"])
    assert (kind_system, right) in codes and (kind_system, wrong) not in codes
    assert [a["resource"] for a in body["systemActions"]] == [action["resource"]]


def test_a_stale_code_card_says_when_it_ended(client, knowledge):
    request = hook_fixture("stale-code")
    old = knowledge.catalog.rows(_row(knowledge, request).test_code)[0]
    [card] = _post(client, request)["cards"]
    assert str(old.effective_to) in card["summary"]


def test_not_payable_warns_why_and_suggests_no_code(client, knowledge):
    request = hook_fixture("not-payable")
    row = _row(knowledge, request)
    body = _post(client, request)
    [card] = body["cards"]
    assert card["indicator"] == "warning"
    # only the lab's covered test for the same use, in place of this one: no code change
    [suggestion] = card["suggestions"]
    assert suggestion["label"].startswith("Order Solid tumor RNA fusion panel (30 genes)")
    [action] = body["systemActions"]  # coverage information only: not covered
    assert _codes(action["resource"]) == _codes(_order(request))
    assert _coverage(action["resource"])["covered"] == "not-covered"
    assert "will not be paid yet" in card["summary"]
    assert "technical assessment" in card["detail"]
    assert f"${row.list_price_usd:,.2f}" in card["detail"]


def test_unknown_test_gets_one_info_card_and_nothing_invented(client):
    request = hook_fixture("unknown-test")
    body = _post(client, request)
    [card] = body["cards"]
    assert card["indicator"] == "info" and "suggestions" not in card
    assert "systemActions" not in body  # nothing invented, nothing asserted (section G)
    [code] = [c["code"] for c in _order(request)["code"]["coding"]]
    assert code in card["summary"]


def test_a_shared_cpt_offers_one_choice_per_candidate(client, knowledge):
    request = hook_fixture("ambiguous-test")
    body = _post(client, request)
    [card] = body["cards"]
    assert card["indicator"] == "info" and card["selectionBehavior"] == "at-most-one"
    # a choice is for a human: no code is applied, only the coverage information recorded
    [action] = body["systemActions"]
    assert _codes(action["resource"]) == _codes(_order(request))
    assert _coverage(action["resource"])["covered"] == "conditional"
    offered = {z for s in card["suggestions"] for a in s["actions"]
               for (system, z) in _codes(a["resource"]) if system == DEFAULT_ZCODE_SYSTEM}
    [cpt] = [c["code"] for c in _order(request)["code"]["coding"]]
    day = date.fromisoformat(_order(request)["occurrenceDateTime"])
    expected = {r.zcode for t in knowledge.catalog.tests_for_cpt(cpt)
                if (r := knowledge.catalog.row_on(t, day)) and r.cpt == cpt}
    assert offered == expected


def test_the_sandbox_first_call_with_an_empty_order_gets_no_card(client):
    assert _post(client, hook_fixture("sandbox-empty-order"), SELECT) == {"cards": []}


def test_order_select_comments_on_the_selections_only(client):
    request = hook_fixture("missing-zcode")
    request["hook"] = "order-select"
    second = copy.deepcopy(_order(request))
    second["id"] = "sr-2"
    request["context"]["draftOrders"]["entry"].append({"resource": second})
    request["context"]["selections"] = ["ServiceRequest/sr-2"]
    [card] = _post(client, request, SELECT)["cards"]
    assert card["suggestions"][0]["actions"][0]["resource"]["id"] == "sr-2"


def test_several_orders_each_get_their_own_card(client, knowledge):
    request = hook_fixture("missing-zcode")
    stale = _order(hook_fixture("stale-code"))
    stale["id"] = "sr-2"
    # on specimens of their own: drafts naming none would be taken as one service
    _order(request)["specimen"] = [{"reference": "Specimen/sp-1"}]
    stale["specimen"] = [{"reference": "Specimen/sp-2"}]
    request["prefetch"]["specimens"] = None  # the client has none to send
    request["context"]["draftOrders"]["entry"].append({"resource": stale})
    body = _post(client, request)
    targets = [c["suggestions"][0]["actions"][0]["resource"]["id"] for c in body["cards"]]
    assert targets == ["sr-1", "sr-2"]
    assert [a["resource"]["id"] for a in body["systemActions"]] == ["sr-1", "sr-2"]


def test_two_code_problems_on_one_order_make_one_card_with_one_update(client, knowledge):
    request = hook_fixture("missing-zcode")
    order = _order(request)
    order["code"]["coding"].append({"system": CPT_SYSTEM, "code": "81479"})  # wrong CPT, no Z
    row = _row(knowledge, request)
    body = _post(client, request)
    [card] = body["cards"]
    [action] = card["suggestions"][0]["actions"]
    codes = _codes(action["resource"])
    assert {(CPT_SYSTEM, row.cpt), (DEFAULT_ZCODE_SYSTEM, row.zcode)} <= codes
    assert (CPT_SYSTEM, "81479") not in codes
    assert len(body["systemActions"]) == 1


def test_every_card_is_well_formed(client):
    """Shape rules of CDS Hooks 2.0 on every card the fixtures produce."""
    for name in ("missing-zcode", "mismatched-zcode", "mismatched-cpt", "not-payable",
                 "stale-code", "unknown-test", "ambiguous-test"):
        for card in _post(client, hook_fixture(name))["cards"]:
            assert 0 < len(card["summary"]) < 140
            assert card["source"]["label"] and card["uuid"]
            assert card["indicator"] in ("info", "warning")
            if "suggestions" in card:
                assert card["selectionBehavior"] == "at-most-one"
                assert all(s["uuid"] and s["label"] for s in card["suggestions"])
