"""The three hooks over HTTP: discovery, order-select, order-sign, order-dispatch, the CRD
configuration and coverage information, errors and CORS."""

from __future__ import annotations

import copy
import re
import uuid

import pytest

from cds_hooks.service.crd import COVERAGE_INFORMATION
from tests.conftest import hook_fixture

SIGN = "/cds-services/moldx-order-sign"
SELECT = "/cds-services/moldx-order-select"
DISPATCH = "/cds-services/moldx-order-dispatch"
FIXTURES = ("all-correct", "mismatched-cpt", "mismatched-zcode", "missing-zcode", "not-payable",
            "stale-code")


def coverage_parts(resource: dict) -> dict[str, list]:
    parts: dict[str, list] = {}
    for extension in resource.get("extension", []):
        if extension["url"] == COVERAGE_INFORMATION:
            for part in extension["extension"]:
                value = next(v for k, v in part.items() if k.startswith("value"))
                parts.setdefault(part["url"], []).append(value)
    return parts


def as_select(body: dict) -> dict:
    body = copy.deepcopy(body)
    body["hook"] = "order-select"
    body["context"]["selections"] = [
        f"ServiceRequest/{e['resource']['id']}" for e in body["context"]["draftOrders"]["entry"]]
    return body


def as_dispatch(body: dict, shape: str) -> tuple[dict, dict]:
    """The order-dispatch call for the fixture's order, in the 1.0 or 1.1 context shape, and
    the order as the EHR's FHIR server holds it (signed, active)."""
    order = copy.deepcopy(body["context"]["draftOrders"]["entry"][0]["resource"])
    order["status"] = "active"
    reference = f"ServiceRequest/{order['id']}"
    context = {"patientId": body["context"]["patientId"], "performer": "Organization/lab-1"}
    if shape == "1.0":
        context |= {"order": reference, "task": {"resourceType": "Task", "status": "requested"}}
    else:
        context |= {"dispatchedOrders": [reference], "fulfillmentTasks": [
            {"resourceType": "Task", "status": "requested", "focus": {"reference": reference}}]}
    dispatch = {k: v for k, v in body.items() if k != "context"} | {
        "hook": "order-dispatch", "context": context}
    return dispatch, order


# -- discovery ---------------------------------------------------------------------------

def test_discovery_lists_three_services_with_allowed_prefetch_and_crd_options(client):
    response = client.get("/cds-services", sign=False)  # discovery is public
    assert response.status_code == 200
    services = {s["hook"]: s for s in response.json["services"]}
    assert set(services) == {"order-select", "order-sign", "order-dispatch"}
    for service in services.values():
        assert all(isinstance(service[k], str) for k in ("hook", "id", "description", "title"))
        for template in service["prefetch"].values():
            tokens = re.findall(r"\{\{(.*?)\}\}", template)
            assert all(re.fullmatch(r"context\.(patientId|order)", t) for t in tokens), template
        options = service["extension"]["davinci-crd.configuration-options"]
        assert {o["code"] for o in options if o["type"] == "boolean"} == {"claim",
                                                                          "coverage-info"}
        assert all({"code", "type", "name", "description", "default"} <= set(o)
                   for o in options)
        assert len({o["name"] for o in options}) == len(options)
        assert all(re.fullmatch(r"[1-9]\d*\.[1-9]\d*", v)
                   for v in service["extension"]["davinci-crd.version"])


def test_openapi_document_describes_the_routes(client, app):
    document = client.get("/openapi.json", sign=False).json
    assert document["openapi"].startswith("3.1")
    services = client.get("/cds-services", sign=False).json["services"]
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.endpoint != "static"}
    per_service = {path.replace("{service_id}", s["id"]) for path in routes for s in services
                   if "{service_id}" in path}
    assert set(document["paths"]) == {p for p in routes if "{service_id}" not in p} | per_service
    assert {"/cds-services", "/openapi.json", "/healthz", "/readyz", "/metrics"} <= routes
    for service in services:
        post = document["paths"][f"/cds-services/{service['id']}"]["post"]
        assert set(post["responses"]) == {"200", "400", "401", "412", "413"}
        schema = post["requestBody"]["content"]["application/json"]["schema"]
        assert schema["allOf"][1]["properties"]["hook"] == {"const": service["hook"]}


# -- order-sign ----------------------------------------------------------------------------

