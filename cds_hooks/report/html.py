"""The feedback report as one self-contained HTML page: inline CSS and SVG bar charts, no
script and nothing fetched (it is opened on machines without internet access)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from .summary import Report, money, reasons_text, since_text

BAR_AREA = 420  # px of the longest bar
LABEL_WIDTH = 230
ROW = 28
COLORS = {"findings": "#3b6ea5", "accepted": "#2e8b57", "overridden": "#c0504d",
          "avoided": "#b8860b", "calls": "#6a5acd", "at_risk": "#d9822b", "fixed": "#2e8b57",
          "overridden_denied": "#c0504d", "missed": "#7b2d8e"}
# The billing manager's four figures (report/money.py), in the order they are shown.
MONEY = (("at_risk", "still at risk"), ("fixed", "fixed"),
         ("overridden_denied", "overridden, then denied"), ("missed", "missed: denied, no warning"))
DEFINITIONS = (
    ("Finding", "one rule's conclusion about one order in one hook call; an order checked on "
     "order-select and again on order-sign counts twice (and once under Orders)."),
    ("Accepted / overridden", "the latest feedback on each card that showed the rule."),
    ("Fixed", "an order whose every warning a later call for the same order (same client, "
     "patient and order id) found gone, on a call that evaluated that rule (a call whose payer "
     "is unknown evaluates nothing). Accepting a suggestion is not a fix until then; an "
     "override never is."),
    ("Amount at risk avoided", "the catalog list price of each fixed order's own test, once "
     "per order (per rule, the orders whose warning of that rule was found gone)."),
    ("Overridden, then denied / missed", "the dollars a remittance (835, `moldx-cds remit`) "
     "denied on a line whose order's warning was overridden / whose order had no warning."),
)

_STYLE = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2433;
  margin:0;background:#f5f6f8}
main{max-width:1000px;margin:0 auto;padding:24px 32px 48px;background:#fff;min-height:100vh}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:34px 0 8px}
.meta{color:#5b6475;margin:0 0 20px}
.tiles{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}
.tile{border:1px solid #dfe3ea;border-radius:8px;padding:12px 14px}
.tile b{display:block;font-size:24px}.tile span{color:#5b6475;font-size:13px}
svg{display:block;max-width:100%;height:auto}
svg text{font:13px system-ui,sans-serif;fill:#1d2433}svg .value{fill:#5b6475}
.legend span{display:inline-block;margin-right:16px;font-size:13px}
.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-size:14px;margin-top:8px}
th,td{border-bottom:1px solid #e4e7ec;padding:6px 8px;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;white-space:nowrap}
dl{font-size:14px}dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 0;color:#3b4252}
.empty{color:#5b6475;font-style:italic}
"""


def render(report: Report) -> str:
    since = since_text(report.since) if report.since else "the first call kept"
    rules = report.rules
    found = [line for line in rules if line.findings]
    with_feedback = [line for line in rules if line.accepted or line.overridden]
    avoided = [line for line in rules if line.avoided]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>MolDX order coding: findings and feedback</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        "<h1>MolDX order coding: findings and feedback</h1>",
        f'<p class="meta">From {escape(since)} to {report.generated_at:%Y-%m-%d %H:%M} UTC '
        f"&middot; store {escape(report.store)}</p>",
        '<div class="tiles">',
        _tile(str(report.total_calls), "hook calls"),
        _tile(str(report.orders_flagged), "orders with a warning"),
        _tile(str(report.orders_fixed), "orders fixed (a later call found them right)"),
        _tile(money(report.avoided), "amount at risk avoided (list price)"),
        "</div>",
        '<h2 id="findings">Findings per rule</h2>',
        _bars("findings", [(line.rule, [("findings", line.findings, f"{line.findings} findings")])
                           for line in found], str),
        '<h2 id="feedback">Accepted and overridden, per rule</h2>',
        '<p class="legend"><span><i style="background:#2e8b57"></i>accepted</span>'
        '<span><i style="background:#c0504d"></i>overridden</span></p>',
        _bars("feedback", [(line.rule, [
            ("accepted", line.accepted, f"{line.accepted} accepted"),
            ("overridden", line.overridden, f"{line.overridden} overridden")])
            for line in with_feedback], str),
        '<h2 id="avoided">Amount at risk avoided, per rule</h2>',
        _bars("avoided", [(line.rule, [("avoided", line.avoided, money(line.avoided))])
                          for line in avoided], money),
        '<h2 id="calls">Hook calls per day</h2>',
        _columns("calls", list(report.calls_per_day.items())),
        *_money(report),
        '<h2 id="table">Every rule</h2>', _table(report),
        "<h2>How the numbers are counted</h2><dl>",
        *(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in DEFINITIONS),
        "<dt>Override comments</dt><dd>counted, not shown: free text may name a patient.</dd>",
        "</dl></main></body></html>"]
    return "\n".join(parts)


