"""What became of each order, from the audit trail: the warnings it had, which of them a later
call found gone (on a call that evaluated the rule), which a person overrode or accepted, and
the order's own test, price, CPT, date of service, payer and clinician.

An *order* is one `ServiceRequest/id` of one patient from one client (JWT issuer). A warning
is *fixed* only when a later call for the same order evaluated its rule and did not find it
(a call whose payer is unknown evaluates nothing); accepting a suggestion is not a fix until
then, and an override is never one.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from .db import CallOrderRow, FeedbackRow, FindingRow, HookCall, IssuedCardRow, Store, utc

WARNING = "warning"
# Rules that need no payer: on a call recorded before the orders were (no call_orders row),
# the only ones known to have been evaluated when the payer was unknown.
_NO_PAYER_RULES = frozenset({"unknown-test", "ambiguous-test", "invalid-diagnosis",
                             "unknown-payer"})

OrderKey = tuple[str | None, str | None, str]  # (issuer, patient, ServiceRequest/id)


@dataclass
class OrderHistory:
    key: OrderKey
    flagged: dict[str, datetime] = field(default_factory=dict)  # rule -> first warned at
    fixed: dict[str, datetime] = field(default_factory=dict)  # rule -> found gone at
    overridden: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)
    test_code: str | None = None
    price: Decimal | None = None  # the list price of the order's own test
    expected_payment: Decimal | None = None  # the catalog's expected payment for that test
    test_name: str | None = None
    cpt: str | None = None
    date_of_service: date | None = None
    payer: str | None = None
    requester: str | None = None
    first_seen: datetime | None = None

    @property
    def is_fixed(self) -> bool:
        return bool(self.flagged) and set(self.flagged) <= set(self.fixed)

    @property
    def fixed_at(self) -> datetime | None:
        return max(self.fixed.values()) if self.is_fixed else None


def histories(store: Store, since: datetime | None = None) -> dict[OrderKey, OrderHistory]:
    """Every order the store has a call for from `since` on, in the order first seen."""
    with store.session() as session:
        calls = session.execute(_since(
            select(HookCall.id, HookCall.issuer, HookCall.patient, HookCall.orders,
                   HookCall.received_at), HookCall.received_at, since)
            .order_by(HookCall.received_at, HookCall.id)).all()
        findings = session.execute(_since(
            select(FindingRow.call_id, FindingRow.order_ref, FindingRow.rule,
                   FindingRow.severity, FindingRow.list_price, FindingRow.test_code)
            .join(HookCall, HookCall.id == FindingRow.call_id),
            HookCall.received_at, since)).all()
        orders = session.execute(_since(
            select(CallOrderRow).join(HookCall, HookCall.id == CallOrderRow.call_id),
            HookCall.received_at, since)).scalars().all()
        feedback = session.execute(_since(
            select(FeedbackRow.card_uuid, FeedbackRow.service, FeedbackRow.outcome,
                   IssuedCardRow.rules, IssuedCardRow.orders.label("card_orders"),
                   IssuedCardRow.service.label("card_service"),
                   HookCall.issuer, HookCall.patient)
            .join(IssuedCardRow, IssuedCardRow.uuid == FeedbackRow.card_uuid)
            .join(HookCall, HookCall.id == IssuedCardRow.call_id),
            FeedbackRow.received_at, since)
            .order_by(FeedbackRow.outcome_at, FeedbackRow.id)).all()

    found_in: dict[int, list] = defaultdict(list)
    for finding in findings:
        found_in[finding.call_id].append(finding)
    seen: dict[tuple[int, str], CallOrderRow] = {(o.call_id, o.order_ref): o for o in orders}
    result: dict[OrderKey, OrderHistory] = {}
    for call in calls:
        at = utc(call.received_at)
        for order_ref in json.loads(call.orders):
            key = (call.issuer, call.patient, order_ref)
            history = result.setdefault(key, OrderHistory(key, first_seen=at))
            mine = [f for f in found_in.get(call.id, []) if f.order_ref == order_ref]
            warned = {f.rule for f in mine if f.severity == WARNING}
            facts = seen.get((call.id, order_ref))
            evaluated = set(json.loads(facts.evaluated)) if facts else _legacy(mine)
            for rule in list(history.flagged):
                if rule in evaluated and rule not in warned and rule not in history.fixed:
                    history.fixed[rule] = at
            for rule in warned:
                history.flagged.setdefault(rule, at)
                history.fixed.pop(rule, None)  # found again: not fixed after all
            _describe(history, facts, mine)
    # The latest feedback on each card; an override is never a fix, an acceptance not yet one.
    latest = {}
    for item in feedback:
        latest[item.card_uuid] = item
    for item in latest.values():
        if item.card_service != item.service:
            continue  # a card another service issued
        for order_ref in json.loads(item.card_orders):
            history = result.get((item.issuer, item.patient, order_ref))
            if history is None:
                continue
            rules = set(json.loads(item.rules)) & set(history.flagged)
            (history.accepted if item.outcome == "accepted" else history.overridden).update(
                rules)
    return result


def _legacy(findings: list) -> set[str]:
    """The rules a call recorded before 0003 evaluated: all of them unless it said the payer
    was unknown. (The rule ids are those of the findings' rules: enough to tell a later
    silence, since only a flagged rule is ever looked up.)"""
    if any(f.rule == "unknown-payer" for f in findings):
        return set(_NO_PAYER_RULES)
    return _EVERY_RULE


class _Every(set):
    """Every rule id: `in` is always true."""

    def __contains__(self, item: object) -> bool:
        return True


_EVERY_RULE = _Every()


def _describe(history: OrderHistory, facts: CallOrderRow | None, findings: list) -> None:
    """The order's own test and facts, from its latest call that knew them."""
    if facts is not None:
        if facts.test_code:
            history.test_code, history.price = facts.test_code, facts.list_price
            history.expected_payment = facts.expected_payment
            history.test_name = facts.test_name
        history.cpt = facts.cpt or history.cpt
        history.date_of_service = facts.date_of_service or history.date_of_service
        history.payer = facts.payer or history.payer
        history.requester = facts.requester or history.requester
    elif history.price is None:
        # Before 0003 the price came with the findings (the evidence's test).
        prices = [f.list_price for f in findings if f.list_price is not None]
        if prices:
            history.price = max(prices)
            history.test_code = next(f.test_code for f in findings if f.list_price)


def _since(query, column, since: datetime | None):
    return query.where(column >= since) if since else query
