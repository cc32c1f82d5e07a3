"""The audit records of hook calls and feedback: plain JSON-ready dicts, built on the request
thread (cheaply) and written to the store later by the Recorder.

Only resource ids of the patient and the orders are kept; never a name, another identifier, a
resource body or an access token.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from plugin.decision import Decision
from plugin.rules import evaluated

from .models import Action, HookResponse


def call_record(*, service: str, hook: str, hook_instance: str, issuer: str | None,
                patient: str | None, decision: Decision, response: HookResponse,
                ms: float, rules: frozenset[str] | None = None) -> dict[str, Any]:
    """`rules`: the rule ids the service runs (None: all), for what each order had
    evaluated."""
    cards = []
    card_of: dict[tuple[str, str], str] = {}  # (order, rule) -> the card that showed it
    for card in response.cards:
        orders = [ref["reference"] for ref in (card.extension or {}).get(
            "davinci-crd.associated-resource", [])]
        for order in orders:
            for rule in card._rules:
                card_of.setdefault((order, rule), card.uuid)
        cards.append({
            "uuid": card.uuid, "orders": orders, "rules": list(card._rules),
            "indicator": card.indicator, "type": card.source.topic.code,
            "summary": card.summary,
            "suggestions": [{"uuid": s.uuid, "label": s.label,
                             "actions": [a.description for a in s.actions or ()]}
                            for s in card.suggestions or ()]})
    rows = {facts.order: facts.row for facts in decision.facts}
    findings = []
    for finding in decision.findings:
        row = finding.evidence.row or rows.get(finding.order)
        findings.append({
            "order": finding.order, "rule": finding.rule, "severity": finding.severity.value,
            "test": row.test_code if row else None,
            "list_price": str(row.list_price_usd) if row and row.list_price_usd else None,
            "card": card_of.get((finding.order, finding.rule))})
    return {"kind": "call", "id": str(uuid.uuid4()), "at": _now(), "service": service,
            "hook": hook, "hook_instance": hook_instance, "issuer": issuer, "patient": patient,
            "orders": list(decision.orders), "knowledge_version": decision.knowledge_version,
            "ms": ms, "findings": findings, "cards": cards,
            "order_facts": order_facts(decision, rules),
            "actions": [_action(a) for a in response.systemActions or ()]}


def order_facts(decision: Decision, rules: frozenset[str] | None) -> list[dict[str, Any]]:
    """Each order as the service saw it: its own test, its name, list price and expected
    payment, its CPT (the order's, else
    the catalog's), date of service, payer, ordering clinician and the rules evaluated; and,
    when it is or may be one of the lab's tests, the EHR's own codes on it (an imaging or
    medication order's codes are none of the lab's business)."""
    found = []
    for facts in decision.facts:
        row = facts.row
        requester = (decision.orders[facts.order].raw.get("requester") or {}) \
            if facts.order in decision.orders else {}
        evaluated_here = evaluated(facts) if rules is None else evaluated(facts) & rules
        found.append({
            "order": facts.order, "test": row.test_code if row else None,
            "list_price": str(row.list_price_usd) if row and row.list_price_usd else None,
            "expected_payment": str(row.expected_payment_usd)
            if row and row.expected_payment_usd is not None else None,
            "test_name": row.test_name if row else None,
            "cpt": (facts.cpts[0] if facts.cpts else row.cpt if row else None),
            "date": facts.date_of_service.isoformat(),
            "payer": facts.payer.name if facts.payer else None,
            "requester": requester.get("reference") if isinstance(requester, dict) else None,
            "evaluated": sorted(evaluated_here),
            "codes": [{"system": c.system, "code": c.code, "display": c.display,
                       "named": c.named} for c in facts.ehr_codes]
            if facts.names_a_molecular_test else []})
    return found


def feedback_record(*, service: str, issuer: str | None,
                    items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """`items`: card, outcome, accepted_suggestions, override_system, override_code,
    override_comment, outcome_at (ISO 8601 in UTC)."""
    return {"kind": "feedback", "id": str(uuid.uuid4()), "at": _now(), "service": service,
            "issuer": issuer, "items": list(items)}


def _action(action: Action) -> dict[str, Any]:
    resource = action.resource or {}
    reference = action.resourceId or (f"{resource.get('resourceType')}/{resource.get('id')}"
                                      if resource else None)
    return {"type": action.type, "resource": reference, "description": action.description}


def _now() -> str:
    return datetime.now(UTC).isoformat()
