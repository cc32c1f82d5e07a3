"""The money of the report, as a billing manager reads it.

Each order the service flagged, and each order a remittance answered, sits in exactly one
bucket with one amount (`place`):

- open: flagged, and nothing since (no fix, no remittance): its expected payment, else the
  list price of its own test;
- fixed: a later call found every warning gone and no remittance has answered it yet: the same;
- paid: the payer paid (a line paid with a coinsurance too): what the payer paid;
- billed to the patient: no payment, the patient owes (deductible, PR-50 with an ABN, PR-204):
  what the patient owes;
- taken back: a payment reversed and not corrected yet: the expected payment, else list price;
- denied after an override / denied, warning not acted on / denied though fixed / denied, no
  warning (missed): a line denied (plugin/remittance.py categories), by what the order check
  had said of it, counting only the warnings that could explain that denial: the denied
  dollars (expected payment less what was paid and what the patient owes, when the catalog
  gives an expected payment; else the billed charge less them). An order with several denied
  lines goes to the first of these four buckets any of its lines falls in.

A duplicate (OA-18) of a line that was paid is no lost money, nor is a denial that a later
adjudication of the same service paid (the corrected claim, the appeal): neither counts
against its order. A denial that matches no order is not an order's: it is counted apart
(`unmatched`).

Every table (by rule, test, payer, ordering clinician, week) holds the same orders, each once,
so each table's total is the headline. An order is credited to one rule: for a denial, the
first (by rule id) of its warnings that could explain it; else the rule it was first warned of
(ties by rule id); an order with no warning to "(no warning)". Its week is the week of what
put it in its bucket: the first warning, the fix, or the remittance.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from cds_hooks.store.history import OrderHistory
from cds_hooks.store.remittances import LinkedLine
from plugin.remittance import DENIALS, Category, Outcome, explains

from .names import rule_name

ZERO = Decimal("0")
NO_WARNING = "(no warning)"
UNKNOWN = "(unknown)"
# (key, what a billing manager reads), in the order they are shown.
BUCKETS = (
    ("open", "open: flagged, not yet billed"),
    ("fixed", "fixed before billing"),
    ("paid", "paid"),
    ("billed_to_patient", "billed to the patient"),
    ("taken_back", "taken back (reversed)"),
    ("denied_after_override", "denied after an override"),
    ("denied_not_acted_on", "denied, warning not acted on"),
    ("denied_though_fixed", "denied though fixed"),
    ("denied_missed", "denied, no warning (missed)"),
)
LABELS = dict(BUCKETS)
_DENIED = {Outcome.WARNED_OVERRIDDEN: "denied_after_override",
           Outcome.WARNED_NOT_FIXED: "denied_not_acted_on",
           Outcome.FIXED_STILL_DENIED: "denied_though_fixed",
           Outcome.NOT_WARNED: "denied_missed"}
_DENIED_ORDER = list(_DENIED.values())
TABLES = ("rule", "test", "payer", "clinician", "week")


@dataclass(frozen=True)
class Placed:
    """One order in its one bucket."""

    order: OrderHistory
    bucket: str
    amount: Decimal
    charge: Decimal  # the billed charge of its remittance lines (0 before any)
    rule: str  # the rule it is credited to
    when: datetime | date | None


def value(order: OrderHistory) -> Decimal:
    """What the order is expected to bring: the catalog's expected payment, else the list
    price of its own test."""
    return order.expected_payment or order.price or ZERO


def place(orders: Iterable[OrderHistory], lines: Iterable[LinkedLine]) -> list[Placed]:
    """Each flagged order, and each order a remittance line answered, in its bucket."""
    answered: dict[int, list[LinkedLine]] = defaultdict(list)
    for line in lines:
        if line.order is not None and not line.settled:
            answered[id(line.order)].append(line)
    return [_placed(order, answered.get(id(order), [])) for order in orders
            if order.flagged or id(order) in answered]


def _placed(order: OrderHistory, lines: list[LinkedLine]) -> Placed:
    first_rule = min(order.flagged, key=lambda r: (order.flagged[r], r)) \
        if order.flagged else NO_WARNING
    charge = sum((line.charge for line in lines if line.charge > 0), ZERO)
    if not lines:
        if order.is_fixed:
            return Placed(order, "fixed", value(order), ZERO, first_rule, order.fixed_at)
        return Placed(order, "open", value(order), ZERO, first_rule,
                      min(order.flagged.values()))
    denied = [line for line in lines if line.category in DENIALS]
    paid = sum((line.paid for line in lines), ZERO)
    patient = sum((line.patient_share for line in lines), ZERO)
    latest = max(lines, key=lambda line: line.paid_on or line.imported_at.date())
    when = latest.paid_on or latest.imported_at
    if denied:
        bucket = min((_DENIED[line.outcome] for line in denied), key=_DENIED_ORDER.index)
        deciding = next(line for line in denied if _DENIED[line.outcome] == bucket)
        expected = order.expected_payment
        amount = max(ZERO, expected - paid - patient) if expected is not None \
            else sum((line.denied for line in denied), ZERO)
        rule = next((r for r in sorted(order.flagged) if explains(r, deciding.category)),
                    first_rule)
        return Placed(order, bucket, amount, charge, rule,
                      deciding.paid_on or deciding.imported_at)
    if any(line.category is Category.REVERSED for line in lines) and paid <= 0:
        return Placed(order, "taken_back", value(order), charge, first_rule, when)
    if paid <= 0 and patient > 0:
        return Placed(order, "billed_to_patient", patient, charge, first_rule, when)
    return Placed(order, "paid", max(paid, ZERO), charge, first_rule, when)


def partition(placed: list[Placed]) -> dict:
    """The headline (orders and dollars), its buckets, and the same by rule, test, payer,
    ordering clinician and week; every table's total is the headline."""
    buckets = {key: {"orders": 0, "amount": ZERO} for key, _ in BUCKETS}
    tables: dict[str, dict[str, dict]] = {name: {} for name in TABLES}
    for item in placed:
        buckets[item.bucket]["orders"] += 1
        buckets[item.bucket]["amount"] += item.amount
        for name, key in _keys(item):
            row = tables[name].setdefault(key or UNKNOWN, {
                "name": _name(name, key, item), "orders": 0, "total": ZERO,
                **{b: ZERO for b, _ in BUCKETS}})
            row["orders"] += 1
            row["total"] += item.amount
            row[item.bucket] += item.amount
    return {"orders": len(placed),
            "total": sum((item.amount for item in placed), ZERO),
            "buckets": buckets,
            **{f"by_{name}": dict(sorted(rows.items(), key=lambda kv: (-kv[1]["total"], kv[0])))
               if name != "week" else dict(sorted(rows.items()))
               for name, rows in tables.items()}}


