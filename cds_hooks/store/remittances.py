"""Imported remittance lines linked to the order-time decisions: each denied line's order (by
REF*6R, the ServiceRequest id the lab put there, else by patient, CPT and date of service)
and what the check had said of it (plugin/remittance.py Outcome)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select

from plugin.remittance import Denial, Outcome, explains

from .db import RemittanceLineRow, RemittanceRow, Store
from .history import OrderHistory, OrderKey


@dataclass(frozen=True)
class LinkedLine:
    claim: str
    line_no: int
    control_number: str | None
    patient: str | None
    cpt: str | None
    date_of_service: date | None
    charge: Decimal
    paid: Decimal
    codes: tuple[str, ...]  # GROUP-CARC
    remarks: tuple[str, ...]
    category: Denial
    paid_on: date | None
    order: OrderHistory | None
    outcome: Outcome | None  # None for a paid line

    @property
    def denied(self) -> Decimal:
        return Decimal(0) if self.category is Denial.PAID else self.charge - self.paid

    def as_json(self) -> dict:
        return {"claim": self.claim, "line": self.line_no, "cpt": self.cpt,
                "date_of_service": self.date_of_service.isoformat()
                if self.date_of_service else None,
                "charge": str(self.charge), "paid": str(self.paid), "denied": str(self.denied),
                "adjustments": list(self.codes), "remarks": list(self.remarks),
                "category": self.category.value,
                "order": self.order.key[2] if self.order else None,
                "outcome": self.outcome.value if self.outcome else None}


def lines(store: Store, histories: dict[OrderKey, OrderHistory],
          digest: str | None = None, since: datetime | None = None) -> list[LinkedLine]:
    """The stored remittance lines (of one file when `digest` is given), each linked."""
    query = select(RemittanceLineRow).join(
        RemittanceRow, RemittanceRow.id == RemittanceLineRow.remittance_id)
    if digest:
        query = query.where(RemittanceRow.digest == digest)
    if since:
        query = query.where(RemittanceRow.imported_at >= since)
    with store.session() as session:
        rows = session.scalars(query.order_by(RemittanceLineRow.id)).all()
    by_ref: dict[str, list[OrderHistory]] = {}
    for history in histories.values():
        by_ref.setdefault(history.key[2], []).append(history)
    return [_linked(row, by_ref, histories) for row in rows]


def _linked(row: RemittanceLineRow, by_ref: dict[str, list[OrderHistory]],
            histories: dict[OrderKey, OrderHistory]) -> LinkedLine:
    category = Denial(row.category)
    order = _order(row, by_ref, histories)
    return LinkedLine(
        claim=row.claim, line_no=row.line_no, control_number=row.control_number,
        patient=row.patient, cpt=row.cpt, date_of_service=row.date_of_service,
        charge=row.charge, paid=row.paid, codes=tuple(json.loads(row.carcs)),
        remarks=tuple(json.loads(row.rarcs)), category=category, paid_on=row.paid_on,
        order=order, outcome=None if category is Denial.PAID else outcome(order, category))


def _order(row: RemittanceLineRow, by_ref: dict[str, list[OrderHistory]],
           histories: dict[OrderKey, OrderHistory]) -> OrderHistory | None:
    if row.control_number:
        ref = row.control_number if "/" in row.control_number \
            else f"ServiceRequest/{row.control_number}"
        candidates = by_ref.get(ref, [])
        mine = [h for h in candidates if h.key[1] == row.patient] or candidates
        if mine:
            return max(mine, key=lambda h: h.first_seen)
    same = [h for h in histories.values()
            if row.patient and h.key[1] == row.patient and h.cpt == row.cpt
            and h.date_of_service == row.date_of_service]
    return max(same, key=lambda h: h.first_seen) if same else None


def outcome(order: OrderHistory | None, denial: Denial) -> Outcome:
    """What the order-time check had said of a line denied as `denial`: a warning for another
    reason than the denial's does not count (a Z-code warning does not foresee a
    medical-necessity denial)."""
    if order is None:
        return Outcome.NO_ORDER_FOUND
    warned = {rule for rule in order.flagged if explains(rule, denial)}
    if not warned:
        return Outcome.NOT_WARNED
    if warned <= set(order.fixed):
        return Outcome.FIXED_STILL_DENIED
    if warned & order.overridden:
        return Outcome.WARNED_OVERRIDDEN
    return Outcome.WARNED_NOT_FIXED
