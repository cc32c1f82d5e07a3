"""Order facts: which test, which codes, which date of service, which payer, which diagnoses."""

from __future__ import annotations

from datetime import date

import pytest

from plugin import fhir
from plugin.orders import DateSource, IdentifiedBy, facts_for

from .conftest import (
    PAYER_SYSTEM,
    TODAY,
    coverage,
    cpt,
    icd10,
    lab_code,
    service_request,
    zcode,
)

MEDICARE, AETNA = "02302", "60054"


def test_the_labs_test_code_identifies_the_test(knowledge, order_facts):
    facts = order_facts(service_request(lab_code(knowledge, "CMD-LUNG50"), cpt("81479")))
    assert (facts.test_code, facts.identified_by) == ("CMD-LUNG50", IdentifiedBy.TEST_CODE)
    assert facts.row == knowledge.catalog.row_on("CMD-LUNG50", TODAY)
    assert facts.cpts == ("81479",) and facts.zcodes == ()


def test_a_zcode_identifies_its_test_in_any_period(knowledge, order_facts):
    old = knowledge.catalog.rows("CMD-MSI")[0]
    facts = order_facts(service_request(zcode(old.zcode.lower())))
    assert (facts.test_code, facts.identified_by) == ("CMD-MSI", IdentifiedBy.ZCODE)
    assert facts.zcodes == (old.zcode,)  # normalised to upper case
    assert facts.row.zcode != old.zcode  # the row in force today is the newer one


def test_a_cpt_identifies_the_one_test_that_bills_it(knowledge, order_facts):
    facts = order_facts(service_request(cpt("81445")))
    assert [t for t in knowledge.catalog.tests_for_cpt("81445")] == [facts.test_code]
    assert facts.identified_by is IdentifiedBy.CPT


def test_a_cpt_shared_by_several_tests_leaves_candidates(knowledge, order_facts):
    facts = order_facts(service_request(cpt("81479")))
    assert facts.test_code is None
    expected = {t for t in knowledge.catalog.tests_for_cpt("81479")
                if knowledge.catalog.row_on(t, TODAY)}
    assert {r.test_code for r in facts.candidates} == expected and len(expected) > 1


def test_an_unknown_lab_code_identifies_nothing(knowledge, order_facts):
    facts = order_facts(service_request(lab_code(knowledge, "CMD-NOPE"), zcode("ZL5H2")))
    assert facts.test_code is None and facts.names_a_molecular_test


def test_an_order_without_molecular_codes_is_not_ours(order_facts):
    loinc = {"system": "http://loinc.org", "code": "58410-2"}
    facts = order_facts(service_request(loinc, cpt("85025")))  # a blood count
    assert not facts.names_a_molecular_test


def test_empty_codings_from_the_sandbox_are_ignored(order_facts):
    facts = order_facts(service_request({}, {"system": "http://www.ama-assn.org/go/cpt"}))
    assert facts.cpts == () and facts.test_code is None and not facts.names_a_molecular_test


@pytest.mark.parametrize(("fields", "day", "source"), [
    ({"occurrenceDateTime": "2026-03-02T09:30:00-08:00", "authoredOn": "2026-02-01"},
     date(2026, 3, 2), DateSource.OCCURRENCE),
    ({"occurrencePeriod": {"start": "2026-04-01"}}, date(2026, 4, 1), DateSource.OCCURRENCE),
    ({"authoredOn": "2025-12-31"}, date(2025, 12, 31), DateSource.AUTHORED),
    ({"occurrenceDateTime": "2026-03", "authoredOn": "2026-02-10"}, date(2026, 2, 10),
     DateSource.AUTHORED),  # a month alone cannot pick a catalog row
    ({}, TODAY, DateSource.TODAY),
])
def test_date_of_service(knowledge, order_facts, fields, day, source):
    facts = order_facts(service_request(lab_code(knowledge, "CMD-MSI"), **fields))
    assert (facts.date_of_service, facts.date_source) == (day, source)
    assert facts.row == knowledge.catalog.row_on("CMD-MSI", day)


def test_payer_from_the_coverage_the_order_names(knowledge, order_facts):
    sr = service_request(lab_code(knowledge, "CMD-EGFR"),
                         insurance=[{"reference": "Coverage/cov-2"}])
    facts = order_facts(sr, coverage(MEDICARE, id="cov-1"), coverage(AETNA, id="cov-2"))
    assert facts.coverage.coverage == "Coverage/cov-2"
    assert facts.payer == knowledge.payers.find(PAYER_SYSTEM, AETNA)


