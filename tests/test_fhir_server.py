"""The loopback FHIR server the integration tests rely on behaves like a FHIR server."""

from __future__ import annotations

import requests


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