@pytest.mark.parametrize("name", FIXTURES)
def test_order_sign_sends_one_update_per_order_with_coverage_information(client, name):
    body = hook_fixture(name)
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    actions = response.json["systemActions"]
    orders = [e["resource"] for e in body["context"]["draftOrders"]["entry"]]
    assert [a["resource"]["id"] for a in actions] == [o["id"] for o in orders]
    parts = coverage_parts(actions[0]["resource"])
    assert parts["coverage"] == [{"reference": "Coverage/cov-1"}]
    # Every suggestion updating the order carries the same coverage information, so that
    # applying it after the system action does not drop it; one that orders another test in
    # its place carries none (it was about the test replaced).
    tests = {o["id"]: o["code"]["coding"][0]["code"] for o in orders}
    for card in response.json["cards"]:
        for suggestion in card.get("suggestions", []):
            for action in suggestion["actions"]:
                resource = action.get("resource") or {}
                if action["type"] != "update":
                    continue
                same_test = resource["code"]["coding"][0]["code"] == tests[resource["id"]]
                assert coverage_parts(resource) == (parts if same_test else {})


def test_order_sign_with_nothing_to_fix_changes_only_the_extension(client):
    body = hook_fixture("all-correct")
    response = client.post(SIGN, json=body)
    assert response.json["cards"] == []
    [action] = response.json["systemActions"]
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    assert {k: v for k, v in action["resource"].items() if k != "extension"} == order
    parts = coverage_parts(action["resource"])
    assert parts["covered"] == ["covered"] and parts["pa-needed"] == ["no-auth"]
    assert {c["code"] for c in parts["billingCode"]} == {"81445", "ZL5H2"}


def test_order_sign_merges_code_fix_and_coverage_information_in_one_update(client):
    response = client.post(SIGN, json=hook_fixture("missing-zcode"))
    [action] = response.json["systemActions"]
    codes = {c["code"] for c in action["resource"]["code"]["coding"]}
    assert {"81445", "ZL5H2"} <= codes
    assert coverage_parts(action["resource"])["covered"] == ["covered"]
    [card] = response.json["cards"]
    assert card["extension"]["davinci-crd.associated-resource"] == [
        {"reference": "ServiceRequest/sr-1"}]
    assert {r["display"] for r in card["overrideReasons"]} >= {"Payer does not require a "
                                                               "Z-code"}


def test_order_sign_not_payable_test_is_not_covered(client):
    response = client.post(SIGN, json=hook_fixture("not-payable"))
    parts = coverage_parts(response.json["systemActions"][0]["resource"])
    assert parts["covered"] == ["not-covered"] and "pa-needed" not in parts
    assert parts["reason"][0]["text"]
    [card] = response.json["cards"]
    assert card["source"]["topic"]["code"] == "coverage-info"
    # the denial is on the test's code: an ABN does not help, so it is not a reason offered
    assert {r["code"] for r in card["overrideReasons"]} == {"needed-no-alternative"}


@pytest.mark.parametrize("name", ["unknown-test", "sandbox-empty-order"])
def test_coverage_is_asserted_only_for_a_test_of_the_catalog(client, name):
    """Section G: an order not identified as one of the lab's tests gets no coverage
    assertion, so no update either (nothing to echo back)."""
    body = hook_fixture(name)
    body["hook"] = "order-sign"
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert "systemActions" not in response.json


def test_a_zcode_inferred_from_a_cpt_is_not_asserted_as_a_billing_code(client):
    body = hook_fixture("missing-zcode")
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["code"]["coding"] = [{"system": "http://www.ama-assn.org/go/cpt", "code": "81445"}]
    response = client.post(SIGN, json=body)
    [action] = response.json["systemActions"]  # the coverage information only
    assert {c["code"] for c in coverage_parts(action["resource"])["billingCode"]} == {"81445"}
    assert {c["code"] for c in action["resource"]["code"]["coding"]} == {"81445"}


def test_orders_sharing_a_coverage_share_one_assertion_id(client):
    body = hook_fixture("missing-zcode")
    second = copy.deepcopy(body["context"]["draftOrders"]["entry"][0])
    second["resource"]["id"] = "sr-2"
    second["fullUrl"] = second["fullUrl"].replace("sr-1", "sr-2")
    body["context"]["draftOrders"]["entry"].append(second)
    response = client.post(SIGN, json=body)
    actions = response.json["systemActions"]
    assert [a["resource"]["id"] for a in actions] == ["sr-1", "sr-2"]
    ids = {coverage_parts(a["resource"])["coverage-assertion-id"][0] for a in actions}
    assert len(ids) == 1
    other = client.post(SIGN, json=body | {"hookInstance": "another-call"})
    assert coverage_parts(other.json["systemActions"][0]["resource"])[
        "coverage-assertion-id"][0] not in ids


def test_a_retried_call_gets_the_same_uuids(client):
    body = hook_fixture("ambiguous-test")
    first, second = (client.post(SIGN, json=body).json for _ in range(2))
    assert [c["uuid"] for c in first["cards"]] == [c["uuid"] for c in second["cards"]]
    assert [s["uuid"] for s in first["cards"][0]["suggestions"]] == [
        s["uuid"] for s in second["cards"][0]["suggestions"]]


