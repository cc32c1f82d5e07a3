"""One test per rule of docs/rules.md (ids T1-T18, Z1-Z6, B-G), each built from the rule's
source sentence (docs/rules.md names each: the MolDX article "Targeted and Comprehensive Genomic
Profile Testing in Cancer" for T*, Palmetto GBA's DEX guidance for Z*, A58120, the NGS LCDs and
42 CFR 414.510 for the others), on facts from FHIR orders and the demo knowledge."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from plugin import fhir
from plugin.codes import CodeKind
from plugin.findings import CodeChange
from plugin.knowledge import Component, Neoplasm, NucleicAcid, PanelKind, SpecimenType
from plugin.orders import DateSource, IdentifiedBy, facts_for
from plugin.rules import (
    cgp_specimen,
    evaluate,
    malformed_zcode,
    missing_zcode,
    not_payable,
    panel_cpt,
    parallel_orders,
    single_gene_in_panel,
    stale_code,
    test_indication,
    units_of_service,
)
from plugin.rules.panel_coding import expected_cpts

from .conftest import coverage, cpt, icd10, lab_code, service_request, zcode

DOS = date(2026, 3, 2)
MEDICARE, UHC, AETNA = "02302", "87726", "60054"


@pytest.fixture
def decide(knowledge, systems):
    """The findings for draft orders (dicts) billed to `payer`, with more resources."""

    def run(*orders: dict, payer: str | None = MEDICARE, more: tuple = (), today=DOS):
        resources = [fhir.parse_resource(r) for r in (*orders, *more)]
        if payer:
            resources.append(fhir.parse_resource(coverage(payer)))
        drafts = resources[:len(orders)]
        facts, patient = facts_for(drafts, fhir.ResourceIndex(resources), knowledge, systems,
                                   today)
        return facts, evaluate(facts, patient, knowledge)

    return run


def _row(knowledge, test):
    return knowledge.catalog.row_on(test, DOS)


def _order(knowledge, test, *codings, id="sr-1", **fields):
    return _bare(lab_code(knowledge, test), *codings, id=id, **fields)


def _bare(*codings, id="sr-1", **fields):
    """A draft on the fixtures' date for a covered lung cancer, unless told otherwise."""
    fields.setdefault("occurrenceDateTime", DOS.isoformat())
    fields.setdefault("reasonCode", [icd10("C34.90")])
    return service_request(*codings, id=id, **fields)


def _rules(findings, order="ServiceRequest/sr-1"):
    return [f.rule for f in findings if f.order == order]


def _panel(knowledge, **changes):
    return replace(_row(knowledge, "CMD-LUNG50"), **changes)


# -- A. choosing the CPT for a panel (A56518, "CPT coding instructions") ----------------------

def test_T1_dna_targeted_5_to_50_genes_81445_solid_81450_hematolymphoid(knowledge):
    panel = _panel(knowledge, components=frozenset())
    assert expected_cpts(panel, Neoplasm.SOLID) == {"81445"}
    assert expected_cpts(panel, Neoplasm.HEMATOLYMPHOID) == {"81450"}


def test_T2_msi_81457_and_msi_with_cnv_81458(knowledge):
    msi = _panel(knowledge, components=frozenset({Component.MSI}))
    both = _panel(knowledge, components=frozenset({Component.MSI, Component.CNV}))
    assert expected_cpts(msi, Neoplasm.SOLID) == {"81457"}
    assert expected_cpts(both, Neoplasm.SOLID) == {"81458"}
    # the catalog not saying what the panel reports: each is possible
    assert expected_cpts(_panel(knowledge, components=None), Neoplasm.SOLID) >= {
        "81445", "81457", "81458"}


def test_T3_an_rna_panel_after_a_dna_panel_on_an_existing_order_is_serial(knowledge, decide):
    earlier = _order(knowledge, "CMD-LUNG50", id="sr-0", status="completed",
                     specimen=[{"reference": "Specimen/sp-1"}])
    rna = _order(knowledge, "CMD-FUS30", specimen=[{"reference": "Specimen/sp-1"}])
    _, findings = decide(rna, more=(earlier,))
    assert parallel_orders.RULE_ID not in _rules(findings)