def _keys(item: Placed) -> list[tuple[str, str | None]]:
    return [("rule", item.rule), ("test", item.order.test_code), ("payer", item.order.payer),
            ("clinician", item.order.requester), ("week", week(item.when))]


def _name(table: str, key: str | None, item: Placed) -> str | None:
    """What a billing manager calls the row: a rule in plain words, a test by its name."""
    if table == "rule" and key:
        return rule_name(key)
    if table == "test":
        return item.order.test_name
    return None


def remittance_figures(lines: Iterable[LinkedLine], now: datetime,
                       scrubbed: Mapping[str, bool]) -> dict:
    """What the payers said: lines and dollars paid, denied and billed to the patient;
    denials by category, by CARC and by what the order check had said; by payer with a
    denial rate; the denials that matched no order; the first-pass clean-claim rate (of the
    claims in `scrubbed`, by CLM01, whether the scrub found them clean); and this week
    against last."""
    lines = list(lines)
    denied = [line for line in lines if line.category in DENIALS]
    categories = {c.value: _count(line for line in denied if line.category is c)
                  for c in Category if c in DENIALS}
    outcomes = {o.value: _count(line for line in denied if line.outcome is o)
                for o in Outcome}
    by_carc: dict[str, dict] = {}
    for line in denied:
        code = _main_code(line)
        by_carc.setdefault(code, {"lines": 0, "amount": ZERO})
        by_carc[code]["lines"] += 1
        by_carc[code]["amount"] += line.denied
    by_payer = {}
    names = {line.payer or UNKNOWN: line.payer_name for line in lines if line.payer_name}
    for payer, count in Counter(line.payer or UNKNOWN for line in lines).most_common():
        theirs = _count(line for line in denied if (line.payer or UNKNOWN) == payer)
        by_payer[payer] = {"name": names.get(payer), "lines": count,
                           "denied_lines": theirs["lines"],
                           "denied": theirs["amount"],
                           "denial_rate": _rate(theirs["lines"], count)}
    claims: dict[tuple, list[LinkedLine]] = defaultdict(list)
    for line in lines:
        claims[(line.payer, line.claim)].append(line)
    # Paid, or left to the patient, on the first adjudication: no denial, no reversal.
    paid = {key: all(line.category in (Category.PAID, Category.PATIENT) and not line.reversed
                     for line in claim) for key, claim in claims.items()}
    # An 835 names the claim by the lab's own CLM01 (CLP01, X12 005010X221A1).
    seen = [key for key in claims if key[1] in scrubbed]
    clean = sum(paid[key] and scrubbed[key[1]] for key in seen)
    this_week = week(now)
    last_week = week(now - timedelta(days=7))
    return {"lines": len(lines),
            "paid": sum((line.paid for line in lines), ZERO),
            "denied": sum((line.denied for line in lines), ZERO),
            "billed_to_patient": sum((line.patient_share for line in lines
                                      if line.category is Category.PATIENT), ZERO),
            "categories": categories, "outcomes": outcomes,
            "by_carc": dict(sorted(by_carc.items(), key=lambda kv: (-kv[1]["amount"], kv[0]))),
            "by_payer": by_payer,
            "unmatched": _count(line for line in denied
                                if line.outcome is Outcome.NO_ORDER_FOUND),
            "claims": len(claims), "claims_paid_first_pass": sum(paid.values()),
            "paid_first_pass_rate": _rate(sum(paid.values()), len(claims)),
            "claims_scrubbed": len(seen), "claims_scrubbed_clean_and_paid": clean,
            "clean_claim_rate": _rate(clean, len(seen)),
            "weeks": {name: {**_count(line for line in denied if week(_day(line)) == key),
                             "paid": sum((line.paid for line in lines
                                          if week(_day(line)) == key), ZERO)}
                      for name, key in (("this_week", this_week), ("last_week", last_week))}}


def _count(lines: Iterable[LinkedLine]) -> dict:
    lines = list(lines)
    return {"lines": len(lines), "amount": sum((line.denied for line in lines), ZERO)}


def _main_code(line: LinkedLine) -> str:
    """The adjustment that denied the line: the largest that is not the patient's."""
    refused = [a for a in line.adjustments if a.group != "PR" and a.applies]
    if not refused:
        return "(none)"
    return max(refused, key=lambda a: a.amount if a.amount is not None else ZERO).code


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _day(line: LinkedLine) -> date:
    return line.paid_on or line.imported_at.date()


def week(when: datetime | date | None) -> str | None:
    """ISO week, `2026-W03`."""
    if when is None:
        return None
    year, number, _ = when.isocalendar()
    return f"{year}-W{number:02d}"
