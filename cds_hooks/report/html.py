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
          "avoided": "#b8860b", "calls": "#6a5acd"}
DEFINITIONS = (
    ("Finding", "one rule's conclusion about one order in one hook call; an order checked on "
     "order-select and again on order-sign counts twice (and once under Orders)."),
    ("Accepted / overridden", "the latest feedback on each card that showed the rule."),
    ("Fixed before signing", "an order that had a warning, and afterwards either a card "
     "showing that warning was accepted, or an order-sign call for the same order found no "
     "warning on it."),
    ("Amount at risk avoided", "the catalog list price of the test of each order fixed before "
     "signing, once per order (per rule, an order fixed of two rules counts under both)."),
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
        _tile(str(report.orders_fixed), "orders fixed before signing"),
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
        '<h2 id="table">Every rule</h2>', _table(report),
        "<h2>How the numbers are counted</h2><dl>",
        *(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in DEFINITIONS),
        "<dt>Override comments</dt><dd>counted, not shown: free text may name a patient.</dd>",
        "</dl></main></body></html>"]
    return "\n".join(parts)


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
