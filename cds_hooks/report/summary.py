"""The feedback report: what the service found, what clinicians did with it, what it saved,
and, with remittances imported (`moldx-cds remit`), what was denied all the same.

Every number is read from the store (`moldx-cds report`). Definitions:

- an *order* is one `ServiceRequest/id` of one patient, as named by one client (JWT issuer);
- a *finding* is one rule's conclusion about one order in one hook call; an order checked on
  order-select and again on order-sign counts twice, and once in `orders`;
- *accepted* / *overridden*: the latest feedback on each card that showed the rule (a card can
  show several rules of one order: it counts for each);
- an order is *fixed* when every warning it had was found gone by a later call for the same
  order that evaluated the warning's rule (a call whose payer is unknown evaluates nothing);
  accepting a suggestion is not a fix until then, and an override is never one
  (cds_hooks/store/history.py); per rule, an order counts as fixed of that rule when that
  rule's warning was found gone, so a rule's fixed orders never exceed its flagged ones;
- *at_risk* (shown as "flagged, list price") and *avoided* ("fixed, list price") are the list
  price of each order's own test (its catalog row, as the catalog had it at the call), once
  per order;
- *money*: every flagged order and every order a remittance answered, each in one bucket with
  one amount, by rule, test, payer, clinician and week (cds_hooks/report/money.py);
- *remittances*: what the payers said, line by line (netted), and *worklist* what to do about
  each denied or reversed line, by deadline (cds_hooks/report/worklist.py).

`report --json` is documented key by key in docs/report.md; VERSION changes when a key's
meaning does.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from cds_hooks.store import claim_history
from cds_hooks.store.db import FeedbackRow, FindingRow, HookCall, IssuedCardRow, Store, utc
from cds_hooks.store.history import histories
from cds_hooks.store.remittances import lines as remittance_lines
from plugin.overrides import OVERRIDE_REASONS, OVERRIDE_SYSTEM
from plugin.remittance import CATEGORY_NAMES, Category

from .money import BUCKETS, partition, place, remittance_figures
from .names import rule_name, store_in_words
from .unnamed import FORMULA_STARTS, unnamed_codes
from .worklist import worklist

WARNING = "warning"
VERSION = 3  # of `report --json`: 2 made `money` the partition and `remittances` netted;
# 3 made `clean_claim_rate` the share of scrubbed claims scrubbed clean and paid


@dataclass
class RuleLine:
    rule: str
    findings: int = 0
    orders: int = 0
    accepted: int = 0
    overridden: int = 0
    reasons: dict[str, int] = field(default_factory=dict)  # override reason -> cards
    comments: int = 0  # overrides with a comment (the text is not in the report)
    fixed: int = 0
    avoided: Decimal = Decimal("0")


@dataclass
class Report:
    store: str
    since: datetime | None
    generated_at: datetime
    calls: dict[str, int]  # by service
    calls_per_day: dict[str, int]  # ISO date (UTC) -> calls
    feedback: int  # feedback items
    unknown_feedback: int  # of which on cards this service did not issue
    orders_flagged: int  # orders that had a warning
    orders_fixed: int
    at_risk: Decimal  # list price of the orders flagged
    avoided: Decimal  # list price of the orders fixed
    rules: list[RuleLine]
    remittances: dict[str, Any] = field(default_factory=dict)  # report/money.py
    money: dict[str, Any] = field(default_factory=dict)  # the partition, by rule, test, ...
    worklist: list[dict[str, Any]] = field(default_factory=list)  # report/worklist.py
    unnamed_codes: list[dict[str, Any]] = field(default_factory=list)  # report/unnamed.py
    version: int = VERSION

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["total_calls"] = self.total_calls
        return json.loads(json.dumps(data, default=_plain))


def build(store: Store, since: datetime | None = None) -> Report:
    """The report of everything the store holds from `since` (UTC) on."""
    with store.session() as session:
        calls = session.execute(_since(
            select(HookCall.id, HookCall.service, HookCall.hook, HookCall.issuer,
                   HookCall.patient, HookCall.orders, HookCall.received_at),
            HookCall.received_at, since).order_by(HookCall.received_at, HookCall.id)).all()
        findings = session.execute(_since(
            select(FindingRow.call_id, FindingRow.order_ref, FindingRow.rule,
                   FindingRow.severity, FindingRow.list_price, FindingRow.card_uuid)
            .join(HookCall, HookCall.id == FindingRow.call_id),
            HookCall.received_at, since)).all()
        card_call = aliased(HookCall)
        feedback = session.execute(_since(
            select(FeedbackRow.card_uuid, FeedbackRow.service, FeedbackRow.outcome,
                   FeedbackRow.override_system, FeedbackRow.override_code,
                   FeedbackRow.override_comment, IssuedCardRow.rules,
                   IssuedCardRow.service.label("card_service"), FeedbackRow.issuer,
                   card_call.issuer.label("card_issuer"))
            .outerjoin(IssuedCardRow, IssuedCardRow.uuid == FeedbackRow.card_uuid)
            .outerjoin(card_call, card_call.id == IssuedCardRow.call_id),
            FeedbackRow.received_at, since)
            .order_by(FeedbackRow.outcome_at, FeedbackRow.id)).all()

    lines: dict[str, RuleLine] = {}
    orders_of_rule: dict[str, set] = defaultdict(set)
    by_call: dict[int, list] = defaultdict(list)
    for finding in findings:
        by_call[finding.call_id].append(finding)

    per_service: Counter[str] = Counter()
    per_day: Counter[str] = Counter()
    for call in calls:
        per_service[call.service] += 1
        per_day[utc(call.received_at).date().isoformat()] += 1
        for finding in by_call.get(call.id, []):
            line = lines.setdefault(finding.rule, RuleLine(finding.rule))
            line.findings += 1
            orders_of_rule[finding.rule].add((call.issuer, call.patient, finding.order_ref))

    # Feedback: the latest outcome per card, from the client whose call showed it (another
    # client's feedback on it counts as feedback on an unknown card).
    latest: dict[str, Any] = {}
    unknown = 0
    for item in feedback:
        if _own_card(item):
            latest[item.card_uuid] = item
        else:
            unknown += 1
    for item in latest.values():
        for rule in json.loads(item.rules):
            line = lines.setdefault(rule, RuleLine(rule))
            if item.outcome == "accepted":
                line.accepted += 1
            else:
                line.overridden += 1
                if item.override_code:
                    label = _reason_label(item.override_system, item.override_code)
                    line.reasons[label] = line.reasons.get(label, 0) + 1
                if item.override_comment:
                    line.comments += 1
    orders = histories(store, since)
    flagged = [o for o in orders.values() if o.flagged]
    fixed = [o for o in flagged if o.is_fixed]
    for order in flagged:
        for rule in order.fixed:
            line = lines.setdefault(rule, RuleLine(rule))
            line.fixed += 1
            line.avoided += order.price or 0
    denials = remittance_lines(store, orders, since=since)
    now = datetime.now(UTC)
    for rule, line in lines.items():
        line.orders = len(orders_of_rule[rule])
        line.reasons = dict(sorted(line.reasons.items(), key=lambda kv: (-kv[1], kv[0])))
    return Report(
        store=store.display_url(), since=since, generated_at=now,
        calls=dict(per_service.most_common()), calls_per_day=dict(sorted(per_day.items())),
        feedback=len(feedback), unknown_feedback=unknown,
        orders_flagged=len(flagged), orders_fixed=len(fixed),
        at_risk=sum((o.price or Decimal(0) for o in flagged), Decimal("0")),
        avoided=sum((o.price or Decimal(0) for o in fixed), Decimal("0")),
        rules=sorted(lines.values(), key=lambda line: (-line.findings, line.rule)),
        remittances=remittance_figures(
            denials, now, claim_history.scrubbed(store, {line.claim for line in denials})),
        money=partition(place(orders.values(), denials)),
        worklist=[item.as_json() for item in worklist(denials, now.date())],
        unnamed_codes=unnamed_codes(store, since))


def parse_since(text: str) -> datetime:
    """`2026-03-01` (midnight UTC) or an ISO 8601 date-time (UTC when it names no zone)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or an ISO 8601 date-time") \
            from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def since_text(since: datetime | None) -> str:
    """The start of the report as it was given: a date, or a date and time (UTC)."""
    if since is None:
        return "the start"
    if since.time() == time(0):
        return since.date().isoformat()
    return since.strftime("%Y-%m-%d %H:%M:%S" + (".%f" if since.microsecond else "")) + " UTC"


