"""Imported remittance lines netted and linked to the order-time decisions.

Netting: a reversal (CLP02 22) nets against the adjudication of the same claim line (payer,
CLP01, line) it reverses (the one with its CLP07, else the latest), and the next adjudication
of that line after it is the correction, netted in too: a take-back and a re-payment, never a
denial and never negative dollars. Any other adjudication of the line (a duplicate claim's
denial, say) stands on its own.

Linking: each line's order by REF*6R (the ServiceRequest id the lab put there), else by
patient, CPT and date of service; a claim's own adjustments (line 0) to the one order of its
claim's lines, or of a claim with no lines to the one order of that patient and date of
service. Then what the check had said of it (plugin/remittance.py Outcome). A denial that a
later adjudication of the same line, or of the same order's CPT, paid (or left to the
patient) is `superseded`: the corrected claim or the appeal settled it."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import select

from plugin.remittance import (
    DENIALS,
    PATIENT_GROUP,
    REVERSAL,
    ZERO,
    Action,
    Adjustment,
    Category,
    Outcome,
    action,
    categorize,
    deadline,
    explains,
)

from .db import RemittanceLineRow, RemittanceRow, Store, utc
from .history import OrderHistory, OrderKey


@dataclass(frozen=True)
class LinkedLine:
    """One claim line as the payer left it (its adjudications netted), and its order."""

    payer: str | None  # the payer's id (N1*PR N1-04)
    claim: str
    line_no: int  # 0: the claim's own adjustments
    status: str | None  # CLP02 of the latest adjudication
    payer_claim: str | None  # CLP07 of the latest adjudication
    control_number: str | None
    patient: str | None
    cpt: str | None
    date_of_service: date | None
    charge: Decimal
    paid: Decimal
    adjustments: tuple[Adjustment, ...]  # netted: what is left of each (group, CARC)
    remarks: tuple[str, ...]
    category: Category
    paid_on: date | None  # the remittance's date (BPR16)
    imported_at: datetime
    reversed: bool  # a reversal is netted in
    taken_back: Decimal  # what reversals took back of earlier payments
    keys: tuple[str, ...]  # the stored lines netted into this one
    sequence: int = 0  # its latest adjudication's place among everything imported
    order: OrderHistory | None = None
    outcome: Outcome | None = None  # None unless a denial
    original_paid: bool = False  # for a duplicate: the line it duplicates was paid
    superseded: bool = False  # a denial a later adjudication paid or left to the patient
    payer_name: str | None = None

    @property
    def settled(self) -> bool:
        """Whether the line is no lost money of its order: a duplicate of a paid line, or a
        denial settled later."""
        return self.original_paid or self.superseded

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(a.code for a in self.adjustments))

    @property
    def patient_share(self) -> Decimal:
        """What the patient owes: the PR adjustments."""
        return sum((a.amount or ZERO for a in self.adjustments if a.group == PATIENT_GROUP),
                   ZERO)

    @property
    def denied(self) -> Decimal:
        """Of a denied line, the charge less what the payer paid and the patient owes."""
        if self.category not in DENIALS:
            return ZERO
        return max(ZERO, self.charge - self.paid - self.patient_share)

    @property
    def action(self) -> Action | None:
        return action(self.category, self.original_paid)

    @property
    def deadline(self) -> date | None:
        return deadline(self.action, self.paid_on or self.imported_at.date(),
                        self.date_of_service)

    def as_json(self) -> dict:
        return {"claim": self.claim, "line": self.line_no, "cpt": self.cpt,
                "status": self.status, "payer_claim": self.payer_claim,
                "date_of_service": _iso(self.date_of_service),
                "charge": str(self.charge), "paid": str(self.paid), "denied": str(self.denied),
                "patient_responsibility": str(self.patient_share),
                "adjustments": list(self.codes), "remarks": list(self.remarks),
                "adjustment_amounts": [
                    {"group": a.group, "carc": a.carc,
                     "amount": None if a.amount is None else str(a.amount)}
                    for a in self.adjustments],
                "category": self.category.value, "reversed": self.reversed,
                "order": self.order.key[2] if self.order else None,
                "outcome": self.outcome.value if self.outcome else None}


def lines(store: Store, histories: dict[OrderKey, OrderHistory],
          keys: list[str] | None = None, since: datetime | None = None) -> list[LinkedLine]:
    """The stored lines netted and linked: those netting any of `keys` when given, those
    adjudicated (imported) from `since` on when given."""
    query = select(RemittanceLineRow, RemittanceRow.payer, RemittanceRow.payer_name,
                   RemittanceRow.imported_at).join(
        RemittanceRow, RemittanceRow.id == RemittanceLineRow.remittance_id)
    with store.session() as session:
        rows = [Adjudication(*row) for row in
                session.execute(query.order_by(RemittanceLineRow.id)).all()]
    wanted = set(keys or ())
    return [line for line in _linked(_netted(rows), histories)
            if (keys is None or wanted & set(line.keys))
            and (since is None or line.imported_at >= since)]


class Adjudication(NamedTuple):
    """A stored line with its remittance's payer and time of import."""

    row: RemittanceLineRow
    payer: str | None
    payer_name: str | None
    imported_at: datetime