def _money(report: Report) -> list[str]:
    """The four figures in total, by week (stacked bars), and by test, payer and clinician."""
    weeks = report.money.get("week", {})
    totals = {key: sum((row[key] for row in weeks.values()), Decimal(0)) for key, _ in MONEY}
    parts = ['<h2 id="money">Money: still at risk, fixed, overridden then denied, missed</h2>',
             '<div class="tiles">', *(_tile(money(totals[key]), label) for key, label in MONEY),
             "</div>", '<p class="legend">', *(
                 f'<span><i style="background:{COLORS[key]}"></i>{escape(label)}</span>'
                 for key, label in MONEY), "</p>",
             '<h2 id="weeks">Money by week</h2>',
             _bars("weeks", [(week, [(key, row[key], f"{label} {money(row[key])}")
                                     for key, label in MONEY])
                             for week, row in weeks.items() if any(row.values())], money)]
    for name, title in (("test", "test"), ("payer", "payer"), ("clinician",
                                                                "ordering clinician")):
        parts += [f'<h2 id="by-{name}">Money by {title}</h2>',
                  _money_table(name, report.money.get(name, {}))]
    return parts


def _money_table(name: str, rows: dict) -> str:
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    head = (f'<table data-table="{name}"><thead><tr><th>{escape(name.capitalize())}</th>'
            + "".join(f"<th class=n>{escape(label)}</th>" for _, label in MONEY)
            + "</tr></thead><tbody>")
    body = "".join(f"<tr><td>{escape(key)}</td>"
                   + "".join(f"<td class=n>{money(row[k])}</td>" for k, _ in MONEY) + "</tr>"
                   for key, row in rows.items())
    return head + body + "</tbody></table>"


def _tile(value: str, label: str) -> str:
    return f'<div class="tile"><b>{escape(value)}</b><span>{escape(label)}</span></div>'


def _bars(chart: str, rows: Sequence[tuple[str, Sequence[tuple[str, object, str]]]],
          fmt) -> str:
    """Horizontal bars, one row per label; a row of several parts is stacked. Every drawn
    part is a `rect.bar` (parts of zero are not drawn)."""
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    largest = max(sum((value for _, value, _ in parts), Decimal(0)) for _, parts in rows) or 1
    width = LABEL_WIDTH + BAR_AREA + 110
    height = ROW * len(rows) + 8
    out = [f'<svg class="chart" data-chart="{chart}" role="img" aria-labelledby="{chart}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for index, (label, parts) in enumerate(rows):
        y = 4 + index * ROW
        out.append(f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end">'
                   f"{escape(label)}</text>")
        x = float(LABEL_WIDTH)
        total = Decimal(0)
        for kind, value, tip in parts:
            if not value:
                continue
            length = max(2.0, float(value) / float(largest) * BAR_AREA)
            out.append(f'<rect class="bar {kind}" data-label="{escape(label)}" '
                       f'data-value="{value}" x="{x:.1f}" y="{y + 3}" width="{length:.1f}" '
                       f'height="{ROW - 8}" rx="3" fill="{COLORS[kind]}">'
                       f"<title>{escape(label)}: {escape(tip)}</title></rect>")
            x += length
            total += Decimal(value)
        out.append(f'<text class="value" x="{x + 6:.1f}" y="{y + 17}">{escape(fmt(total))}'
                   "</text>")
    out.append("</svg>")
    return "".join(out)


def _columns(chart: str, days: Sequence[tuple[str, int]]) -> str:
    """Vertical columns, one per day, each a `rect.bar`."""
    if not days:
        return '<p class="empty">Nothing in this period.</p>'
    largest = max(count for _, count in days) or 1
    step = max(14, min(60, 640 // len(days)))
    plot = 180
    width, height = 60 + step * len(days) + 20, plot + 60
    out = [f'<svg class="chart" data-chart="{chart}" role="img" aria-labelledby="{chart}" '
           f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
           f'<line x1="56" y1="{plot + 10}" x2="{width - 10}" y2="{plot + 10}" '
           'stroke="#9aa3b2"/>',
           f'<text class="value" x="50" y="20" text-anchor="end">{largest}</text>',
           f'<text class="value" x="50" y="{plot + 14}" text-anchor="end">0</text>']
    for index, (day, count) in enumerate(days):
        bar = max(2.0, count / largest * plot)
        x = 60 + index * step
        out.append(f'<rect class="bar calls" data-label="{day}" data-value="{count}" '
                   f'x="{x}" y="{plot + 10 - bar:.1f}" width="{step - 4}" height="{bar:.1f}" '
                   f'fill="{COLORS["calls"]}"><title>{day}: {count} calls</title></rect>')
        if len(days) <= 16 or index % max(1, len(days) // 8) == 0:
            out.append(f'<text x="{x + (step - 4) / 2:.1f}" y="{plot + 28}" '
                       f'text-anchor="middle" font-size="11">{day[5:]}</text>')
    out.append("</svg>")
    return "".join(out)


def _table(report: Report) -> str:
    if not report.rules:
        return '<p class="empty">No findings in this period.</p>'
    head = ("<table><thead><tr><th>Rule</th><th class=n>Findings</th><th class=n>Orders</th>"
            "<th class=n>Accepted</th><th class=n>Overridden</th><th>Override reasons</th>"
            "<th class=n>Fixed</th><th class=n>Avoided</th></tr></thead><tbody>")
    rows = []
    for line in report.rules:
        reasons = reasons_text(line.reasons) + (
            f"; {line.comments} with a comment" if line.comments else "")
        rows.append(f"<tr><td>{escape(line.rule)}</td><td class=n>{line.findings}</td>"
                    f"<td class=n>{line.orders}</td><td class=n>{line.accepted}</td>"
                    f"<td class=n>{line.overridden}</td><td>{escape(reasons.lstrip('; '))}</td>"
                    f"<td class=n>{line.fixed}</td><td class=n>{money(line.avoided)}</td></tr>")
    return head + "".join(rows) + "</tbody></table>"
