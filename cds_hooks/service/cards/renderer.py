"""Findings as CDS Hooks cards, suggestions and system actions, worded for clinicians.

This module holds the response and the envelope every card shares; each family of findings
has the wording of its cards in a module of its own (codes, coverage, panels, gaps).

All code findings about one order (missing, mismatched, stale) become one card with one
suggestion: an update action carries the whole resource, so two cards each updating the same
order would undo each other. On order-sign and order-dispatch the same update goes out as a
system action for the LIS when every fix in it is certain, and then the card is not shown:
system actions are "not presented to the user" (CDS Hooks 2.0), and a clinician interrupted
for what the LIS does anyway learns to dismiss the cards that matter. A client whose EHR does
not apply system actions says so (`actions_applied` false) and gets the card as well. For the
same reason the Da Vinci CRD coverage-information extension rides in that one update (and in
every suggestion's resource, so that applying a suggestion after the system action keeps it):
one update per order, always.

Every card then gets the same envelope: a uuid derived from the hook call (a retried call
gets the same ones, so the store records each card once), source.topic, the order it is about,
and override reasons on warnings.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache

from cds_hooks.service.crd import (
    Configuration,
    card_topic,
    coverage_information,
    dependencies,
    with_coverage_information,
)
from cds_hooks.service.inert import plain_text
from cds_hooks.service.models import Action, Card, Coding, HookResponse, Source
from cds_hooks.service.prefetch import Gap
from plugin.causes import Problem, problems
from plugin.codes import CodeSystems
from plugin.decision import Decision
from plugin.findings import Finding
from plugin.knowledge import Knowledge
from plugin.orders import OrderFacts
from plugin.overrides import OVERRIDE_REASONS, OVERRIDE_SYSTEM, override_reasons_for_findings
from plugin.rules import article_cpt, diagnosis_coverage, not_payable, policy_unavailable

from .codes import CARDS as CODE_CARDS
from .codes import CodeFix, code_fix, coding_card, is_code_fix
from .coverage import CARDS as COVERAGE_CARDS
from .coverage import CONSEQUENCE_SUGGESTIONS
from .ehr_orders import CARDS as EHR_ORDER_CARDS
from .ehr_orders import no_coverage_card
from .gaps import CARDS as GAP_CARDS
from .gaps import gaps_card
from .panels import CARDS as PANEL_CARDS
from .parts import CardBuilder, detail_parts, detail_text, reference


@dataclass(frozen=True)
class Renderer:
    """What the cards need besides the decision."""

    knowledge: Knowledge
    systems: CodeSystems
    source_label: str
    system_actions: bool  # order-sign, order-dispatch: the LIS may apply certain fixes
    hook_instance: str = ""  # seeds the card and suggestion uuids
    config: Configuration = field(default_factory=lambda: Configuration.from_extension(None))
    today: date | None = None  # the date coverage assertions are made; None: no assertions
    legacy_system_actions: bool = False  # also in extension.systemActions (the sandbox)
    actions_applied: bool = True  # the client applies system actions: no card for those fixes

    def response(self, decision: Decision, gaps: Sequence[Gap] = ()) -> HookResponse:
        cards: list[Card] = []
        actions: list[Action] = []
        related = dependencies(decision.findings)
        for facts in decision.facts:
            resource = decision.orders[facts.order].raw
            findings = decision.findings_for(facts.order)
            coverage = self._coverage_information(facts, findings, gaps,
                                                  related.get(facts.order, ()))
            if coverage:
                resource = with_coverage_information(resource, coverage)
            coding = [f for f in findings if is_code_fix(f)]
            fix = code_fix(self, resource, coding) if coding else None
            certain = fix if fix and fix.certain else None
            if fix and not (certain and self.system_actions and self.actions_applied):
                cards.append(self._envelope(coding_card(self, facts, coding, fix),
                                            len(cards), facts.order, coding))
            # The other cards' suggestions start from the order with its certain code fix,
            # which the LIS applies from the system action: taking one keeps the codes.
            base = certain.resource if certain else resource
            for problem in problems([f for f in findings if not is_code_fix(f)]):
                cards.append(self._envelope(self._problem_card(facts, base, problem), len(cards),
                                            facts.order, list(problem.findings),
                                            answered=[problem.root]))
            if self.system_actions and (certain or coverage):
                actions.append(_system_action(certain, resource, coverage is not None))
        if gaps:
            cards.append(self._envelope(gaps_card(gaps), len(cards), None, []))
        if uncovered := no_coverage_card(decision, gaps):
            cards.append(self._envelope(uncovered, len(cards), None, []))
        return self._assemble(cards, actions)

    def _coverage_information(self, facts: OrderFacts, findings: list[Finding],
                              gaps: Sequence[Gap], related: Sequence[str]) -> dict | None:
        if not (self.system_actions and self.today and self.config.allows("coverage-info")):
            return None
        return coverage_information(facts, findings, missing=[g.about for g in gaps],
                                    hook_instance=self.hook_instance, today=self.today,
                                    systems=self.systems, version=self.config.version,
                                    dependencies=related)

    def _assemble(self, cards: list[Card], actions: list[Action]) -> HookResponse:
        """The cards the call's configuration allows, warnings first, up to its limit."""
        allowed = [c for c in cards if self.config.allows(c.source.topic.code)]
        allowed.sort(key=lambda c: _URGENCY.index(c.indicator))
        allowed = _said_once(allowed[:self.config.max_cards])
        mirrored = {"systemActions": [a.model_dump(mode="json", exclude_none=True)
                                      for a in actions]} \
            if self.legacy_system_actions and actions else None
        return HookResponse(cards=allowed,
                            systemActions=actions or None, extension=mirrored)

    # -- the envelope of every card ----------------------------------------------------------

    def _envelope(self, card: Card, index: int, order: str | None,
                  findings: list[Finding], answered: list[Finding] | None = None) -> Card:
        """`answered`: the findings the card's words are about (its override reasons fit
        them), when it also carries consequences of theirs."""
        rules = [f.rule for f in findings]
        card_type = "coverage-info" if set(rules) & _COVERAGE_RULES else "claim"
        card_uuid = _derived_uuid(self.hook_instance, str(index), order or "", *rules)
        # Summaries and labels are plain text, and may name what the request carried.
        suggestions = [s.model_copy(update={"uuid": _derived_uuid(card_uuid, str(i)),
                                            "label": plain_text(s.label)})
                       for i, s in enumerate(card.suggestions or ())]
        reasons = _override_reasons(answered or findings) if card.indicator != "info" else []
        extension = {**(card.extension or {}),
                     **({"davinci-crd.associated-resource": [{"reference": order}]}
                        if order else {})}
        enveloped = card.model_copy(update={
            "uuid": card_uuid,
            "summary": plain_text(card.summary),
            "detail": card.detail or None,
            "source": Source(label=self.source_label, url=card.source.url,
                             topic=_topic(self.config.version, card_type)),
            "suggestions": suggestions or None,
            "selectionBehavior": card.selectionBehavior if suggestions else None,
            "overrideReasons": reasons or None,
            "extension": extension or None,
        })
        enveloped._rules = tuple(rules)
        return enveloped

    def _problem_card(self, facts: OrderFacts, resource: dict, problem: Problem) -> Card:
        """The root's card, offering also what its consequences offer (one problem may be
        resolved either way: a billable code, or a covered diagnosis of the problem list)."""
        builder = _CARDS.get(problem.root.rule)
        if builder is None:
            raise ValueError(f"no card for rule {problem.root.rule}")
        card = builder(self, facts, resource, problem.root)
        extra = [s for f in problem.consequences if f.rule in CONSEQUENCE_SUGGESTIONS
                 for s in CONSEQUENCE_SUGGESTIONS[f.rule](self, resource, f)]
        if not extra:
            return card
        return card.model_copy(update={"suggestions": [*(card.suggestions or ()), *extra],
                                       "selectionBehavior": "at-most-one"})