@dataclass
class _Chain:
    entries: list[Adjudication] = field(default_factory=list)
    awaiting: bool = False  # reversed, and no correction yet
    sequence: int = 0


def _netted(adjudications: list[Adjudication]) -> list[LinkedLine]:
    """The adjudications (in the order imported) netted into lines: see the module's doc."""
    groups: dict[tuple, list[_Chain]] = defaultdict(list)
    for sequence, entry in enumerate(adjudications):
        row = entry.row
        chains = groups[(entry.payer, row.claim, row.control_number or f"#{row.line_no}")]
        if row.status == REVERSAL:
            target = next((c for c in reversed(chains) if not c.awaiting
                           and c.entries[0].row.payer_claim == row.payer_claim),
                          next((c for c in reversed(chains) if not c.awaiting), None))
            if target is None:
                target = _Chain()
                chains.append(target)
            target.entries.append(entry)
            target.awaiting, target.sequence = True, sequence
        elif chains and chains[-1].awaiting:
            chains[-1].entries.append(entry)
            chains[-1].awaiting, chains[-1].sequence = False, sequence
        else:
            chains.append(_Chain([entry], sequence=sequence))
    return [_net(chain) for chains in groups.values() for chain in chains]


def _net(chain: _Chain) -> LinkedLine:
    rows = [entry.row for entry in chain.entries]
    last, latest = rows[-1], chain.entries[-1]
    amounts: dict[tuple[str, str], Decimal | None] = {}
    for row in rows:
        for group, carc, amount in json.loads(row.adjustments):
            before = amounts.get((group, carc), ZERO)
            amounts[(group, carc)] = None if before is None or amount is None \
                else before + Decimal(amount)
    adjustments = tuple(Adjustment(g, c, a) for (g, c), a in amounts.items()
                        if a is None or a != 0)
    standing = [row for row in rows if row.status != REVERSAL] or [last]
    remarks = tuple(json.loads(standing[-1].rarcs))
    paid = sum((row.paid for row in rows), ZERO)
    category = Category.REVERSED if chain.awaiting else \
        categorize(adjustments, remarks, paid)
    return LinkedLine(
        payer=latest.payer, claim=last.claim, line_no=last.line_no, status=last.status,
        payer_claim=last.payer_claim, control_number=last.control_number,
        patient=last.patient, cpt=last.cpt, date_of_service=last.date_of_service,
        charge=sum((row.charge for row in rows), ZERO), paid=paid,
        adjustments=adjustments, remarks=remarks, category=category, paid_on=last.paid_on,
        imported_at=utc(latest.imported_at),
        reversed=len(rows) > 1 or last.status == REVERSAL,
        taken_back=-sum((row.paid for row in rows if row.status == REVERSAL), ZERO),
        keys=tuple(row.line_key for row in rows), sequence=chain.sequence,
        payer_name=latest.payer_name)