def test_card_and_suggestion_uuids_are_version_4_and_new_for_each_call(client):
    body = hook_fixture("ambiguous-test")
    first = client.post(SIGN, json=body).json
    other = client.post(SIGN, json=body | {"hookInstance": "another-call"}).json

    def uuids(response: dict) -> list[str]:
        return [u for card in response["cards"]
                for u in (card["uuid"], *(s["uuid"] for s in card.get("suggestions", ())))]

    ids = uuids(first)
    assert len(ids) > 1 and len(set(ids)) == len(ids)
    for written in ids:
        parsed = uuid.UUID(written)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, written)
    assert not set(ids) & set(uuids(other))


def test_order_sign_comments_on_every_draft_even_with_selections(client):
    body = hook_fixture("missing-zcode")
    body["context"]["selections"] = ["ServiceRequest/other"]  # the sandbox sends them
    response = client.post(SIGN, json=body)
    assert len(response.json["cards"]) == 1


# -- configuration -------------------------------------------------------------------------

def test_coverage_info_false_drops_the_coverage_only_system_action(client):
    body = hook_fixture("all-correct") | {"extension": {
        "davinci-crd.configuration": {"coverage-info": False}}}
    response = client.post(SIGN, json=body)
    assert "systemActions" not in response.json


def test_claim_false_drops_claim_cards_and_max_cards_caps(client):
    body = hook_fixture("missing-zcode")
    no_claim = client.post(SIGN, json=body | {"extension": {
        "davinci-crd.configuration": {"claim": False}}})
    assert no_claim.json["cards"] == []
    assert no_claim.json["systemActions"]  # actions are not cards
    capped = client.post(SIGN, json=body | {"extension": {
        "davinci-crd.configuration": {"max-cards": 0}}})
    assert capped.json["cards"] == []


def test_unsupported_configuration_and_unknown_members_are_ignored(client):
    body = hook_fixture("missing-zcode") | {
        "somethingNew": {"a": 1},
        "extension": {"davinci-crd.configuration": {"claim": "yes", "dtr-clin": True,
                                                    "max-cards": -3},
                      "org.example.other": [1]}}
    body["context"]["newContextMember"] = "x"
    response = client.post(SIGN, json=body)
    assert response.status_code == 200 and len(response.json["cards"]) == 1


def test_requested_version_22_uses_the_hl7_card_type_system(client):
    body = hook_fixture("missing-zcode") | {"extension": {
        "davinci-crd.requestedVersion": "2.2"}}
    card = client.post(SIGN, json=body).json["cards"][0]
    assert card["source"]["topic"]["system"] == ("http://terminology.hl7.org/CodeSystem/"
                                                 "cdshooks-card-type")


def test_legacy_setting_mirrors_system_actions_for_the_sandbox(settings, knowledge, keys):
    from dataclasses import replace

    from cds_hooks.service.app import create_app
    from tests.conftest import SignedClient

    app = create_app(replace(settings, legacy_system_actions=True), knowledge)
    app.test_client_class = SignedClient
    body = app.test_client().post(SIGN, json=hook_fixture("missing-zcode")).json
    assert body["extension"]["systemActions"] == body["systemActions"]


# -- order-select --------------------------------------------------------------------------

def test_order_select_comments_on_the_selections_only_and_sends_no_system_actions(client):
    body = as_select(hook_fixture("missing-zcode"))
    other = copy.deepcopy(hook_fixture("mismatched-zcode")["context"]["draftOrders"]["entry"][0])
    other["resource"]["id"] = "sr-9"
    body["context"]["draftOrders"]["entry"].append(other)
    response = client.post(SELECT, json=body)
    assert response.status_code == 200
    [card] = response.json["cards"]
    assert card["extension"]["davinci-crd.associated-resource"] == [
        {"reference": "ServiceRequest/sr-1"}]
    assert "systemActions" not in response.json


def test_order_select_on_the_sandbox_empty_order_answers_no_card_and_reads_nothing(
        client, fhir_server):
    response = client.post(SELECT, json=hook_fixture("sandbox-empty-order"))
    assert response.status_code == 200 and response.json == {"cards": []}
    assert len(fhir_server.calls) == 0


def test_order_select_selection_not_in_drafts_is_a_400(client):
    body = as_select(hook_fixture("missing-zcode"))
    body["context"]["selections"] = ["ServiceRequest/nope"]
    response = client.post(SELECT, json=body)
    assert response.status_code == 400
    assert response.json["issue"][0]["expression"] == ["context.selections[0]"]


