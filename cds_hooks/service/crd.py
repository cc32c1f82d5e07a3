"""Da Vinci CRD: the coverage-information extension, card types and configuration options.

A call that names no CRD version (the Inferno test kit, CRD 2.0.1 clients) gets the subset of
coverage-information that validates under both CRD 2.0.1 and 2.2: `covered` is covered,
not-covered or conditional; `pa-needed` whenever covered is not not-covered; `info-needed` OTH
with a `reason` text whenever something is conditional; `dependency` on orders that are one
service; no `contact`, `expiry-date`, `detail`, `indeterminate` or `detail-code`. A call asking
for CRD 2.2 (`davinci-crd.requestedVersion`) gets `indeterminate` where the answer rests on a
failure (reason `technical`) or on a payer policy the lab does not hold, and `detail-code` where
the order's code fits several of the lab's tests. Every answer but `covered` carries a reason.
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
from plugin.rules import not_payable, parallel_orders, policy_unavailable
from plugin.rules.scope import checks_diagnoses

from .cards.parts import DEX_STATUS_WORDS

COVERAGE_INFORMATION = ("http://hl7.org/fhir/us/davinci-crd/StructureDefinition/"
                        "ext-coverage-information")
# The code system of CRD's coverage assertion reasons (`technical` since STU 2.2).
REASON_SYSTEM = "http://hl7.org/fhir/us/davinci-crd/CodeSystem/temp"
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


def card_topic(version: str, card_type: str) -> dict[str, str]:
    """A card's source.topic in the card-type code system of CRD `version`."""
    return {"system": _TOPIC_SYSTEMS[version], "code": card_type,
            "display": CARD_TYPES[card_type]}


def coverage_information(facts: OrderFacts, findings: Iterable[Finding], *,
                         missing: Iterable[str], hook_instance: str, today: date,
                         systems: CodeSystems, version: str = "2.0.1",
                         dependencies: Iterable[str] = ()) -> dict[str, Any] | None:
    """The coverage-information extension for one order, or None when it has no Coverage or
    is not, and may not be, a test of the lab (an imaging order, an empty first order, a
    code the catalog does not have).
    `missing` names data that could not be read; `dependencies` the other orders of the
    request that make one service with this one; `version` the CRD version the call asked for
    (2.2 words indeterminate and detail-code, which 2.0.1 does not have)."""
    if facts.coverage is None or facts.coverage.coverage is None or not (
            facts.row or facts.candidates):
        return None  # assert nothing of an order that is not, or may not be, the lab's test
    coverage = facts.coverage.coverage
    answer = _assess(facts, list(findings), list(missing))
    current = version != "2.0.1"
    covered = answer.covered if current or answer.covered != "indeterminate" else "conditional"
    parts: list[dict[str, Any]] = [
        {"url": "coverage", "valueReference": {"reference": coverage}},
        {"url": "covered", "valueCode": covered}]
    reasons = [Reason(text) for text in answer.reasons]
    if answer.technical:
        reasons.insert(0, Reason(answer.technical, technical=current))
    pa_needed = None
    if covered != "not-covered":
        # Medicare Part B asks no prior authorization for laboratory tests; of other payers
        # we know nothing about it.
        medicare = facts.payer is not None and facts.payer.program == "medicare"
        pa_needed = "no-auth" if medicare else "conditional"
        if not medicare:
            reasons.append(Reason("the prior authorization rules of this payer are not known "
                                  "to this service"))
        parts.append({"url": "pa-needed", "valueCode": pa_needed})
    if "conditional" in (covered, pa_needed):
        # CRD 2.2 names a code that fits several tests "detail-code"; 2.0.1 has only OTH.
        needed = ["detail-code"] if current and answer.too_generic else []
        if pa_needed == "conditional" or not needed or len(answer.reasons) > 1:
            needed.append("OTH")
        parts += [{"url": "info-needed", "valueCode": code} for code in needed]
    if facts.row is not None:
        parts += [{"url": "billingCode", "valueCoding": {"system": s, "code": c}}
                  for s, c in _billing_codes(facts, systems)]
    parts += [reason.extension() for reason in reasons]
    parts += [{"url": "dependency", "valueReference": {"reference": order}}
              for order in dependencies]
    return _extension(coverage, parts, hook_instance, today)


def technical_failure(coverage: str, *, hook_instance: str, today: date,
                      version: str = "2.0.1") -> dict[str, Any]:
    """The coverage-information extension of an order the service could not check (it failed
    inside): CRD 2.2 asks for `indeterminate` with reason `technical` rather than no answer;
    a 2.0.1 call gets `conditional` with the same reason in words."""
    current = version != "2.0.1"
    reason = Reason("this service could not complete its checks of the order (an internal "
                    "error); call again, or ask the lab", technical=current)
    parts = [{"url": "coverage", "valueReference": {"reference": coverage}},
             {"url": "covered", "valueCode": "indeterminate" if current else "conditional"},
             {"url": "pa-needed", "valueCode": "conditional"},
             {"url": "info-needed", "valueCode": "OTH"}, reason.extension()]
    return _extension(coverage, parts, hook_instance, today)