def test_each_order_of_a_request_is_billed_to_the_coverage_it_names(knowledge, systems):
    """Orders of one request naming different coverages, none (the patient's primary) or a
    contained one each get their own payer, whichever order comes first."""
    orders = [service_request(lab_code(knowledge, "CMD-EGFR"), id="sr-1",
                              insurance=[{"reference": "Coverage/cov-2"}]),
              service_request(lab_code(knowledge, "CMD-EGFR"), id="sr-2"),
              service_request(lab_code(knowledge, "CMD-EGFR"), id="sr-3",
                              contained=[coverage(AETNA, id="own")],
                              insurance=[{"reference": "#own"}]),
              service_request(lab_code(knowledge, "CMD-EGFR"), id="sr-4",
                              insurance=[{"reference": "Coverage/cov-1"}]),
              service_request(lab_code(knowledge, "CMD-EGFR"), id="sr-5",
                              contained=[coverage(MEDICARE, id="own")],
                              insurance=[{"reference": "#own"}])]
    parsed = [fhir.parse_resource(r) for r in (*orders, coverage(MEDICARE, id="cov-1", order=1),
                                               coverage(AETNA, id="cov-2", order=2))]
    for sequence in (parsed[:5], parsed[4::-1]):
        facts, _ = facts_for(sequence, fhir.ResourceIndex(parsed), knowledge, systems, TODAY)
        payers = {f.order: (f.coverage.coverage, f.payer.identifier_value) for f in facts}
        assert payers == {"ServiceRequest/sr-1": ("Coverage/cov-2", AETNA),
                          "ServiceRequest/sr-2": ("Coverage/cov-1", MEDICARE),
                          "ServiceRequest/sr-3": ("Coverage/own", AETNA),
                          "ServiceRequest/sr-4": ("Coverage/cov-1", MEDICARE),
                          "ServiceRequest/sr-5": ("Coverage/own", MEDICARE)}


def test_payer_from_the_primary_active_coverage(knowledge, order_facts):
    sr = service_request(lab_code(knowledge, "CMD-EGFR"))
    facts = order_facts(sr, coverage(AETNA, id="cov-2", order=2),
                        coverage(MEDICARE, id="cov-1", order=1),
                        coverage(AETNA, id="cov-3", order=0, status="cancelled"))
    assert facts.payer == knowledge.payers.find(PAYER_SYSTEM, MEDICARE)


def test_payer_from_a_contained_organization(knowledge, order_facts):
    organization = {"resourceType": "Organization", "id": "org",
                    "identifier": [{"system": PAYER_SYSTEM, "value": MEDICARE}]}
    cov = {"resourceType": "Coverage", "id": "cov-1", "status": "active",
           "contained": [organization], "payor": [{"reference": "#org"}]}
    facts = order_facts(service_request(lab_code(knowledge, "CMD-EGFR")), cov)
    assert facts.payer.identifier_value == MEDICARE


def test_an_unknown_payer_is_kept_as_seen(knowledge, order_facts):
    facts = order_facts(service_request(lab_code(knowledge, "CMD-EGFR")), coverage("99999"))
    assert facts.coverage.payer_identifier == (PAYER_SYSTEM, "99999")
    assert facts.payer is None


def test_no_coverage_means_no_payer(knowledge, order_facts):
    facts = order_facts(service_request(lab_code(knowledge, "CMD-EGFR")))
    assert facts.coverage is None and facts.payer is None


def test_diagnoses_from_reason_code_and_reason_reference(knowledge, order_facts):
    condition = {"resourceType": "Condition", "id": "c1", "code": icd10("c3490")}
    sr = service_request(lab_code(knowledge, "CMD-LUNG50"),
                         reasonCode=[icd10("R91.8"), {"text": "nodule"}],
                         reasonReference=[{"reference": "Condition/c1"},
                                          {"reference": "Condition/missing"}])
    assert order_facts(sr, condition).diagnoses == ("R91.8", "C34.90")


def test_the_ehrs_own_codes_are_kept_once_with_whether_an_alias_named_them(order_facts):
    loinc = {"system": "http://loinc.org", "code": "81247-9", "display": "EGFR gene mutations"}
    epic = {"system": "urn:oid:1.2.840.114350.1.13.7777.2.7.2.696580", "code": " 41000001 "}
    no_system = {"code": "41000002"}  # aliases.csv could not hold it
    not_a_uri = {"system": "Epic orderables", "code": "41000003"}
    facts = order_facts(service_request(loinc, epic, dict(epic), no_system, not_a_uri,
                                        cpt("81445")))
    assert [(c.system, c.code, c.display, c.named) for c in facts.ehr_codes] == [
        ("http://loinc.org", "81247-9", "EGFR gene mutations", True),  # a demo alias
        (epic["system"], "41000001", None, False)]
    assert facts.cpts == ("81445",)  # CPT is the lab's business, not an EHR code