def test_T4_rna_panels_by_gene_count(knowledge, decide):
    fus55 = _row(knowledge, "CMD-FUS55")
    assert fus55.nucleic_acid is NucleicAcid.RNA and fus55.gene_count == 55
    assert expected_cpts(fus55, Neoplasm.SOLID) == {"81456"}
    assert expected_cpts(replace(fus55, gene_count=50), Neoplasm.SOLID) == {"81449"}
    assert expected_cpts(replace(fus55, gene_count=50), Neoplasm.HEMATOLYMPHOID) == {"81451"}
    dna = _panel(knowledge, gene_count=51, components=frozenset())
    assert expected_cpts(dna, Neoplasm.SOLID) == {"81455"}
    # the mistake seen: a 55-gene RNA panel billed 81456 told to use 81449
    _, findings = decide(_order(knowledge, "CMD-FUS55", cpt("81456"), zcode(fus55.zcode)))
    assert panel_cpt.RULE_ID not in _rules(findings)


def test_T5_dna_and_rna_panels_run_together_are_one_81479_service(knowledge, decide):
    assert expected_cpts(_panel(knowledge, nucleic_acid=NucleicAcid.DNA_RNA)) == {"81479"}
    on = {"specimen": [{"reference": "Specimen/sp-1"}]}
    facts, findings = decide(_order(knowledge, "CMD-LUNG50", **on),
                             _order(knowledge, "CMD-FUS30", id="sr-2", **on))
    [finding] = [f for f in findings if f.rule == parallel_orders.RULE_ID]
    assert finding.order == "ServiceRequest/sr-2" and finding.evidence.expected == ("81479",)
    assert finding.certain_fix is None  # a person combines the orders


def test_T6_one_unit_of_service_per_ngs_panel(knowledge, decide):
    row = _row(knowledge, "CMD-LUNG50")
    _, findings = decide(_order(knowledge, "CMD-LUNG50", cpt(row.cpt), zcode(row.zcode),
                                quantityQuantity={"value": 2}))
    [finding] = [f for f in findings if f.rule == units_of_service.RULE_ID]
    assert finding.certain_fix.quantity == 1


def test_T8_two_to_four_genes_81479(knowledge, decide):
    assert expected_cpts(_panel(knowledge, gene_count=4)) == {"81479"}
    assert "81445" in expected_cpts(_panel(knowledge, gene_count=5))
    row = _row(knowledge, "CMD-KNB3")
    _, findings = decide(_order(knowledge, "CMD-KNB3", cpt("81445"), zcode(row.zcode)))
    [finding] = [f for f in findings if f.rule == panel_cpt.RULE_ID]
    assert finding.certain_fix.changes == (CodeChange(CodeKind.CPT, "81479", "81445"),)


def test_T9_cgp_81459_or_81479(knowledge):
    cgp = _row(knowledge, "CMD-CGP-DNA")
    assert expected_cpts(cgp, Neoplasm.SOLID) == {"81459", "81479"}
    assert expected_cpts(cgp, Neoplasm.HEMATOLYMPHOID) == {"81479"}  # 81459 is solid


def test_T10_a_test_whose_assessment_has_not_passed_is_not_payable(knowledge, decide):
    """81459 only when every component passed technical assessment: the catalog's DEX status
    says whether the test's did, and a test that has not is not payable whatever its CPT."""
    hrd = _row(knowledge, "CMD-HRD")
    assert hrd.dex_status.value == "ta-not-successful"
    _, findings = decide(_order(knowledge, "CMD-HRD", cpt(hrd.cpt), zcode(hrd.zcode)))
    assert _rules(findings) == [not_payable.RULE_ID]