def _extension(coverage: str, parts: list[dict[str, Any]], hook_instance: str,
               today: date) -> dict[str, Any]:
    parts = [*parts, {"url": "date", "valueDate": today.isoformat()},
             {"url": "coverage-assertion-id",
              "valueString": assertion_id(hook_instance, coverage)}]
    return {"url": COVERAGE_INFORMATION, "extension": parts}


def _billing_codes(facts: OrderFacts, systems: CodeSystems) -> list[tuple[str, str]]:
    """The CPT of the test, and its Z-code when the payer requires one on the date of service
    and the test is known for sure (a Z-code inferred from a CPT alone is a guess)."""
    row, payer = facts.row, facts.payer
    codes = [(CPT_SYSTEM, row.cpt)] if row.cpt else []
    if facts.identified_for_sure and payer is not None and \
            payer.requires_zcode_on(facts.date_of_service):
        codes.append((systems.zcode, row.zcode))
    return codes


@dataclass(frozen=True)
class Reason:
    """A `reason` of the assertion: words, and the CRD code `technical` when the answer rests
    on a failure (CRD 2.2 cards.md: indeterminate with reason technical)."""

    text: str
    technical: bool = False

    def extension(self) -> dict[str, Any]:
        concept: dict[str, Any] = {"text": _sentence(self.text)}
        if self.technical:
            concept["coding"] = [{"system": REASON_SYSTEM, "code": "technical"}]
        return {"url": "reason", "valueCodeableConcept": concept}


@dataclass(frozen=True)
class Assessment:
    covered: str  # covered, not-covered, conditional or indeterminate
    reasons: list[str]
    technical: str | None = None  # what could not be read or done, when the answer rests on it
    too_generic: bool = False  # the order's code fits several of the lab's tests


def _assess(facts: OrderFacts, findings: list[Finding], missing: list[str]) -> Assessment:
    """What the answer is, and what it rests on. `covered` only where the payer's coverage
    policy for the date of service was read and met; where the knowledge does not hold that
    policy, indeterminate, with the reason in words."""
    refused = [f for f in findings if f.rule == not_payable.RULE_ID]
    if refused and facts.row is not None:
        status = DEX_STATUS_WORDS[facts.row.dex_status]
        return Assessment("not-covered", [f"the test's DEX status ({status}) means the payer "
                                          "will not pay it"])
    technical = " and ".join(f"{what} could not be read" for what in missing) or None
    unknown = _policy_not_held(facts, findings)
    open_ = []
    if facts.row is None:
        open_.append(f"the order's code fits {len(facts.candidates)} of the lab's tests; the "
                     "test to be performed decides")
    # A warning no certain code fix resolves (a diagnosis outside the policy, say) leaves
    # the answer open until someone acts on its card.
    if any(f.severity is Severity.WARNING and f.certain_fix is None for f in findings):
        open_.append("a warning about this order needs a person's decision (see its card)")
    covered = ("indeterminate" if technical or unknown else
               "conditional" if open_ else "covered")
    return Assessment(covered, [*([unknown] if unknown else []), *open_], technical,
                      too_generic=len(facts.candidates) > 1)


def _policy_not_held(facts: OrderFacts, findings: list[Finding]) -> str | None:
    """Why the payer's coverage policy for the test on the date of service was not read, if it
    was not: the payer is not known, follows no policy the lab holds, the test names no
    article, or the article has no version that governs the date."""
    payer = facts.payer
    if payer is None:
        return "the payer of this coverage is not known to this service"
    if payer.coverage_rules is not CoverageRules.MOLDX:
        return f"no coverage policy of {payer.name} is known to this service"
    if facts.row is not None and not checks_diagnoses(facts):
        return "the lab's catalog names no coverage article for this test"
    if any(f.rule == policy_unavailable.RULE_ID for f in findings):
        return "no version of the test's coverage article in force on the date of service " \
               "is known to this service"
    return None


def dependencies(findings: Iterable[Finding]) -> dict[str, tuple[str, ...]]:
    """For each order that makes one service with other drafts of the request (a panel and
    MSI, DNA and RNA, stacked single genes), the other orders: the CRD `dependency` of its
    coverage information."""
    groups: dict[str, set[str]] = {}
    for finding in findings:
        if finding.rule != parallel_orders.RULE_ID:
            continue
        group = {finding.order, *(o.order for o in finding.evidence.others if o.draft)}
        for order in group:
            groups.setdefault(order, set()).update(group - {order})
    return {order: tuple(sorted(others)) for order, others in groups.items()}


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
