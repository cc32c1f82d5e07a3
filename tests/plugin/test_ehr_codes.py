"""Orders as real EHRs code them: the lab's compendium aliases (aliases.csv) and the Da Vinci
CRD 2.2 billing options, and how sure each makes the service of the test."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from plugin import fhir
from plugin.codes import CodeSystems
from plugin.knowledge import DEMO_DIR, KnowledgeError, load_knowledge
from plugin.orders import IdentifiedBy, facts_for
from plugin.rules import (
    ambiguous_test,
    billing_option,
    evaluate,
    generic_code,
    missing_zcode,
)
from tests.plugin.conftest import coverage, cpt, service_request

DAY = date(2026, 3, 2)
EPIC = "urn:oid:1.2.840.114350.1.13.5501.2.7.2.696580"  # the demo's Epic site orderables
ORACLE = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/200"
DEMO_CLIENT = "urn:moldx-cds:demo-client"
BILLING_OPTIONS = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"
MEDICARE = "02302"


def _order(*codings: dict, options: tuple[str, ...] = ()) -> dict:
    order = service_request(*codings, occurrenceDateTime=DAY.isoformat())
    if options:
        order["code"]["extension"] = [
            {"url": BILLING_OPTIONS, "valueCodeableConcept": {"coding": [cpt(code)]}}
            for code in options]
    return order


def _decide(knowledge, *orders: dict, payer: str | None = MEDICARE, issuer: str | None = None):
    resources = [fhir.parse_resource(o) for o in orders]
    if payer:
        resources.append(fhir.parse_resource(coverage(payer)))
    systems = CodeSystems(test=knowledge.lab.test_code_system)
    facts, patient = facts_for(resources[:len(orders)], fhir.ResourceIndex(resources),
                               knowledge, systems, DAY, issuer)
    return facts, evaluate(facts, patient, knowledge)


def _folder(tmp_path, aliases: str | None):
    folder = tmp_path / "knowledge"
    shutil.copytree(DEMO_DIR, folder)
    (folder / "aliases.csv").unlink()
    if aliases is not None:
        (folder / "aliases.csv").write_text(aliases)
    return folder


# -- aliases.csv -----------------------------------------------------------------------------

def test_a_folder_without_aliases_loads_as_before(tmp_path):
    knowledge = load_knowledge(_folder(tmp_path, None))
    assert len(knowledge.aliases) == 0
    [facts], _ = _decide(knowledge, _order({"system": ORACLE, "code": "2823941"}))
    assert facts.test_code is None and not facts.names_a_molecular_test


def test_a_system_that_is_not_a_uri_is_named_by_file_line_and_column(tmp_path):
    folder = _folder(tmp_path, "system,code,test_code,issuer\n"
                               "Epic orderables,3,CMD-EGFR,\n")
    with pytest.raises(KnowledgeError) as bad:
        load_knowledge(folder)
    assert bad.value.problems == [
        "aliases.csv, line 2, column system: 'Epic orderables' is not a URI"]


def test_an_unknown_test_and_a_duplicate_row_are_named_by_file_line_and_column(tmp_path):
    folder = _folder(tmp_path, "system,code,test_code,issuer\n"
                               f"{ORACLE},1,CMD-LUNG50,\n"
                               f"{ORACLE},2,CMD-NOPE,\n"
                               f"{ORACLE},1,CMD-LUNG50,\n")
    with pytest.raises(KnowledgeError) as bad:
        load_knowledge(folder)
    assert bad.value.problems == [
        "aliases.csv, line 3, column test_code: test 'CMD-NOPE' is not in catalog.csv",
        f"aliases.csv, line 4, column code: {ORACLE} 1 -> CMD-LUNG50 is listed twice"]


def test_aliases_change_the_knowledge_version(tmp_path):
    without = load_knowledge(_folder(tmp_path / "a", None))
    with_them = load_knowledge(DEMO_DIR)
    assert without.version != with_them.version


# -- certainty follows the source ------------------------------------------------------------

def test_an_alias_naming_one_test_identifies_it_for_sure(knowledge):
    [facts], findings = _decide(knowledge, _order({"system": ORACLE, "code": "2823941"}))
    assert facts.test_code == "CMD-LUNG50" and facts.identified_by is IdentifiedBy.ALIAS
    assert facts.identified_for_sure
    [missing] = [f for f in findings if f.rule == missing_zcode.RULE_ID]
    assert missing.certain_fix is not None  # as certain as the lab's own code


def test_a_clients_alias_is_not_used_for_another_issuer(knowledge):
    epic = _order({"system": EPIC, "code": "40012345"})
    [own], _ = _decide(knowledge, epic, issuer=DEMO_CLIENT)
    [other], findings = _decide(knowledge, epic, issuer="https://other-site.example/ehr")
    [none], _ = _decide(knowledge, epic, issuer=None)
    assert own.test_code == "CMD-LUNG50"
    assert other.test_code is None and none.test_code is None and findings == []


def test_an_issuers_own_rows_take_precedence_over_every_clients(tmp_path):
    folder = _folder(tmp_path, "system,code,test_code,issuer\n"
                               f"{ORACLE},7,CMD-LUNG50,\n"
                               f"{ORACLE},7,CMD-EGFR,https://site-b.example\n")
    knowledge = load_knowledge(folder)
    order = _order({"system": ORACLE, "code": "7"})
    assert _decide(knowledge, order, issuer="https://site-b.example")[0][0].test_code \
        == "CMD-EGFR"
    assert _decide(knowledge, order, issuer="https://site-a.example")[0][0].test_code \
        == "CMD-LUNG50"


def test_an_alias_naming_several_tests_is_a_choice_never_certain(knowledge):
    [facts], findings = _decide(knowledge, _order({"system": "http://loinc.org",
                                                   "code": "81247-9"}))
    assert facts.test_code is None
    assert [r.test_code for r in facts.candidates] == ["CMD-BRAF", "CMD-EGFR", "CMD-KRAS"]
    [choice] = [f for f in findings if f.rule == generic_code.RULE_ID]
    assert len(choice.fixes) == 3 and not any(fix.certain for fix in choice.fixes)
    assert not [f for f in findings if f.rule == ambiguous_test.RULE_ID]


def test_a_generic_code_narrowed_by_a_cpt_is_likely_not_sure(knowledge):
    [facts], findings = _decide(knowledge, _order({"system": "http://loinc.org",
                                                   "code": "81247-9"}, cpt("81275")))
    assert facts.test_code == "CMD-KRAS" and not facts.identified_for_sure
    assert all(f.certain_fix is None for f in findings if f.rule == missing_zcode.RULE_ID)


def test_billing_options_alone_give_a_suggestion_only(knowledge):
    [facts], findings = _decide(knowledge, _order({"system": "http://snomed.info/sct",
                                                   "code": "1234"}, options=("81445",)))
    assert facts.test_code == "CMD-LUNG50"
    assert facts.identified_by is IdentifiedBy.BILLING_OPTION and not facts.identified_for_sure
    [missing] = [f for f in findings if f.rule == missing_zcode.RULE_ID]
    assert missing.fixes and missing.certain_fix is None


def test_billing_options_of_several_tests_offer_each(knowledge):
    [facts], findings = _decide(knowledge, _order(options=("81479",)))
    assert len(facts.candidates) > 1
    [choice] = [f for f in findings if f.rule == ambiguous_test.RULE_ID]
    assert choice.evidence.codes == ("81479",)


def test_a_billing_option_agreeing_with_the_test_confirms_it(knowledge):
    _, findings = _decide(knowledge, _order({"system": ORACLE, "code": "2823941"},
                                            options=("81445",)))
    assert not [f for f in findings if f.rule == billing_option.RULE_ID]


def test_a_billing_option_disagreeing_with_the_test_is_a_warning_naming_both(knowledge):
    _, findings = _decide(knowledge, _order({"system": ORACLE, "code": "2823941"},
                                            options=("81455", "81450")))
    [warning] = [f for f in findings if f.rule == billing_option.RULE_ID]
    assert warning.severity == "warning" and not warning.fixes
    assert warning.evidence.codes == ("81455", "81450")
    assert warning.evidence.row.cpt == "81445" and warning.evidence.row.test_code == "CMD-LUNG50"


def test_an_imaging_order_with_billing_options_is_not_the_labs(knowledge):
    [facts], findings = _decide(knowledge, _order({"system": "http://snomed.info/sct",
                                                   "code": "726551006"},
                                                  options=("77061", "77065")), payer=None)
    assert not facts.names_a_molecular_test and findings == []