# -- order-dispatch ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", ["1.0", "1.1"])
def test_order_dispatch_reads_the_order_and_answers_in_both_context_shapes(
        client, fhir_server, shape):
    dispatch, order = as_dispatch(hook_fixture("missing-zcode"), shape)
    fhir_server.get("https://ehr.example.org/fhir/ServiceRequest/sr-1", json=order)
    response = client.post(DISPATCH, json=dispatch)
    assert response.status_code == 200
    [card] = response.json["cards"]
    assert card["extension"]["davinci-crd.associated-resource"] == [
        {"reference": "ServiceRequest/sr-1"}]
    [action] = response.json["systemActions"]
    assert action["resource"]["status"] == "active"
    assert coverage_parts(action["resource"])["covered"] == ["covered"]


def test_order_dispatch_of_an_order_the_server_does_not_have_is_a_412(client, fhir_server):
    dispatch, _ = as_dispatch(hook_fixture("missing-zcode"), "1.1")
    fhir_server.get("https://ehr.example.org/fhir/ServiceRequest/sr-1", status=404)
    response = client.post(DISPATCH, json=dispatch)
    assert response.status_code == 412
    assert "dispatched order" in response.json["issue"][0]["diagnostics"]


def test_order_dispatch_prefetched_order_is_not_read_again(client, fhir_server):
    dispatch, order = as_dispatch(hook_fixture("missing-zcode"), "1.0")
    dispatch["prefetch"]["order"] = order
    response = client.post(DISPATCH, json=dispatch)
    assert response.status_code == 200 and len(fhir_server.calls) == 0


# -- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize("mutate, status, expression", [
    (lambda b: b.pop("hookInstance"), 400, "hookInstance"),
    (lambda b: b.update(hook="order-select"), 400, "hook"),
    (lambda b: b["context"].pop("draftOrders"), 400, "context.draftOrders"),
    (lambda b: b["context"].update(patientId=7), 400, "context.patientId"),
    (lambda b: b.update(fhirAuthorization={"access_token": "t", "token_type": "Bearer",
                                           "expires_in": 30, "scope": "s", "subject": "c"},
                        fhirServer=None), 400, "fhirServer"),
    (lambda b: b.update(fhirAuthorization={"access_token": "t", "token_type": "MAC",
                                           "expires_in": 30, "scope": "s", "subject": "c"}),
     400, "fhirAuthorization.token_type"),
    (lambda b: b.update(fhirServer="file:///etc/passwd"), 400, "fhirServer"),
    (lambda b: b["prefetch"].update(coverage="not a resource"), 400, "prefetch.coverage"),
])
def test_bad_calls_are_400_naming_the_field(client, mutate, status, expression):
    body = hook_fixture("missing-zcode")
    mutate(body)
    response = client.post(SIGN, json=body)
    assert response.status_code == status
    assert response.json["resourceType"] == "OperationOutcome"
    if expression:
        assert expression in [e for i in response.json["issue"] for e in i.get("expression",
                                                                               [])]


def test_body_that_is_not_json_is_a_400(client):
    response = client.post(SIGN, data=b"{nope", content_type="application/json")
    assert response.status_code == 400


def test_unknown_service_is_a_404(client):
    response = client.post("/cds-services/nope", json=hook_fixture("missing-zcode"))
    assert response.status_code == 404


def test_an_order_without_insurance_and_a_patient_without_coverage_still_gets_an_answer(
        client):
    body = hook_fixture("missing-zcode")
    del body["context"]["draftOrders"]["entry"][0]["resource"]["insurance"]
    body["prefetch"]["coverage"] = {"resourceType": "Bundle", "type": "searchset"}
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert "systemActions" not in response.json  # no Coverage: no coverage information


# -- CORS ------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/cds-services", SIGN, SIGN + "/feedback"])
def test_preflight_is_answered_on_every_route(client, path):
    response = client.options(path, sign=False, headers={
        "Origin": "http://sandbox.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://sandbox.test"
    assert "authorization" in response.headers["Access-Control-Allow-Headers"].lower()
    assert "POST" in response.headers["Access-Control-Allow-Methods"]


def test_cors_headers_are_on_errors_too(client):
    response = client.post(SIGN, json={}, sign=False, headers={"Origin": "http://a.test"})
    assert response.status_code == 401
    assert response.headers["Access-Control-Allow-Origin"] == "http://a.test"


def test_an_origin_off_the_allow_list_gets_no_cors_headers(settings, knowledge):
    from dataclasses import replace

    from cds_hooks.service.app import create_app

    app = create_app(replace(settings, cors_origins=frozenset({"https://ehr.example.org"})),
                     knowledge)
    client = app.test_client()
    allowed = client.get("/cds-services", headers={"Origin": "https://ehr.example.org"})
    other = client.get("/cds-services", headers={"Origin": "https://evil.example"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ehr.example.org"
    assert "Access-Control-Allow-Origin" not in other.headers