def test_T12_an_ngs_test_neither_targeted_nor_cgp_is_81479(knowledge, decide):
    mrd = _row(knowledge, "CMD-MRD16")
    assert mrd.panel_kind is PanelKind.OTHER and expected_cpts(mrd) == {"81479"}
    _, findings = decide(_order(knowledge, "CMD-MRD16", cpt("81445"), zcode(mrd.zcode)))
    assert panel_cpt.RULE_ID in _rules(findings)


def test_T13_no_tier_code_for_a_gene_of_a_panel(knowledge, decide):
    row = _row(knowledge, "CMD-KNB3")
    _, findings = decide(_order(knowledge, "CMD-KNB3", cpt("81275"), zcode(row.zcode)))
    [finding] = [f for f in findings if f.rule == panel_cpt.RULE_ID]
    assert finding.evidence.codes == ("81275",)
    on = {"specimen": [{"reference": "Specimen/sp-1"}]}
    _, findings = decide(_order(knowledge, "CMD-LUNG50", **on),
                         _order(knowledge, "CMD-EGFR", id="sr-2", **on))
    assert single_gene_in_panel.RULE_ID in _rules(findings, "ServiceRequest/sr-2")


def test_T15_single_gene_codes_in_parallel_are_one_panel(knowledge, decide):
    on = {"specimen": [{"reference": "Specimen/sp-1"}]}
    _, findings = decide(_order(knowledge, "CMD-EGFR", **on),
                         _order(knowledge, "CMD-KRAS", id="sr-2", **on),
                         _order(knowledge, "CMD-BRAF", id="sr-3", **on))
    [finding] = [f for f in findings if f.rule == parallel_orders.RULE_ID]
    assert finding.order == "ServiceRequest/sr-3"  # once, on the last of them
    assert {o.order for o in finding.evidence.others} == {"ServiceRequest/sr-1",
                                                          "ServiceRequest/sr-2"}
    # on two specimens they are two services
    _, apart = decide(_order(knowledge, "CMD-EGFR", **on),
                      _order(knowledge, "CMD-KRAS", id="sr-2",
                             specimen=[{"reference": "Specimen/sp-2"}]))
    assert parallel_orders.RULE_ID not in [f.rule for f in apart]


def test_T15_a_dna_panel_and_msi_are_one_81457_service(knowledge, decide):
    _, findings = decide(_order(knowledge, "CMD-LUNG50"), _order(knowledge, "CMD-MSI", id="sr-2"))
    [finding] = [f for f in findings if f.rule == parallel_orders.RULE_ID]
    assert finding.evidence.expected == ("81457",) and finding.evidence.assumed_specimen


def test_T17_a_pla_code_of_the_article_fits_and_identifies_the_test(knowledge, decide):
    row = _row(knowledge, "CMD-PAN-PLA")
    version = knowledge.policy.version_on(row.policy_article, DOS)
    assert row.cpt == "0244U" and "0244U" in version.cpts
    facts, findings = decide(_bare(cpt("0244U")))
    assert facts[0].identified_by is IdentifiedBy.PLA and facts[0].identified_for_sure
    [finding] = [f for f in findings if f.rule == missing_zcode.RULE_ID]
    assert finding.certain_fix is not None  # a PLA code names one lab's test
    assert panel_cpt.RULE_ID not in _rules(findings)


def test_T18_a_plasma_panel_billed_with_its_plasma_code_is_right(knowledge, decide):
    row = _row(knowledge, "CMD-CF30")
    assert row.specimen_type is SpecimenType.PLASMA
    _, findings = decide(_order(knowledge, "CMD-CF30", cpt("81462"), zcode(row.zcode)))
    assert findings == []
    tissue = replace(row, specimen_type=SpecimenType.TISSUE)
    assert "81462" not in expected_cpts(tissue, Neoplasm.SOLID)


# -- B. which orders are looked at together ---------------------------------------------------