def _linked(netted: list[LinkedLine],
            histories: dict[OrderKey, OrderHistory]) -> list[LinkedLine]:
    by_ref: dict[str, list[OrderHistory]] = {}
    for history in histories.values():
        by_ref.setdefault(history.key[2], []).append(history)
    orders = [_order(line, by_ref, histories) for line in netted]
    orders = _claim_level_orders(netted, orders, histories)
    paid: set[tuple] = set()
    settled_at: dict[tuple, int] = {}  # the latest adjudication that paid or billed the patient
    for line, order in zip(netted, orders, strict=True):
        if line.category in (Category.PAID, Category.PATIENT):
            for key in _same_line(line, order):
                settled_at[key] = max(settled_at.get(key, -1), line.sequence)
                if line.category is Category.PAID:
                    paid.add(key)

    def superseded(line: LinkedLine, order: OrderHistory | None) -> bool:
        return line.category in DENIALS and any(
            settled_at.get(key, -1) > line.sequence for key in _same_line(line, order))

    return [replace(line, order=order,
                    outcome=outcome(order, line.category)
                    if line.category in DENIALS else None,
                    original_paid=line.category is Category.DUPLICATE and bool(
                        set(_same_line(line, order)) & paid),
                    superseded=superseded(line, order))
            for line, order in zip(netted, orders, strict=True)]


def _same_line(line: LinkedLine, order: OrderHistory | None) -> list[tuple]:
    """What makes two adjudications the same service: the claim line, or the order's CPT."""
    return [_line_of(line)] + ([(order.key, line.cpt)] if order is not None else [])


def _claim_level_orders(netted: list[LinkedLine], orders: list[OrderHistory | None],
                        histories: dict[OrderKey, OrderHistory]) -> list[OrderHistory | None]:
    """A claim's own adjustments belong to the one order of its claim's lines; of a claim
    with no lines, to the one order of its patient on its date of service."""
    of_claim: dict[tuple, set[int]] = defaultdict(set)
    known: dict[int, OrderHistory] = {}
    for line, order in zip(netted, orders, strict=True):
        if line.line_no and order is not None:
            of_claim[(line.payer, line.claim)].add(id(order))
            known[id(order)] = order
    linked = []
    for line, order in zip(netted, orders, strict=True):
        if order is None and line.line_no == 0:
            claim = (line.payer, line.claim)
            if claim in of_claim:
                mine = [known[i] for i in of_claim[claim]]
            else:
                mine = [h for h in histories.values() if line.patient
                        and h.key[1] == line.patient
                        and h.date_of_service == line.date_of_service]
            order = mine[0] if len(mine) == 1 else None
        linked.append(order)
    return linked


def _line_of(line: LinkedLine) -> tuple:
    return (line.payer, line.claim, line.control_number or f"#{line.line_no}")


def _order(line: LinkedLine, by_ref: dict[str, list[OrderHistory]],
           histories: dict[OrderKey, OrderHistory]) -> OrderHistory | None:
    if line.control_number:
        ref = line.control_number if "/" in line.control_number \
            else f"ServiceRequest/{line.control_number}"
        candidates = by_ref.get(ref, [])
        mine = [h for h in candidates if h.key[1] == line.patient] or candidates
        if mine:
            return max(mine, key=lambda h: h.first_seen)
    same = [h for h in histories.values()
            if line.patient and h.key[1] == line.patient and h.cpt == line.cpt
            and h.date_of_service == line.date_of_service]
    return max(same, key=lambda h: h.first_seen) if same else None


def outcome(order: OrderHistory | None, category: Category) -> Outcome:
    """What the order-time check had said of a line denied as `category`: a warning for
    another reason than the denial's does not count (a Z-code warning does not foresee a
    medical-necessity, duplicate or bundling denial)."""
    if order is None:
        return Outcome.NO_ORDER_FOUND
    warned = {rule for rule in order.flagged if explains(rule, category)}
    if not warned:
        return Outcome.NOT_WARNED
    if warned <= set(order.fixed):
        return Outcome.FIXED_STILL_DENIED
    if warned & order.overridden:
        return Outcome.WARNED_OVERRIDDEN
    return Outcome.WARNED_NOT_FIXED


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
