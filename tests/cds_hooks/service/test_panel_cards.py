"""The panel coding rules of the MolDX targeted and comprehensive genomic profile article."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from plugin.knowledge import Neoplasm, NucleicAcid, PanelKind, load_knowledge
from plugin.rules.panel_coding import expected_cpts, judged
from tests.conftest import hook_fixture, post_hook
from tests.mcd_packs import copy_knowledge, read, write

DOS = date(2026, 3, 2)
CPT = "http://www.ama-assn.org/go/cpt"


def _cpts(resource):
    return [c["code"] for c in resource["code"]["coding"] if c["system"] == CPT]


def test_a_3_gene_panel_billed_with_81445_gets_81479(client, knowledge):
    row = knowledge.catalog.row_on("CMD-KNB3", DOS)
    assert row.gene_count == 3 and expected_cpts(row) == {"81479"}
    request = hook_fixture("mismatched-cpt")
    assert _cpts(request["context"]["draftOrders"]["entry"][0]["resource"]) == ["81445"]
    response = post_hook(client, request)
    [card] = response["cards"]
    assert card["indicator"] == "warning"
    assert "codes a DNA panel of 3 genes as CPT **81479**" in card["detail"]
    [suggestion] = card["suggestions"]
    assert _cpts(suggestion["actions"][0]["resource"]) == ["81479"]
    # certain: the LIS may apply it at signing
    assert _cpts(response["systemActions"][0]["resource"]) == ["81479"]


def test_expected_codes_follow_the_article(knowledge):
    rows = {r.test_code: r for r in knowledge.catalog if r.in_effect_on(DOS)}
    solid = Neoplasm.SOLID
    assert expected_cpts(rows["CMD-LUNG50"], solid) == {"81445"}  # reports no MSI (T1)
    assert expected_cpts(rows["CMD-CGP-DNA"], solid) == {"81459", "81479"}  # T9
    assert expected_cpts(rows["CMD-CGP-DR"], solid) == {"81459", "81479"}
    assert expected_cpts(rows["CMD-FUS55"], solid) == {"81456"}  # RNA, 55 genes (T4)
    assert expected_cpts(rows["CMD-FUS30"], solid) == {"81449"}  # RNA, 30 genes (T4)
    assert expected_cpts(rows["CMD-HRD"], solid) == {"81479"}  # 2 genes (T8)
    assert expected_cpts(rows["CMD-MRD16"], solid) == {"81479"}  # neither targeted nor CGP
    assert expected_cpts(rows["CMD-CF30"], solid) == {"81462", "81479"}  # plasma (T18)
    assert expected_cpts(rows["CMD-MYE40"], Neoplasm.HEMATOLYMPHOID) == {"81450"}
    # every catalog panel is coded as the article says (a PLA code is not judged: T17)
    assert all(r.cpt in expected_cpts(r, r.neoplasm) for r in rows.values()
               if r.cpt and r.panel_kind is not PanelKind.SINGLE_GENE and judged(r.cpt))


def test_a_hematolymphoid_code_on_a_solid_tumour_order_is_wrong(client):
    request = hook_fixture("all-correct")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    next(c for c in order["code"]["coding"] if c["system"] == CPT)["code"] = "81450"
    labels = [s["label"] for c in post_hook(client, request)["cards"]
              for s in c.get("suggestions", [])]
    assert any("Replace CPT 81450 with 81445" in s for s in labels)


def test_a_cgp_and_a_single_gene_test_on_one_specimen(client):
    request = hook_fixture("cgp-and-single-gene")
    [card] = post_hook(client, request)["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith("EGFR mutation analysis")
    assert "precludes any further molecular testing" in card["detail"]
    assert "(ServiceRequest/sr-1)" in card["detail"]
    [suggestion] = card["suggestions"]
    assert suggestion["actions"] == [{"type": "delete", "resourceId": "ServiceRequest/sr-2",
                                      "description": "ServiceRequest/sr-2: drop the order"}]


def test_the_same_tests_on_two_specimens_are_fine(client):
    request = hook_fixture("cgp-and-single-gene")
    egfr = request["context"]["draftOrders"]["entry"][1]["resource"]
    egfr["specimen"] = [{"reference": "Specimen/sp-2"}]
    specimens = request["prefetch"]["specimens"]["entry"]
    specimens.append({"resource": {**specimens[0]["resource"], "id": "sp-2"}})
    assert post_hook(client, request)["cards"] == []


def test_a_second_cgp_on_a_specimen_that_already_has_one(client):
    request = hook_fixture("second-cgp")
    [existing] = [e["resource"] for e in request["prefetch"]["serviceRequests"]["entry"]]
    assert existing["status"] == "completed"
    [card] = post_hook(client, request)["cards"]
    assert card["summary"].startswith("Second comprehensive genomic profile on one specimen")
    assert "Specimen/sp-1" not in card["summary"]  # people's things by display, not FHIR id
    assert "another specimen" not in card["detail"].lower()  # section B
    assert f"an existing order (ServiceRequest/{existing['id']})" in card["detail"]


def test_a_revoked_earlier_cgp_is_no_evidence(client):
    request = hook_fixture("second-cgp")
    request["prefetch"]["serviceRequests"]["entry"][0]["resource"]["status"] = "revoked"
    assert post_hook(client, request)["cards"] == []


def test_two_cgps_in_one_request_flag_the_second(client):
    request = hook_fixture("cgp-and-single-gene")
    egfr = request["context"]["draftOrders"]["entry"][1]["resource"]
    egfr["code"]["coding"] = request["context"]["draftOrders"]["entry"][0]["resource"][
        "code"]["coding"]
    [card] = post_hook(client, request)["cards"]
    assert "Second comprehensive genomic profile" in card["summary"]
    assert card["suggestions"][0]["actions"][0]["resourceId"] == "ServiceRequest/sr-2"


def test_a_single_gene_code_for_a_gene_in_a_panel_on_the_specimen(client, knowledge):
    assert "EGFR" in knowledge.catalog.row_on("CMD-LUNG50", DOS).genes
    [card] = post_hook(client, "single-gene-in-panel")["cards"]
    assert card["summary"].startswith("EGFR mutation analysis (single gene): EGFR is already")
    assert "Tier 1/Tier 2" in card["detail"]


def test_more_than_one_unit_of_service(client):
    [card] = post_hook(client, "units-of-service")["cards"]
    assert "one unit of service, not 2" in card["summary"]
    resource = card["suggestions"][0]["actions"][0]["resource"]
    assert resource["quantityQuantity"] == {"value": 1}


def test_dna_and_rna_panels_always_run_together_are_one_81479_service(knowledge):
    lung = knowledge.catalog.row_on("CMD-LUNG50", DOS)
    assert expected_cpts(replace(lung, nucleic_acid=NucleicAcid.DNA_RNA)) == {"81479"}
    assert expected_cpts(replace(lung, gene_count=4)) == {"81479"}
    assert "81445" in expected_cpts(replace(lung, gene_count=5))


def test_a_catalog_cpt_that_breaks_the_article_is_a_warning_without_a_fix(tmp_path, client_for):
    folder = copy_knowledge(tmp_path / "knowledge")
    header, rows = read(folder, "catalog.csv")
    for row in rows:
        if row["test_code"] == "CMD-KNB3":
            row["cpt"] = "81445"  # a 3-gene panel: the article says 81479
    write(folder, "catalog.csv", header, rows)
    client = client_for(load_knowledge(folder))
    [card] = post_hook(client, "mismatched-cpt")["cards"]  # the order carries 81445 too
    assert card["indicator"] == "warning"
    assert "the lab should review it" in card["summary"]
    assert "suggestions" not in card