# The card of each rule that is not a code fix, from the module of its family.
_CARDS: dict[str, CardBuilder] = {**CODE_CARDS, **COVERAGE_CARDS, **PANEL_CARDS, **GAP_CARDS,
                                  **EHR_ORDER_CARDS}


_URGENCY = ("critical", "warning", "info")


# Cards about whether the payer covers the test (the rest are about the claim's codes).
_COVERAGE_RULES = {not_payable.RULE_ID, diagnosis_coverage.RULE_ID, policy_unavailable.RULE_ID,
                   article_cpt.RULE_ID}


def _said_once(cards: list[Card]) -> list[Card]:
    """The cards without a paragraph or billing line an earlier card of the answer already
    has (the date of service, the amount at risk, the catalog line of an order with two
    cards): a reader skims each once."""
    seen: set[str] = set()
    kept = []
    for card in cards:
        clinician, billing = detail_parts(card.detail or "")
        clinician = [p for p in clinician if p not in seen]
        billing = [line for line in billing if line not in seen]
        seen.update(clinician, billing)
        detail = detail_text(clinician, billing) or None
        kept.append(card if detail == card.detail else
                    card.model_copy(update={"detail": detail}))
    return kept


def _derived_uuid(*parts: str) -> str:
    """A version-4-shaped UUID from a hash of `parts`: unique per hook call (it includes the
    hookInstance) yet the same when the same call is retried."""
    digest = hashlib.sha256("|".join(parts).encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def _system_action(fix: CodeFix | None, resource: dict, with_coverage: bool) -> Action:
    """The one system action of an order: its certain code fix, or else an update that adds
    only the coverage information."""
    if fix is None:
        return Action(type="update", resource=resource,
                      description=f"{reference(resource)}: record coverage information")
    return fix.update("; record coverage information" if with_coverage else "")


def _override_reasons(findings: Iterable[Finding]) -> list[Coding]:
    return [_OVERRIDE_CODINGS[code] for code in override_reasons_for_findings(findings)]


# Built once: a response's models are only serialized, never changed, so cards share them.
_OVERRIDE_CODINGS = {code: Coding(system=OVERRIDE_SYSTEM, code=code, display=display)
                     for code, display in OVERRIDE_REASONS.items()}


@cache
def _topic(version: str, card_type: str) -> Coding:
    """A card's source.topic, one per CRD version and card type (two of each)."""
    return Coding(**card_topic(version, card_type))