def money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def reasons_text(reasons: dict[str, int]) -> str:
    return "; ".join(f"{label} ({count})" for label, count in reasons.items())


def table(report: Report) -> str:
    """The report for a terminal."""
    since = since_text(report.since)
    head = [
        f"moldx-cds report: {store_in_words(report.store)}, from {since} to "
        f"{report.generated_at:%Y-%m-%d %H:%M} UTC",
        f"Hook calls: {report.total_calls}" + (
            f" ({', '.join(f'{s} {n}' for s, n in report.calls.items())})"
            if report.calls else ""),
        f"Feedback items: {report.feedback}" + (
            f" ({report.unknown_feedback} on cards this service did not issue)"
            if report.unknown_feedback else ""),
        f"Orders with a warning: {report.orders_flagged} (flagged, list price "
        f"{money(report.at_risk)}); fixed (a later call found the warning gone): "
        f"{report.orders_fixed} (fixed, list price {money(report.avoided)})",
        ""]
    rows = [("RULE", "FINDINGS", "ORDERS", "ACCEPTED", "OVERRIDDEN", "FIXED",
             "FIXED, LIST PRICE", "OVERRIDE REASONS")]
    rows += [(rule_name(line.rule), str(line.findings), str(line.orders), str(line.accepted),
              str(line.overridden), str(line.fixed), money(line.avoided),
              reasons_text(line.reasons) + (f"; {line.comments} with a comment"
                                            if line.comments else ""))
             for line in report.rules]
    if len(rows) == 1:
        body = ["No findings in this period."]
    else:
        body = aligned(rows, numeric=range(1, 7), last_free=True)
    return "\n".join(printable(line) for line in
                     head + body + money_text(report) + unnamed_text(report))


