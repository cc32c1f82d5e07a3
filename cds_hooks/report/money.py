"""The money of the report: per order its own test's price, still at risk or fixed; per
remittance line what was denied, by category and by what the order check had said; and the
four figures a billing manager reads (still at risk, fixed, overridden then denied, missed)
by test, payer and ordering clinician, and by week."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from cds_hooks.store.history import OrderHistory
from cds_hooks.store.remittances import LinkedLine
from plugin.remittance import DENIALS, Denial, Outcome

FIGURES = ("at_risk", "fixed", "overridden_denied", "missed")
ZERO = Decimal("0")


def remittance_figures(lines: Iterable[LinkedLine]) -> dict:
    """Lines and dollars denied by category, and the order-time outcome of each denial."""
    lines = list(lines)
    categories: dict[str, dict] = {c.value: {"lines": 0, "amount": ZERO} for c in Denial
                                   if c in DENIALS}
    outcomes: dict[str, dict] = {o.value: {"lines": 0, "amount": ZERO} for o in Outcome}
    for line in lines:
        if line.outcome is None:
            continue
        for bucket in (categories[line.category.value], outcomes[line.outcome.value]):
            bucket["lines"] += 1
            bucket["amount"] += line.denied
    return {"lines": len(lines),
            "paid": sum((line.paid for line in lines), ZERO),
            "denied": sum((line.denied for line in lines), ZERO),
            "categories": categories, "outcomes": outcomes}


def breakdown(flagged: Iterable[OrderHistory], lines: Iterable[LinkedLine]) -> dict:
    """The four figures by test, payer, clinician and ISO week (YYYY-Www)."""
    tables: dict[str, dict[str, dict[str, Decimal]]] = {
        name: defaultdict(lambda: dict.fromkeys(FIGURES, ZERO))
        for name in ("test", "payer", "clinician", "week")}

    def add(order: OrderHistory | None, figure: str, amount: Decimal,
            when: datetime | date | None) -> None:
        for name, value in (("test", order.test_code if order else None),
                            ("payer", order.payer if order else None),
                            ("clinician", order.requester if order else None),
                            ("week", _week(when))):
            tables[name][value or "(unknown)"][figure] += amount

    for order in flagged:
        price = order.price or ZERO
        if order.is_fixed:
            add(order, "fixed", price, order.fixed_at)
        else:
            add(order, "at_risk", price, min(order.flagged.values()))
    for line in lines:
        if line.outcome is Outcome.WARNED_OVERRIDDEN:
            add(line.order, "overridden_denied", line.denied, line.paid_on)
        elif line.outcome is Outcome.NOT_WARNED:
            add(line.order, "missed", line.denied, line.paid_on)
    return {name: dict(sorted(rows.items())) for name, rows in tables.items()}


def _week(when: datetime | date | None) -> str | None:
    if when is None:
        return None
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"