def test_B_a_cgp_precludes_further_tests_on_its_specimen_assumed_when_none_stated(knowledge,
                                                                                  decide):
    _, findings = decide(_order(knowledge, "CMD-CGP-DNA"),
                         _order(knowledge, "CMD-EGFR", id="sr-2"))
    [finding] = [f for f in findings if f.rule == cgp_specimen.RULE_ID]
    assert finding.order == "ServiceRequest/sr-2" and finding.evidence.assumed_specimen
    assert finding.certain_fix is None


def test_B_a_repeat_cgp_on_a_new_specimen_is_not_the_specimen_rule(knowledge, decide):
    earlier = _order(knowledge, "CMD-CGP-DNA", id="sr-0", status="completed",
                     specimen=[{"reference": "Specimen/sp-1"}])
    again = _order(knowledge, "CMD-CGP-DNA", specimen=[{"reference": "Specimen/sp-2"}])
    _, findings = decide(again, more=(earlier,))
    assert cgp_specimen.RULE_ID not in _rules(findings)


# -- C. date of service -------------------------------------------------------------------------

def test_C_the_specimens_collection_day_is_the_date_of_service(knowledge, decide):
    specimen = {"resourceType": "Specimen", "id": "sp-1",
                "type": {"text": "Tissue"},
                "collection": {"collectedDateTime": "2025-12-30T09:00:00Z"}}
    old = knowledge.catalog.rows("CMD-MSI")[0]
    assert old.effective_to == date(2025, 12, 31)
    order = _order(knowledge, "CMD-MSI", cpt(old.cpt), zcode(old.zcode),
                   authoredOn="2026-01-05", occurrenceDateTime=None,
                   specimen=[{"reference": "Specimen/sp-1"}])
    order.pop("occurrenceDateTime")
    facts, findings = decide(order, more=(specimen,))
    assert facts[0].date_of_service == date(2025, 12, 30)
    assert facts[0].date_source is DateSource.SPECIMEN
    assert stale_code.RULE_ID not in _rules(findings)
    # without the specimen the order's date decides, and the code is stale
    _, without = decide(order)
    assert stale_code.RULE_ID in _rules(without)


def test_C_a_collection_period_starts_the_date_of_service(knowledge, decide):
    specimen = {"resourceType": "Specimen", "id": "sp-1",
                "collection": {"collectedPeriod": {"start": "2026-02-01"}}}
    facts, _ = decide(_order(knowledge, "CMD-LUNG50",
                             specimen=[{"reference": "Specimen/sp-1"}]), more=(specimen,))
    assert facts[0].date_of_service == date(2026, 2, 1)


# -- D. who the MolDX rules bind --------------------------------------------------------------

@pytest.mark.parametrize("payer", [AETNA, UHC, None])
def test_D_panel_rules_only_for_moldx_payers(knowledge, decide, payer):
    row = _row(knowledge, "CMD-KNB3")
    on = {"specimen": [{"reference": "Specimen/sp-1"}]}
    _, findings = decide(_order(knowledge, "CMD-KNB3", cpt("81275"), zcode(row.zcode),
                                quantityQuantity={"value": 2}, **on),
                         _order(knowledge, "CMD-CGP-DNA", id="sr-2", **on),
                         _order(knowledge, "CMD-LUNG50", id="sr-3",
                                reasonCode=[icd10("C92.00")]), payer=payer)
    moldx_only = {panel_cpt.RULE_ID, units_of_service.RULE_ID, cgp_specimen.RULE_ID,
                  single_gene_in_panel.RULE_ID, parallel_orders.RULE_ID,
                  test_indication.RULE_ID}
    assert not moldx_only & {f.rule for f in findings}
    _, medicare = decide(_order(knowledge, "CMD-KNB3", cpt("81275"), zcode(row.zcode),
                                quantityQuantity={"value": 2}, **on),
                         _order(knowledge, "CMD-CGP-DNA", id="sr-2", **on))
    assert {panel_cpt.RULE_ID, units_of_service.RULE_ID, cgp_specimen.RULE_ID} <= {
        f.rule for f in medicare}