def aligned(rows: list[tuple], numeric: Iterable[int], last_free: bool = False) -> list[str]:
    """Columns padded to their widest cell, numbers to the right; the last column left as
    it is when `last_free`."""
    if not rows:
        return []
    rows = [tuple(printable(str(cell)) for cell in row) for row in rows]
    numeric = set(numeric)
    count = len(rows[0]) - (1 if last_free else 0)
    widths = [max(len(row[i]) for row in rows) for i in range(count)]
    return ["  ".join([*(cell.rjust(w) if i in numeric and n else cell.ljust(w)
                         for i, (cell, w) in enumerate(zip(row, widths, strict=False))),
                       *([row[-1].lstrip("; ")] if last_free else [])]).rstrip()
            for n, row in enumerate(rows)]


def money_text(report: Report) -> list[str]:
    """The partition, what the payers said, and the worklist, as a terminal shows them."""
    data = report.money
    out = ["", f"Money: {data['orders']} orders, each counted once: {money(data['total'])}"]
    out += aligned([(f"  {label}", str(data["buckets"][key]["orders"]),
                     money(data["buckets"][key]["amount"]))
                    for key, label in BUCKETS if data["buckets"][key]["orders"]], range(1, 3))
    for table, title in (("test", "test"), ("payer", "payer"),
                         ("clinician", "ordering clinician")):
        rows = data[f"by_{table}"]
        if rows:
            out += [f"By {title}:"] + aligned([(
                f"  {row['name']} ({key})" if row.get("name") else f"  {key}",
                str(row["orders"]), money(row["total"])) for key, row in rows.items()],
                range(1, 3))
    remitted = report.remittances
    if not remitted.get("lines"):
        return out + ["", "No remittance imported (moldx-cds remit) in this period."]
    out += ["", f"Remittances: {remitted['lines']} lines; paid {money(remitted['paid'])}; "
            f"denied {money(remitted['denied'])}; billed to patients "
            f"{money(remitted['billed_to_patient'])}",
            f"  first-pass clean claims (scrubbed clean, then paid): "
            f"{remitted['claims_scrubbed_clean_and_paid']} of {remitted['claims_scrubbed']} "
            f"scrubbed{_share(remitted['clean_claim_rate'])}",
            f"  paid on the first adjudication: {remitted['claims_paid_first_pass']} of "
            f"{remitted['claims']} claims{_share(remitted['paid_first_pass_rate'])}",
            "Denials by category:"]
    categories = sorted(((Category(k), v) for k, v in remitted["categories"].items()
                         if v["lines"]), key=lambda kv: (-kv[1]["amount"], kv[0].value))
    out += aligned([(f"  {CATEGORY_NAMES[c]}", str(v["lines"]), money(v["amount"]))
                    for c, v in categories], range(1, 3)) or ["  none"]
    out += ["Denials by adjustment code: " + ", ".join(
        f"{code} {v['lines']} ({money(v['amount'])})"
        for code, v in remitted["by_carc"].items()) if remitted["by_carc"] else ""]
    out += ["Denials by payer:"] + aligned(
        [("  PAYER", "LINES", "DENIED LINES", "DENIAL RATE", "DENIED")] + [
            (f"  {v['name']} ({payer})" if v["name"] else f"  {payer}", str(v["lines"]),
             str(v["denied_lines"]),
             "-" if v["denial_rate"] is None else f"{v['denial_rate']:.0%}",
             money(v["denied"])) for payer, v in remitted["by_payer"].items()], range(1, 5))
    unmatched, weeks = remitted["unmatched"], remitted["weeks"]
    out += [f"Denials that matched no order: {unmatched['lines']} "
            f"({money(unmatched['amount'])})",
            f"This week: {weeks['this_week']['lines']} denied lines "
            f"({money(weeks['this_week']['amount'])}), paid {money(weeks['this_week']['paid'])};"
            f" last week: {weeks['last_week']['lines']} denied lines "
            f"({money(weeks['last_week']['amount'])}), paid {money(weeks['last_week']['paid'])}",
            f"Worklist: {len(report.worklist)} line(s) to act on (moldx-cds worklist)"]
    return out


