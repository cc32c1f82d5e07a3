"""GET /cds-services describes both services and what they prefetch."""

from __future__ import annotations

import re


def test_discovery_lists_order_select_and_order_sign(client):
    response = client.get("/cds-services")
    assert response.status_code == 200
    services = response.get_json()["services"]
    assert {s["hook"] for s in services} == {"order-select", "order-sign"}
    for service in services:
        assert service["id"] and service["title"] and service["description"]
        assert set(service["prefetch"]) == {"patient", "conditions", "coverage", "serviceRequests"}


def test_prefetch_templates_use_only_cds_hooks_2_tokens(client):
    for service in client.get("/cds-services").get_json()["services"]:
        for template in service["prefetch"].values():
            tokens = re.findall(r"{{(.*?)}}", template)
            assert tokens and all(t in ("context.patientId", "context.userId",
                                        "context.encounterId") for t in tokens)


def test_each_advertised_service_answers(client):
    for service in client.get("/cds-services").get_json()["services"]:
        body = {"hook": service["hook"], "hookInstance": "x",
                "context": {"patientId": "p", "userId": "Practitioner/u",
                            "draftOrders": {"resourceType": "Bundle", "entry": []}}}
        response = client.post(f"/cds-services/{service['id']}", json=body)
        assert response.get_json() == {"cards": []}
