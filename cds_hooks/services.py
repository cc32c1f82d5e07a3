"""The services this CDS Hooks endpoint offers, as discovery describes them."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Service

PREFETCH = {
    "patient": "Patient/{{context.patientId}}",
    "conditions": "Condition?patient={{context.patientId}}",
    "coverage": "Coverage?patient={{context.patientId}}&status=active",
    # The patient's existing orders: the evidence for the rules per specimen (one CGP per
    # specimen, no single-gene code for a gene a panel on the specimen tests).
    "serviceRequests": "ServiceRequest?patient={{context.patientId}}",
}


@dataclass(frozen=True)
class ServiceDefinition:
    id: str
    hook: str
    title: str
    description: str
    system_actions: bool  # whether certain fixes also go out as system actions

    def discovery(self) -> Service:
        return Service(hook=self.hook, id=self.id, title=self.title,
                       description=self.description, prefetch=PREFETCH,
                       usageRequirements="Orders should carry the lab's test code and their "
                       "ICD-10-CM diagnoses; the payer is read from the patient's Coverage.")


SERVICES = (
    ServiceDefinition(
        id="moldx-order-select", hook="order-select",
        title="MolDX molecular test coding (order-select)",
        description="Early check of newly selected molecular and genetic lab orders: the "
        "test's CPT and DEX Z-code, and whether the test is payable.",
        system_actions=False),
    ServiceDefinition(
        id="moldx-order-sign", hook="order-sign",
        title="MolDX molecular test coding (order-sign)",
        description="Checks molecular and genetic lab orders at signing: adds the CPT and DEX "
        "Z-code the payer needs, flags wrong, stale and non-payable codes.",
        system_actions=True),
)
SERVICES_BY_ID = {s.id: s for s in SERVICES}
