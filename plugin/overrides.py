"""What a person may answer when overriding a finding: the CDS Hooks overrideReasons offered on
each rule's warnings, and their displays for the report."""

from __future__ import annotations

from collections.abc import Iterable

from plugin.findings import Finding
from plugin.rules import (
    article_cpt,
    cgp_specimen,
    diagnosis_coverage,
    invalid_diagnosis,
    malformed_zcode,
    mismatched_codes,
    missing_zcode,
    not_payable,
    panel_cpt,
    parallel_orders,
    repeat_cgp,
    single_gene_in_panel,
    stale_code,
    test_indication,
    units_of_service,
)

OVERRIDE_SYSTEM = "urn:moldx-cds:override-reason"
OVERRIDE_REASONS = {  # code -> display
    "payer-no-zcode": "Payer does not require a Z-code",
    "lab-will-code": "The performing lab will correct the codes",
    "abn-signed": "ABN signed",
    "self-pay": "Patient will pay for the test",
    "indication-not-coded": "Indication documented but not coded",
    "other-specimen": "Another specimen will be tested",
    "serial-service": "Run serially, as a separate service with its own order and report",
    "test-fits-indication": "The test fits the patient's indication",
    "new-primary-or-progression": "New primary tumour or progression documented",
    "needed-no-alternative": "Clinically needed; no covered test serves the same use",
}
_BY_RULE = {
    missing_zcode.RULE_ID: ("payer-no-zcode", "lab-will-code"),
    mismatched_codes.RULE_ID: ("lab-will-code",),
    stale_code.RULE_ID: ("lab-will-code",),
    panel_cpt.RULE_ID: ("lab-will-code",),
    units_of_service.RULE_ID: ("lab-will-code",),
    # The denial is on the test's code, not medical necessity: an ABN does not help.
    not_payable.RULE_ID: ("needed-no-alternative",),
    diagnosis_coverage.RULE_ID: ("indication-not-coded", "abn-signed", "self-pay"),
    invalid_diagnosis.RULE_ID: ("indication-not-coded",),
    cgp_specimen.RULE_ID: ("other-specimen", "self-pay"),
    single_gene_in_panel.RULE_ID: ("other-specimen", "self-pay"),
    malformed_zcode.RULE_ID: ("lab-will-code",),
    test_indication.RULE_ID: ("test-fits-indication", "self-pay"),
    parallel_orders.RULE_ID: ("serial-service", "other-specimen", "lab-will-code"),
    repeat_cgp.RULE_ID: ("new-primary-or-progression", "abn-signed", "self-pay"),
    article_cpt.RULE_ID: ("lab-will-code",),
}
_OTHER = ("indication-not-coded", "abn-signed")  # a warning of a rule not listed


def override_reasons_for(rules: Iterable[str]) -> list[str]:
    """The reason codes offered on a card about `rules`, each once, in order."""
    return list(dict.fromkeys(code for rule in rules for code in _BY_RULE.get(rule, _OTHER)))


def override_reasons_for_findings(findings: Iterable[Finding]) -> list[str]:
    """The reason codes offered on a card about `findings`: those of their rules, but an ABN
    only where the finding says one helps (a diagnosis coded in SNOMED CT only, or a secondary
    site, is a coding gap an ABN does not cure)."""
    return list(dict.fromkeys(
        code for f in findings for code in override_reasons_for([f.rule])
        if not (code == "abn-signed" and f.rule == diagnosis_coverage.RULE_ID
                and not f.evidence.abn)))
