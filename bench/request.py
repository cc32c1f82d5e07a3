"""A realistic order-sign request for the benchmarks: 3 orders and full prefetch, about 20 KB.

Built from the fixtures so that it follows the knowledge: a lung panel without codes, a stale
MSI Z-code and a right CGP order, with the patient, coverage, problem list and earlier orders a
real EHR would prefetch.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "hooks"
ICD = "http://hl7.org/fhir/sid/icd-10-cm"


def _fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def _order(name: str, id: str) -> dict:
    entry = copy.deepcopy(_fixture(name)["context"]["draftOrders"]["entry"][0])
    entry["resource"]["id"] = id
    entry["fullUrl"] = f"https://ehr.example.org/fhir/ServiceRequest/{id}"
    entry["resource"]["specimen"] = [{"reference": "Specimen/spec-1"}]
    entry["resource"]["note"] = [{"text": "Tissue block A3, resection 2026-02-20; tumor "
                                          "content estimated at 40 percent."}]
    return entry


def _condition(id: str, code: str, display: str) -> dict:
    return {"fullUrl": f"https://ehr.example.org/fhir/Condition/{id}", "resource": {
        "resourceType": "Condition", "id": id,
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/"
                             "us-core-condition-problems-health-concerns"]},
        "clinicalStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-clinical",
            "code": "active"}]},
        "verificationStatus": {"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-ver-status",
            "code": "confirmed"}]},
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/condition-category",
            "code": "problem-list-item"}]}],
        "code": {"coding": [{"system": ICD, "code": code, "display": display}], "text": display},
        "subject": {"reference": "Patient/pat-1"}, "onsetDateTime": "2025-11-03",
        "recordedDate": "2025-11-04"}}


def _earlier_order(id: str, test: str, cpt: str, day: str) -> dict:
    return {"fullUrl": f"https://ehr.example.org/fhir/ServiceRequest/{id}", "resource": {
        "resourceType": "ServiceRequest", "id": id, "status": "completed", "intent": "order",
        "code": {"coding": [
            {"system": "http://example.org/fhir/CodeSystem/cascade-lab-tests", "code": test},
            {"system": "http://www.ama-assn.org/go/cpt", "code": cpt}]},
        "subject": {"reference": "Patient/pat-1"}, "authoredOn": day,
        "occurrenceDateTime": day, "specimen": [{"reference": f"Specimen/old-{id}"}],
        "requester": {"reference": "Practitioner/pract-7"}}}


def build() -> dict:
    request = _fixture("missing-zcode")
    request["context"]["draftOrders"]["entry"] = [
        _order("missing-zcode", "sr-1"), _order("stale-code", "sr-2"),
        _order("all-correct", "sr-3")]
    request["prefetch"]["patient"] = {
        "resourceType": "Patient", "id": "pat-1",
        "meta": {"profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
        "extension": [{"url": "http://hl7.org/fhir/us/core/StructureDefinition/us-core-race",
                       "extension": [{"url": "ombCategory", "valueCoding": {
                           "system": "urn:oid:2.16.840.1.113883.6.238", "code": "2106-3",
                           "display": "White"}}, {"url": "text", "valueString": "White"}]}],
        "identifier": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.0",
                        "value": "E4007"}],
        "active": True, "name": [{"use": "official", "family": "Demo", "given": ["Pat"]}],
        "gender": "female", "birthDate": "1951-04-12",
        "address": [{"line": ["1 Main St"], "city": "Portland", "state": "OR",
                     "postalCode": "97201"}]}
    problems = [("c1", "C34.90", "Malignant neoplasm of unspecified part of unspecified "
                                 "bronchus or lung"),
                ("c2", "C18.9", "Malignant neoplasm of colon, unspecified"),
                ("c3", "I10", "Essential (primary) hypertension"),
                ("c4", "E11.9", "Type 2 diabetes mellitus without complications"),
                ("c5", "R91.8", "Other nonspecific abnormal finding of lung field"),
                ("c6", "Z87.891", "Personal history of nicotine dependence"),
                ("c7", "E78.5", "Hyperlipidemia, unspecified"),
                ("c8", "J44.9", "Chronic obstructive pulmonary disease, unspecified"),
                ("c9", "K21.9", "Gastro-esophageal reflux disease without esophagitis"),
                ("c10", "M81.0", "Age-related osteoporosis without current pathological "
                                 "fracture"),
                ("c11", "N18.30", "Chronic kidney disease, stage 3 unspecified"),
                ("c12", "D63.0", "Anemia in neoplastic disease")]
    request["prefetch"]["conditions"] = {
        "resourceType": "Bundle", "type": "searchset", "total": len(problems),
        "entry": [_condition(*p) for p in problems]}
    request["prefetch"]["serviceRequests"] = {
        "resourceType": "Bundle", "type": "searchset", "entry": [
            _earlier_order(f"old-{n}", test, cpt, day) for n, (test, cpt, day) in enumerate(
                [("CMD-EGFR", "81235", "2025-01-10"), ("CMD-KNB3", "81479", "2025-03-02"),
                 ("CMD-MSI", "81301", "2025-06-15"), ("CMD-LUNG50", "81445", "2025-09-09"),
                 ("CMD-EGFR", "81235", "2025-12-01"), ("CMD-MYE40", "81450", "2026-01-20"),
                 ("CMD-MSI", "81301", "2026-02-01"), ("CMD-KNB3", "81479", "2026-02-03")])]}
    request["prefetch"]["specimens"] = {
        "resourceType": "Bundle", "type": "searchset", "entry": [{"resource": {
            "resourceType": "Specimen", "id": "spec-1", "status": "available",
            "type": {"coding": [{"system": "http://snomed.info/sct", "code": "119376003",
                                 "display": "Tissue specimen"}], "text": "Tissue"},
            "subject": {"reference": "Patient/pat-1"},
            "collection": {"collectedDateTime": "2026-02-20"}}}]}
    return request


if __name__ == "__main__":
    json.dump(build(), sys.stdout, indent=2)
    print()
