"""From FHIR orders, or claim lines, to findings: the one path the HTTP service, the claim
scrubber and the CLI share."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from plugin import fhir
from plugin.claim_checks import check_claims
from plugin.claim_lines import OUTSIDE_CATALOG, ClaimLine, claims_facts
from plugin.codes import CodeSystems
from plugin.findings import Finding, Severity
from plugin.knowledge import Knowledge
from plugin.orders import OrderFacts, facts_for
from plugin.rules import evaluate


class _Findings:
    """What an order's and a claim's decision have in common."""

    facts: tuple[OrderFacts, ...]
    findings: tuple[Finding, ...]

    def findings_for(self, order: str) -> list[Finding]:
        return [f for f in self.findings if f.order == order]

    @property
    def clear(self) -> bool:
        """No warning, and every payer check ran: what `check` and `scrub` exit 0 for."""
        return self.clear_of(None)

    def clear_of(self, orders: Collection[str] | None) -> bool:
        """`clear`, for `orders` alone (the lines of one claim); None: for every order."""
        def mine(order: str) -> bool:
            return orders is None or order in orders

        return not (any(f.severity is Severity.WARNING and mine(f.order)
                        for f in self.findings)
                    or any(f.payer_checks_skipped and mine(f.order) for f in self.facts))


@dataclass(frozen=True)
class Decision(_Findings):
    orders: dict[str, fhir.ServiceRequest]  # by `ServiceRequest/id`, in request order
    facts: tuple[OrderFacts, ...]
    findings: tuple[Finding, ...]
    knowledge_version: str


def decide(orders: Sequence[fhir.ServiceRequest], resources: Sequence[fhir.Resource],
           knowledge: Knowledge, systems: CodeSystems, today: date,
           rules: frozenset[str] | None = None, issuer: str | None = None) -> Decision:
    """Evaluate `orders` with every resource known for the request (drafts, prefetch), keeping
    the findings of `rules` (rule ids; None: every rule). `issuer`: the client that sent the
    orders, whose own order codes the lab's aliases map."""
    facts, patient = facts_for(orders, fhir.ResourceIndex(list(resources)), knowledge, systems,
                               today, issuer)
    return Decision(
        orders={f.order: sr for f, sr in zip(facts, orders, strict=True)},
        facts=facts,
        findings=tuple(f for f in evaluate(facts, patient, knowledge)
                       if rules is None or f.rule in rules),
        knowledge_version=knowledge.version,
    )


@dataclass(frozen=True)
class ClaimDecision(_Findings):
    facts: tuple[OrderFacts, ...]  # one per claim line, keyed by ClaimLine.key
    findings: tuple[Finding, ...]
    knowledge_version: str


def decide_claims(lines: Sequence[ClaimLine], knowledge: Knowledge,
                  earlier: Sequence[ClaimLine] = ()) -> ClaimDecision:
    """Evaluate the lines of one or more claims with the rules the orders get, one claim at a
    time (its lines are the drafts, the patient's other claims the earlier orders, with
    `earlier`: lines of claims seen before)."""
    facts: list[OrderFacts] = []
    findings: list[Finding] = []
    for claim_facts, patient in claims_facts(lines, knowledge, earlier):
        facts += claim_facts
        # A line the lab's catalog does not speak for gets only the claim edit saying why.
        findings += evaluate([f for f in claim_facts if f.doubt not in OUTSIDE_CATALOG],
                             patient, knowledge)
    findings += check_claims(lines, facts, knowledge)
    return ClaimDecision(tuple(facts), tuple(findings), knowledge.version)