def _share(rate: float | None) -> str:
    return "" if rate is None else f" ({rate:.0%})"


def unnamed_text(report: Report) -> list[str]:
    """The order codes that named no test, as a terminal shows them."""
    if not report.unnamed_codes:
        return []
    return ["", "Order codes that named no test of the catalog (add them to aliases.csv: "
            "moldx-cds report --aliases-csv):"] + aligned(
        [("  ISSUER", "SYSTEM", "CODE", "ORDERS", "CALLS", "LAST SEEN (UTC)", "DISPLAY")] + [
            (f"  {c['issuer'] or '(none)'}", c["system"], c["code"], str(c["orders"]),
             str(c["calls"]), c["last_seen"][:16].replace("T", " "), c["display"] or "")
            for c in report.unnamed_codes], range(3, 5), last_free=True)


CSV_COLUMNS = ("rule", "rule_name", "findings", "orders", "accepted", "overridden",
               "override_reasons", "comments", "orders_fixed", "fixed_list_price_usd",
               "money_orders", *(f"{key}_usd" for key, _ in BUCKETS), "money_total_usd")


def csv_rows(report: Report) -> Iterable[tuple]:
    """One row per rule (and one for the orders with no warning that a remittance
    answered), then one for all of them: its orders and amounts count each order once, and
    its money columns are the headline. The money columns are the partition (money.py), an
    order credited to one rule."""
    yield CSV_COLUMNS
    by_rule = report.money.get("by_rule", {})
    empty = {"orders": 0, "total": Decimal(0), **{key: Decimal(0) for key, _ in BUCKETS}}
    lines = {line.rule: line for line in report.rules}
    for rule in [*lines, *(r for r in by_rule if r not in lines)]:
        line = lines.get(rule, RuleLine(rule))
        yield (rule, rule_name(rule), line.findings, line.orders, line.accepted,
               line.overridden, inert_cell(reasons_text(line.reasons)), line.comments,
               line.fixed, f"{line.avoided:.2f}", *_money_cells(by_rule.get(rule, empty)))
    everything = {"orders": report.money.get("orders", 0),
                  "total": report.money.get("total", Decimal(0)),
                  **{key: bucket["amount"]
                     for key, bucket in report.money.get("buckets", {}).items()}}
    yield ("(all rules)", "", sum(line.findings for line in report.rules),
           report.orders_flagged, sum(line.accepted for line in report.rules),
           sum(line.overridden for line in report.rules), "",
           sum(line.comments for line in report.rules), report.orders_fixed,
           f"{report.avoided:.2f}", *_money_cells({**empty, **everything}))


def _money_cells(row: dict) -> tuple:
    return (row["orders"], *(f"{row[key]:.2f}" for key, _ in BUCKETS), f"{row['total']:.2f}")


def _own_card(item: Any) -> bool:
    return item.card_service == item.service and item.card_issuer == item.issuer




def inert_cell(text: str) -> str:
    """A CSV cell no spreadsheet runs as a formula (override reasons are clients' text)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def printable(text: str) -> str:
    """`text` without control and format characters (escape sequences, bidi overrides), for
    a terminal: override reasons are clients' text."""
    return "".join(c for c in text if c.isprintable())


def _since(query, column, since: datetime | None):
    return query.where(column >= since) if since else query


def _reason_label(system: str | None, code: str) -> str:
    if system == OVERRIDE_SYSTEM and code in OVERRIDE_REASONS:
        return OVERRIDE_REASONS[code]
    return code


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"  # dollars
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
