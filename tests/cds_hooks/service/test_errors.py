"""Bad requests get a 4xx with an OperationOutcome naming the failing field, never a 500."""

from __future__ import annotations

import pytest

from tests.conftest import hook_fixture

SIGN = "/cds-services/moldx-order-sign"


def _outcome(response, status):
    assert response.status_code == status
    body = response.get_json()
    assert body["resourceType"] == "OperationOutcome"
    return body["issue"]


def _expressions(issues):
    return [e for issue in issues for e in issue.get("expression", [])]


def test_a_body_that_is_not_json(client):
    [issue] = _outcome(client.post(SIGN, data=b"{not json",
                                   content_type="application/json"), 400)
    assert issue["code"] == "invalid" and "not JSON" in issue["diagnostics"]


def test_a_body_that_is_not_an_object(client):
    [issue] = _outcome(client.post(SIGN, json=[1, 2]), 400)
    assert "JSON object" in issue["diagnostics"]


@pytest.mark.parametrize(("edit", "expression", "code"), [
    (lambda b: b.pop("hookInstance"), "hookInstance", "required"),
    (lambda b: b.update(hook=7), "hook", "invalid"),
    (lambda b: b["context"].pop("draftOrders"), "context.draftOrders", "required"),
    (lambda b: b["context"].update(patientId=""), "context.patientId", "invalid"),
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(code="CMD-LUNG50"),
     "context.draftOrders.entry[0].resource.code", "invalid"),
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(
        occurrenceDateTime="2026-02-30"),
     "context.draftOrders.entry[0].resource.occurrenceDateTime", "invalid"),
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(
        occurrenceDateTime="next week"),
     "context.draftOrders.entry[0].resource.occurrenceDateTime", "invalid"),
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].pop("id"),
     "context.draftOrders.entry[0].resource.id", "required"),
    (lambda b: b["prefetch"]["coverage"]["entry"][0]["resource"].update(payor={}),
     "prefetch.coverage.entry[0].resource.payor", "invalid"),
    # Numbers are numbers: pydantic's lax mode took `false` as 0.0 (found by schemathesis).
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(
        quantityQuantity={"value": False}),
     "context.draftOrders.entry[0].resource.quantityQuantity.value", "invalid"),
    (lambda b: b["context"]["draftOrders"]["entry"][0]["resource"].update(
        quantityQuantity={"value": "2"}),
     "context.draftOrders.entry[0].resource.quantityQuantity.value", "invalid"),
    (lambda b: b["prefetch"]["coverage"]["entry"][0]["resource"].update(order=True),
     "prefetch.coverage.entry[0].resource.order", "invalid"),
    (lambda b: b.update(fhirServer="https://ehr.example.org/fhir", fhirAuthorization={
        "access_token": "t", "token_type": "Bearer", "expires_in": "300", "scope": "s",
        "subject": "c"}),
     "fhirAuthorization.expires_in", "invalid"),
])
def test_an_invalid_field_is_named(client, edit, expression, code):
    body = hook_fixture("missing-zcode")
    edit(body)
    issues = _outcome(client.post(SIGN, json=body), 400)
    assert expression in _expressions(issues)
    assert any(i["code"] == code and expression in i["diagnostics"] for i in issues)


def test_a_request_for_another_hook(client):
    body = hook_fixture("missing-zcode")
    body["hook"] = "patient-view"
    assert _expressions(_outcome(client.post(SIGN, json=body), 400)) == ["hook"]


def test_an_unknown_service(client):
    [issue] = _outcome(client.post("/cds-services/nope", json=hook_fixture("all-correct")), 404)
    assert issue["code"] == "not-found"


def test_a_wrong_method(client):
    _outcome(client.get(SIGN), 405)


def test_unknown_members_are_ignored(client):
    body = hook_fixture("all-correct")
    body["extension"] = {"com.example.anything": {"x": 1}}
    body["context"]["somethingNew"] = True
    body["context"]["draftOrders"]["entry"][0]["resource"]["vendorField"] = [1]
    assert client.post(SIGN, json=body).get_json()["cards"] == []


