"""Da Vinci CRD: the coverage-information extension, card types and configuration options.

We emit the subset of coverage-information that validates under both CRD 2.0.1 (what the
Inferno test kit checks) and 2.2: `covered` is covered, not-covered or conditional; `pa-needed`
whenever covered is not not-covered; `info-needed` OTH with a `reason` text whenever something
is conditional; no `contact`, `expiry-date`, `detail` or `indeterminate`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from plugin.codes import CPT_SYSTEM, CodeSystems
from plugin.findings import Finding, Severity
from plugin.knowledge import CoverageRules
from plugin.orders import OrderFacts
from plugin.rules import not_payable

from .cards.parts import DEX_STATUS_WORDS

COVERAGE_INFORMATION = ("http://hl7.org/fhir/us/davinci-crd/StructureDefinition/"
                        "ext-coverage-information")
VERSIONS = ("2.2",)  # advertised; a call that names no version gets CRD 2.0.1 behaviour
_TOPIC_SYSTEMS = {"2.0.1": "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp",
                  "2.2": "http://terminology.hl7.org/CodeSystem/cdshooks-card-type"}

# Card types (source.topic codes) and their names; one boolean option each (CRD dev-5).
CARD_TYPES = {"claim": "Claim", "coverage-info": "Coverage Information"}
CONFIGURATION_OPTIONS = [
    {"code": "claim", "type": "boolean", "name": "Claim coding",
     "description": "Cards about the CPT and DEX Z-code the order and its claim need.",
     "default": True},
    {"code": "coverage-info", "type": "boolean", "name": "Coverage information",
     "description": "Cards about tests that will not be paid, and coverage information "
     "recorded on each order at signing and dispatch.", "default": True},
    {"code": "max-cards", "type": "integer", "name": "Maximum cards",
     "description": "Return at most this many cards, warnings first.", "default": 10},
]


@dataclass(frozen=True)
class Configuration:
    """What the call asked for in `extension`; unknown or ill-typed options are ignored."""

    enabled: Mapping[str, bool]
    max_cards: int
    version: str

    @classmethod
    def from_extension(cls, extension: Mapping[str, Any] | None) -> Configuration:
        extension = extension or {}
        sent = extension.get("davinci-crd.configuration")
        sent = sent if isinstance(sent, dict) else {}
        defaults = {o["code"]: o["default"] for o in CONFIGURATION_OPTIONS}
        enabled = {code: sent[code] if isinstance(sent.get(code), bool) else defaults[code]
                   for code in CARD_TYPES}
        limit = sent.get("max-cards")
        usable = isinstance(limit, int) and not isinstance(limit, bool) and limit >= 0
        requested = extension.get("davinci-crd.requestedVersion")
        version = "2.2" if requested in ("2.1", "2.2") else "2.0.1"
        return cls(enabled, limit if usable else defaults["max-cards"], version)

    def allows(self, card_type: str) -> bool:
        return self.enabled.get(card_type, True)

    def topic(self, card_type: str) -> dict[str, str]:
        return {"system": _TOPIC_SYSTEMS[self.version], "code": card_type,
                "display": CARD_TYPES[card_type]}


def coverage_information(facts: OrderFacts, findings: Iterable[Finding], *,
                         missing: Iterable[str], hook_instance: str, today: date,
                         systems: CodeSystems) -> dict[str, Any] | None:
    """The coverage-information extension for one order, or None when it has no Coverage or
    is not identified as a test of the lab's catalog (an imaging order, an empty first order).
    `missing` names data that could not be read, which makes the assertion conditional."""
    if facts.coverage is None or facts.coverage.coverage is None or facts.row is None:
        return None  # assert nothing of an order that is not a test of the lab's catalog
    coverage = facts.coverage.coverage
    covered, reasons = _assess(facts, list(findings), list(missing))
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": {"reference": coverage}},
        {"url": "covered", "valueCode": covered}]
    pa_needed = None
    if covered != "not-covered":
        # Medicare Part B asks no prior authorization for laboratory tests; of other payers
        # we know nothing about it.
        medicare = facts.payer is not None and facts.payer.program == "medicare"
        pa_needed = "no-auth" if medicare else "conditional"
        if not medicare:
            reasons.append("the prior authorization rules of this payer are not known to "
                           "this service")
        parts.append({"url": "pa-needed", "valueCode": pa_needed})
    if "conditional" in (covered, pa_needed):
        parts.append({"url": "info-needed", "valueCode": "OTH"})
    if facts.row is not None:
        # A Z-code inferred from a CPT alone is a guess; it is asserted only for a test known
        # for sure.
        codes = [(CPT_SYSTEM, facts.row.cpt),
                 (systems.zcode, facts.row.zcode if facts.identified_for_sure else None)]
        parts += [{"url": "billingCode", "valueCoding": {"system": s, "code": c}}
                  for s, c in codes if c]
    parts += [{"url": "reason", "valueCodeableConcept": {"text": _sentence(r)}}
              for r in reasons]
    parts += [{"url": "date", "valueDate": today.isoformat()},
              {"url": "coverage-assertion-id", "valueString": assertion_id(hook_instance,
                                                                            coverage)}]
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def _assess(facts: OrderFacts, findings: list[Finding],
            missing: list[str]) -> tuple[str, list[str]]:
    """`covered`, `not-covered` or `conditional`, with what the answer rests on."""
    refused = [f for f in findings if f.rule == not_payable.RULE_ID]
    if refused and facts.row is not None:
        status = DEX_STATUS_WORDS[facts.row.dex_status]
        return "not-covered", [f"the test's DEX status ({status}) means the payer will not "
                               "pay it"]
    reasons = []
    if facts.row is None:
        reasons.append("the ordered test could not be identified in the lab's catalog")
    payer = facts.payer
    if payer is None:
        reasons.append("the payer of this coverage is not known to this service")
    elif payer.coverage_rules is CoverageRules.NONE:
        reasons.append(f"no coverage policy of {payer.name} is known to this service")
    # A warning no certain code fix resolves (a diagnosis outside the policy, say) leaves
    # the answer open until someone acts on its card.
    if any(f.severity is Severity.WARNING and f.certain_fix is None for f in findings):
        reasons.append("a warning about this order needs a person's decision (see its card)")
    reasons += [f"{what} could not be read" for what in missing]
    return ("conditional" if reasons else "covered"), reasons


def assertion_id(hook_instance: str, coverage: str) -> str:
    """One id per coverage and hook call: every order billed to the same coverage in one call
    shares it (as Inferno checks), and a retried call gets the same one."""
    digest = hashlib.sha256(f"{hook_instance}|{coverage}".encode()).hexdigest()
    return f"moldx-{digest[:24]}"


def with_coverage_information(resource: dict[str, Any],
                              extension: dict[str, Any]) -> dict[str, Any]:
    """A copy of the resource carrying `extension` in place of any coverage-information it
    had for the same coverage; nothing else changes (CRD resp-37)."""
    coverage = _coverage_of(extension)
    kept = [e for e in resource.get("extension", [])
            if not (e.get("url") == COVERAGE_INFORMATION and _coverage_of(e) == coverage)]
    return {**resource, "extension": [*kept, extension]}  # copy on write: see cards.with_codes


def _coverage_of(extension: dict[str, Any]) -> str | None:
    return next((e.get("valueReference", {}).get("reference")
                 for e in extension.get("extension", []) if e.get("url") == "coverage"), None)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."
