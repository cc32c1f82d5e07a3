"""The services this CDS Hooks endpoint offers, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.rules import (
    ambiguous_test,
    billing_option,
    generic_code,
    malformed_zcode,
    mismatched_codes,
    missing_zcode,
    not_payable,
    stale_code,
    unknown_payer,
    unknown_test,
)

from .crd import CONFIGURATION_OPTIONS, VERSIONS
from .models import Service
from .prefetch import (
    CONDITIONS,
    COVERAGE,
    DISPATCHED_ORDER,
    PATIENT,
    SERVICE_REQUESTS,
    SPECIMENS,
    Need,
)

# order-select comes early, while the clinician is still choosing: only what the test's codes
# and the payer tell, nothing that needs the diagnoses or the specimen.
SELECT_RULES = frozenset(r.RULE_ID for r in (unknown_test, ambiguous_test, generic_code,
                                             billing_option, malformed_zcode,
                                             mismatched_codes, stale_code, missing_zcode,
                                             not_payable, unknown_payer))


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    needs: tuple[Need, ...]
    required: frozenset[str]  # prefetch keys the call cannot be answered without (else 412)
    primary: bool  # a Da Vinci CRD primary hook: system actions, coverage information
    rules: frozenset[str] | None = None  # the rule ids to run; None: all

    def discovery(self) -> Service:
        prefetch = {n.key: n.template for n in self.needs}
        if self.hook == "order-dispatch":  # only the 1.0 context has a single-order token
            prefetch[DISPATCHED_ORDER.key] = DISPATCHED_ORDER.template
        return Service(
            hook=self.hook, id=self.id, title=self.title, description=self.description,
            prefetch=prefetch,
            usageRequirements="Orders should carry the lab's test code and their ICD-10-CM "
            "diagnoses; the payer is read from the patient's Coverage.",
            extension={"davinci-crd.configuration-options": CONFIGURATION_OPTIONS,
                       "davinci-crd.version": list(VERSIONS)})


SERVICES = (
    ServiceDefinition(
        id="moldx-order-select", hook="order-select",
        title="MolDX molecular test coding (order-select)",
        description="Early check of newly selected molecular and genetic lab orders: the "
        "test's CPT and DEX Z-code, and whether the test is payable.",
        needs=(COVERAGE,), required=frozenset(), primary=False, rules=SELECT_RULES),
    ServiceDefinition(
        id="moldx-order-sign", hook="order-sign",
        title="MolDX molecular test coding (order-sign)",
        description="Checks molecular and genetic lab orders at signing: adds the CPT and DEX "
        "Z-code the payer needs, flags wrong, stale and non-payable codes, and records "
        "coverage information on each order.",
        needs=(PATIENT, CONDITIONS, COVERAGE, SERVICE_REQUESTS, SPECIMENS),
        required=frozenset({COVERAGE.key}),
        primary=True),
    ServiceDefinition(
        id="moldx-order-dispatch", hook="order-dispatch",
        title="MolDX coding and coverage at dispatch to the performing lab",
        description="Re-checks the codes and coverage of a molecular order when it is "
        "dispatched to the performing laboratory.",
        needs=(PATIENT, CONDITIONS, COVERAGE, SERVICE_REQUESTS, SPECIMENS),
        required=frozenset({COVERAGE.key}),
        primary=True),
)
SERVICES_BY_ID = {s.id: s for s in SERVICES}
