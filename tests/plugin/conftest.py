"""Builders for FHIR orders and their facts, on the demo knowledge."""

from __future__ import annotations

from datetime import date

import pytest

from plugin import fhir
from plugin.codes import CPT_SYSTEM, DEFAULT_ZCODE_SYSTEM, ICD10CM_SYSTEM, CodeSystems
from plugin.orders import facts_for

PAYER_SYSTEM = "http://example.org/fhir/sid/payer-id"
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="session")
def systems(knowledge) -> CodeSystems:
    return CodeSystems(test=knowledge.lab.test_code_system)


@pytest.fixture
def order_facts(knowledge, systems):
    """Facts of one ServiceRequest dict, given the other resources known for the request."""

    def build(service_request: dict, *resources: dict, today: date = TODAY):
        parsed = [fhir.parse_resource(r) for r in (service_request, *resources)]
        facts, patient = facts_for([parsed[0]], fhir.ResourceIndex(parsed), knowledge, systems,
                                   today)
        return facts[0]

    return build


def service_request(*codings: dict, id: str = "sr-1", **fields) -> dict:
    return {"resourceType": "ServiceRequest", "id": id, "status": "draft", "intent": "order",
            "code": {"coding": list(codings)}, "subject": {"reference": "Patient/pat-1"},
            **fields}


def lab_code(knowledge, code: str) -> dict:
    return {"system": knowledge.lab.test_code_system, "code": code}


def cpt(code: str) -> dict:
    return {"system": CPT_SYSTEM, "code": code}


def zcode(code: str) -> dict:
    return {"system": DEFAULT_ZCODE_SYSTEM, "code": code}


def icd10(code: str) -> dict:
    return {"coding": [{"system": ICD10CM_SYSTEM, "code": code}]}


def coverage(value: str, id: str = "cov-1", **fields) -> dict:
    return {"resourceType": "Coverage", "id": id, "status": "active",
            "beneficiary": {"reference": "Patient/pat-1"},
            "payor": [{"identifier": {"system": PAYER_SYSTEM, "value": value}}], **fields}
