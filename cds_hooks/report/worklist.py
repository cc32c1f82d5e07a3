"""The Monday worklist: each denied, reversed or patient-owed line with what to do, by when,
the order-time decision it links to, its claim and its amount; the nearest deadline first
(plugin/remittance.py says which action and which deadline). A denial that a later
adjudication settled is off the list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from cds_hooks.store.remittances import LinkedLine
from plugin.remittance import DENIALS, Category, basis, explains

ON_THE_LIST = DENIALS | {Category.REVERSED, Category.PATIENT}
COLUMNS = ("deadline", "days_left", "action", "claim", "line", "payer", "cpt", "date_of_service",
           "category", "codes", "billed_charge", "amount", "order", "decision", "rules")


@dataclass(frozen=True)
class Item:
    line: LinkedLine
    today: date

    @property
    def amount(self) -> Decimal:
        """What is at stake: denied dollars, what the patient owes, or what was taken back."""
        if self.line.category is Category.PATIENT:
            return self.line.patient_share
        if self.line.category is Category.REVERSED:
            return self.line.taken_back
        return self.line.denied

    @property
    def rules(self) -> list[str]:
        """The order's warnings that could explain the line."""
        order = self.line.order
        return sorted(r for r in order.flagged if explains(r, self.line.category)) \
            if order else []

    def as_json(self) -> dict:
        line = self.line
        return {
            "deadline": _iso(line.deadline), "deadline_rule": basis(line.action),
            "days_left": (line.deadline - self.today).days if line.deadline else None,
            "action": line.action.value if line.action else None,
            "claim": line.claim, "line": line.line_no, "payer": line.payer,
            "payer_name": line.payer_name,
            "payer_claim": line.payer_claim, "cpt": line.cpt,
            "date_of_service": _iso(line.date_of_service),
            "remitted_on": _iso(line.paid_on or line.imported_at.date()),
            "category": line.category.value, "codes": list(line.codes),
            "remarks": list(line.remarks), "billed_charge": f"{line.charge:.2f}",
            "amount": f"{self.amount:.2f}",
            "order": line.order.key[2] if line.order else None,
            "decision": line.outcome.value if line.outcome else None,
            "rules": self.rules}

    def row(self) -> tuple:
        data = self.as_json()
        return tuple(" ".join(data[c]) if isinstance(data[c], list) else data[c]
                     for c in COLUMNS)


def worklist(lines: Iterable[LinkedLine], today: date) -> list[Item]:
    """The lines to act on, the nearest deadline first (those without one last); `days_left`
    counts from `today` (negative: past)."""
    items = [Item(line, today) for line in lines
             if line.category in ON_THE_LIST and not line.superseded]
    return sorted(items, key=lambda item: (item.line.deadline or date.max, item.line.claim,
                                           item.line.line_no))


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
