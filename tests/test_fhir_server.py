"""The loopback FHIR server the integration tests rely on behaves like a FHIR server."""

from __future__ import annotations

import requests

from tests.conftest import SANDBOX_ORIGIN, load_fixture


def test_it_requires_the_bearer_token_and_stores_resources(live_fhir_server):
    base, token = live_fhir_server
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(f"{base}/Patient", timeout=5).status_code == 401
    patient = {"resourceType": "Patient", "id": "fhir-check"}
    assert requests.put(f"{base}/Patient/fhir-check", json=patient, headers=auth,
                        timeout=5).status_code in (200, 201)
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/fhir-check"},
                 "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm",
                                      "code": "C34.90"}]}}
    assert requests.post(f"{base}/Condition", json=condition, headers=auth,
                         timeout=5).status_code == 201
    found = requests.get(f"{base}/Condition", params={"patient": "fhir-check"}, headers=auth,
                         timeout=5).json()
    assert [e["resource"]["code"]["coding"][0]["code"] for e in found["entry"]] == ["C34.90"]


def test_run_for_the_sandbox_it_answers_the_browser_with_cors(open_fhir_server):
    """As docs/sandbox.md runs it (CORS_ORIGIN, no token), with the chart it loads: what the
    sandbox asks in the browser is answered, with the headers a browser needs."""
    base, origin = open_fhir_server, SANDBOX_ORIGIN
    chart = load_fixture("fhir/sandbox-chart.json")
    loaded = requests.post(base, json=chart, timeout=10,
                           headers={"Content-Type": "application/fhir+json"})
    assert all(e["response"]["status"][:3] in ("200", "201") for e in loaded.json()["entry"])

    preflight = requests.options(f"{base}/Coverage/_search", timeout=5, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "content-type" in preflight.headers["Access-Control-Allow-Headers"]

    metadata = requests.get(f"{base}/metadata", headers={"Origin": origin}, timeout=5)
    assert metadata.json()["resourceType"] == "CapabilityStatement"
    assert metadata.headers["Access-Control-Allow-Origin"] == origin
    searched = requests.post(f"{base}/Coverage/_search", data="patient=sandbox-pat-1&status="
                             "active", timeout=5, headers={
                                 "Origin": origin,
                                 "Content-Type": "application/x-www-form-urlencoded"})
    assert searched.headers["Access-Control-Allow-Origin"] == origin
    [coverage] = [e["resource"] for e in searched.json()["entry"]]
    assert coverage["payor"][0]["identifier"]["value"] == "02302"
    other = requests.get(f"{base}/Patient", headers={"Origin": "http://elsewhere.test"},
                         timeout=5)
    assert "Access-Control-Allow-Origin" not in other.headers