def test_D_a_zcode_only_payer_gets_the_zcode_checks(knowledge, decide):
    _, findings = decide(_order(knowledge, "CMD-LUNG50"), payer=UHC)
    assert missing_zcode.RULE_ID in _rules(findings)
    _, none = decide(_order(knowledge, "CMD-LUNG50"), payer=AETNA)
    assert none == []


# -- E. Z-codes ---------------------------------------------------------------------------------

def test_Z1_a_malformed_zcode_is_named_and_the_catalogs_offered(knowledge, decide):
    facts, findings = decide(_bare(cpt("81445"), zcode("ZL5H")))
    assert facts[0].test_code == "CMD-LUNG50" and facts[0].malformed_zcodes == ("ZL5H",)
    [finding] = findings
    assert finding.rule == malformed_zcode.RULE_ID
    assert finding.fixes[0].changes == (CodeChange(CodeKind.ZCODE, "ZL5H2", "ZL5H"),)
    assert finding.certain_fix is None  # only the CPT named the test (Z2)
    _, by_lab_code = decide(_order(knowledge, "CMD-LUNG50", cpt("81445"), zcode("ZL5H")))
    [sure] = by_lab_code
    assert sure.rule == malformed_zcode.RULE_ID and sure.certain_fix is not None


def test_Z2_a_zcode_inferred_from_a_cpt_alone_is_never_certain(knowledge, decide):
    facts, findings = decide(_bare(cpt("81445")))
    assert facts[0].identified_by is IdentifiedBy.CPT and not facts[0].identified_for_sure
    [finding] = findings
    assert finding.rule == missing_zcode.RULE_ID and finding.certain_fix is None


def test_Z3_each_payer_requires_zcodes_from_its_own_date(knowledge, decide):
    humana = next(p for p in knowledge.payers if p.identifier_value == "61101")
    before = date.fromordinal(humana.zcode_required_from.toordinal() - 1)
    order = _order(knowledge, "CMD-LUNG50", occurrenceDateTime=before.isoformat())
    _, findings = decide(order, payer="61101", today=before)
    assert missing_zcode.RULE_ID not in _rules(findings)
    order = _order(knowledge, "CMD-LUNG50",
                   occurrenceDateTime=humana.zcode_required_from.isoformat())
    _, findings = decide(order, payer="61101")
    assert missing_zcode.RULE_ID in _rules(findings)


def test_Z6_a_registered_test_fails_on_its_code(knowledge, decide):
    row = knowledge.catalog.rows("CMD-CTDNA")[0]
    order = _order(knowledge, "CMD-CTDNA", zcode(row.zcode),
                   occurrenceDateTime=row.effective_from.isoformat())
    _, findings = decide(order)
    [finding] = [f for f in findings if f.rule == not_payable.RULE_ID]
    assert not finding.evidence.abn and finding.fixes == ()


# -- F. diagnoses --------------------------------------------------------------------------------

def test_F_a_snomed_reason_is_kept_as_what_the_order_says(knowledge, decide):
    reason = {"coding": [{"system": "http://snomed.info/sct", "code": "254637007",
                          "display": "Non-small cell lung cancer"}]}
    facts, _ = decide(_order(knowledge, "CMD-LUNG50", reasonCode=[reason]))
    assert facts[0].diagnoses == ()
    assert facts[0].other_reasons == (("Non-small cell lung cancer", "SNOMED CT"),)


def test_F_solid_against_hematolymphoid_is_a_warning_without_a_fix(knowledge, decide):
    row = _row(knowledge, "CMD-LUNG50")
    _, findings = decide(_order(knowledge, "CMD-LUNG50", cpt(row.cpt), zcode(row.zcode),
                                reasonCode=[icd10("C92.00")]))
    [finding] = [f for f in findings if f.rule == test_indication.RULE_ID]
    assert finding.fixes == () and finding.evidence.neoplasm == "solid"
    assert panel_cpt.RULE_ID not in _rules(findings)  # the CPT is not the problem
    mye = _row(knowledge, "CMD-MYE40")
    _, heme = decide(_order(knowledge, "CMD-MYE40", cpt(mye.cpt), zcode(mye.zcode),
                            reasonCode=[icd10("C34.90")]))
    assert test_indication.RULE_ID in _rules(heme) and panel_cpt.RULE_ID not in _rules(heme)