def test_resources_of_other_types_in_draft_orders_are_left_alone(client):
    body = hook_fixture("all-correct")
    body["context"]["draftOrders"]["entry"].append(
        {"resource": {"resourceType": "MedicationRequest", "id": "m1", "status": "draft"}})
    body = client.post(SIGN, json=body).get_json()
    assert body["cards"] == []
    assert [a["resource"]["id"] for a in body["systemActions"]] == ["sr-1"]


def test_an_unexpected_failure_is_a_500_outcome_without_details(app, monkeypatch):
    import cds_hooks.service.app as module

    def broken(*args, **kwargs):
        raise RuntimeError("secret detail")

    monkeypatch.setattr(module, "decide", broken)
    # without a Coverage: with one, the orders get coverage information saying it failed
    response = app.test_client().post(SIGN, json=hook_fixture("no-coverage"))
    [issue] = _outcome(response, 500)
    assert "secret" not in issue["diagnostics"]


def test_a_body_over_the_limit_is_a_413(knowledge, client_for):
    small = client_for(knowledge, max_body_bytes=1000)
    body = hook_fixture("all-correct")
    body["padding"] = "x" * 2000
    [issue] = _outcome(small.post(SIGN, json=body), 413)
    assert "413" in issue["diagnostics"]


def test_deeply_nested_json_is_a_400(client):
    depth = 100_000
    body = b'{"hook": ' + b"[" * depth + b"]" * depth + b"}"
    [issue] = _outcome(client.post(SIGN, data=body, content_type="application/json"), 400)
    assert "nested too deeply" in issue["diagnostics"]


@pytest.mark.parametrize("resource_type", [{}, [], 7, None])
def test_a_resource_type_that_is_not_a_string_is_named(client, resource_type):
    """Found by schemathesis: an unhashable resourceType crashed the resource typing (500)."""
    body = hook_fixture("all-correct")
    body["prefetch"]["coverage"] = {"resourceType": resource_type}
    issues = _outcome(client.post(SIGN, json=body), 400)
    assert "prefetch.coverage.resourceType" in _expressions(issues)


def test_members_of_another_hooks_context_are_ignored(client):
    """Found by schemathesis: an order-select call with order-dispatch's `order` member made
    the service look for that order and answer 412."""
    body = hook_fixture("sandbox-empty-order")
    body["context"]["order"] = "ServiceRequest/elsewhere"
    body["context"]["dispatchedOrders"] = ["ServiceRequest/elsewhere"]
    response = client.post("/cds-services/moldx-order-select", json=body)
    assert response.status_code == 200 and response.get_json()["cards"] == []


@pytest.mark.parametrize(("field", "value"), [
    ("outcomeTimestamp", "0001-01-01T00:00:00+01:00"),  # no UTC time for it
    ("outcomeTimestamp", 0),  # a number, not RFC 3339 text
])
def test_a_feedback_timestamp_that_is_not_a_usable_time_is_named(client, field, value):
    """Found by schemathesis: both were a 500 or accepted."""
    item = {"card": "c", "outcome": "overridden", "outcomeTimestamp": "2026-03-02T10:00:00Z"}
    item[field] = value
    response = client.post(SIGN + "/feedback", json={"feedback": [item]})
    assert f"feedback[0].{field}" in _expressions(_outcome(response, 400))


@pytest.mark.parametrize("url", ["https://[x", "https://host:port/fhir", "https://:80/fhir"])
def test_a_fhir_server_url_that_cannot_be_used_is_named(client, url):
    """Found by schemathesis: "https://æ|fqn°[ì" passed the pattern and crashed urljoin."""
    body = hook_fixture("all-correct")
    body["fhirServer"] = url
    assert "fhirServer" in _expressions(_outcome(client.post(SIGN, json=body), 400))