def test_F_abn_only_where_the_denial_is_medical_necessity(knowledge, decide):
    from plugin.rules import diagnosis_coverage

    def abn(reason):
        _, findings = decide(_order(knowledge, "CMD-LUNG50", reasonCode=[reason]))
        [finding] = [f for f in findings if f.rule == diagnosis_coverage.RULE_ID]
        return finding.evidence.abn

    assert abn(icd10("E11.9"))  # covered nowhere in the article: medical necessity
    assert not abn(icd10("C78.01"))  # a secondary site: ask for the primary's code
    assert not abn({"coding": [{"system": "http://snomed.info/sct", "code": "254637007"}]})


def test_F_a_reason_without_a_display_is_named_by_its_system_and_code(knowledge, decide):
    reason = {"coding": [{"system": "http://snomed.info/sct", "code": "254637007"}]}
    facts, _ = decide(_order(knowledge, "CMD-LUNG50", reasonCode=[reason]))
    assert facts[0].other_reasons == (("SNOMED CT 254637007", "SNOMED CT"),)


def test_B_a_repeat_cgp_for_the_same_cancer_on_a_new_specimen_warns_without_a_fix(knowledge,
                                                                                   decide):
    from plugin.rules import repeat_cgp
    earlier = _order(knowledge, "CMD-CGP-DNA", id="sr-0", status="completed",
                     specimen=[{"reference": "Specimen/sp-1"}])
    again = _order(knowledge, "CMD-CGP-DNA", specimen=[{"reference": "Specimen/sp-2"}])
    _, findings = decide(again, more=(earlier,))
    [finding] = [f for f in findings if f.rule == repeat_cgp.RULE_ID]
    assert finding.fixes == ()
    # another cancer: not a repeat
    colon = _order(knowledge, "CMD-CGP-DNA", specimen=[{"reference": "Specimen/sp-2"}],
                   reasonCode=[icd10("C18.9")])
    _, findings = decide(colon, more=(earlier,))
    assert repeat_cgp.RULE_ID not in _rules(findings)


def test_Z1_a_malformed_zcode_alone_is_unknown_and_named(knowledge, decide):
    from plugin.rules import unknown_test
    _, findings = decide(_bare(zcode("ZL5H")))
    [finding] = findings
    assert finding.rule == unknown_test.RULE_ID and finding.evidence.codes == ("ZL5H",)


def test_T17_the_articles_cpt_list_by_version_is_the_truth(knowledge, systems):
    """Before the version that lists 0244U, a claim with it falls outside the article."""
    from plugin.knowledge import Policy
    from plugin.rules import article_cpt
    current = knowledge.policy.version_on("A57901", DOS)
    earlier = replace(current, version=current.version - 1,
                      cpts=current.cpts - {"0244U"}, effective_to=date(2026, 2, 28))
    later = replace(current, effective_from=date(2026, 3, 1))
    others = [v for a, vs in knowledge.policy.versions.items() if a != "A57901" for v in vs]
    versioned = replace(knowledge, policy=Policy.of([earlier, later, *others]))
    row = versioned.catalog.row_on("CMD-PAN-PLA", DOS)

    def rules_on(day):
        order = fhir.parse_resource(_order(versioned, "CMD-PAN-PLA", cpt(row.cpt),
                                           zcode(row.zcode), occurrenceDateTime=day))
        known = [order, fhir.parse_resource(coverage(MEDICARE))]
        facts, patient = facts_for([order], fhir.ResourceIndex(known), versioned, systems, DOS)
        return [f.rule for f in evaluate(facts, patient, versioned)]

    assert article_cpt.RULE_ID in rules_on("2026-02-27")
    assert article_cpt.RULE_ID not in rules_on("2026-03-02")
