"""The feedback report as one self-contained HTML page: inline CSS and SVG bar charts, no
script and nothing fetched (it is opened on machines without internet access)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from plugin.remittance import CATEGORY_NAMES, OUTCOME_NAMES, Category, Outcome

from .money import BUCKETS
from .names import rule_name, store_in_words
from .summary import Report, money, reasons_text, since_text

BAR_AREA = 420  # px of the longest bar
LABEL_WIDTH = 230
ROW = 28
COLORS = {"findings": "#3b6ea5", "accepted": "#2e8b57", "overridden": "#c0504d",
          "avoided": "#b8860b", "calls": "#6a5acd", "denied": "#c0504d",
          # the buckets of report/money.py
          "open": "#d9822b", "fixed": "#2e8b57", "paid": "#3b6ea5",
          "billed_to_patient": "#6a5acd", "taken_back": "#a0522d",
          "denied_after_override": "#c0504d", "denied_not_acted_on": "#e8a33d",
          "denied_though_fixed": "#b8860b", "denied_missed": "#7b2d8e"}
DEFINITIONS = (
    ("Finding", "one rule's conclusion about one order in one hook call; an order checked on "
     "order-select and again on order-sign counts twice (and once under Orders)."),
    ("Accepted / overridden", "the latest feedback on each card that showed the rule."),
    ("Fixed", "an order whose every warning a later call for the same order (same client, "
     "patient and order id) found gone, on a call that evaluated that rule (a call whose payer "
     "is unknown evaluates nothing). Accepting a suggestion is not a fix until then; an "
     "override never is."),
    ("Fixed, list price", "the catalog list price of each fixed order's own test, once "
     "per order (per rule, the orders whose warning of that rule was found gone)."),
    ("Money", "every order flagged at ordering or answered by a remittance (835, `moldx-cds "
     "remit`), each in one bucket with one amount, so the buckets add up to the total and so "
     "does every table. Open and fixed: the catalog's expected payment, else the list price; "
     "paid: what the payer paid; billed to the patient: what the patient owes; denied: the "
     "expected payment (else the billed charge) less what was paid and what the patient "
     "owes. An order is credited to one rule: for a denial, the first of its warnings that "
     "could explain it; else the one it was first warned of."),
    ("Denied after an override / not acted on / though fixed / missed", "a denial whose "
     "order had a warning that could explain it and a person overrode it / nobody acted on "
     "it / it was fixed; or whose order had no such warning. A Z-code warning does not "
     "explain a medical-necessity, duplicate or bundling denial."),
    ("First-pass clean claims", "of the claims scrubbed (`moldx-cds scrub`) and then "
     "adjudicated, those the scrub found clean (no warning) whose every line was paid (or "
     "left to the patient) on the first adjudication: no denial, no reversal. A remittance's "
     "claim is the scrubbed claim its CLP01 names (the lab's CLM01)."),
    ("Paid on the first adjudication", "every claim of the remittances, scrubbed or not, "
     "whose every line was paid (or left to the patient) with no denial and no reversal."),
    ("Worklist deadlines", "an appeal within 120 days of the remittance (Medicare "
     "redetermination, 42 CFR 405.942); a corrected claim within 12 months of the date of "
     "service (timely filing, 42 CFR 424.44)."),
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
td.n,th.n{text-align:right}td.n{white-space:nowrap}th.n{font-weight:600}
dl{font-size:14px}dt{font-weight:600;margin-top:8px}dd{margin:2px 0 0 0;color:#3b4252}
.empty{color:#5b6475;font-style:italic}
tfoot th{border-top:2px solid #9aa3b2}
"""


def render(report: Report) -> str:
    since = since_text(report.since) if report.since else "the first call kept"
    rules = report.rules
    found = [line for line in rules if line.findings]
    with_feedback = [line for line in rules if line.accepted or line.overridden]
    avoided = sorted((line for line in rules if line.avoided),
                     key=lambda line: (-line.avoided, line.rule))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>MolDX order coding: findings and feedback</title>",
        f"<style>{_STYLE}</style></head><body><main>",
        "<h1>MolDX order coding: findings and feedback</h1>",
        f'<p class="meta">From {escape(since)} to {report.generated_at:%Y-%m-%d %H:%M} UTC '
        f"&middot; read from the {escape(store_in_words(report.store))}</p>",
        '<div class="tiles">',
        _tile(str(report.total_calls), "hook calls"),
        _tile(str(report.orders_flagged), "orders with a warning"),
        _tile(str(report.orders_fixed), "orders fixed (a later call found them right)"),
        _tile(money(report.avoided), "fixed, list price"),
        "</div>",
        '<h2 id="findings">Findings per rule</h2>',
        _bars("findings", [(rule_name(line.rule), [
            ("findings", line.findings, f"{line.findings} findings")])
                           for line in found], str),
        '<h2 id="feedback">Accepted and overridden, per rule</h2>',
        '<p class="legend"><span><i style="background:#2e8b57"></i>accepted</span>'
        '<span><i style="background:#c0504d"></i>overridden</span></p>',
        _bars("feedback", [(rule_name(line.rule), [
            ("accepted", line.accepted, f"{line.accepted} accepted"),
            ("overridden", line.overridden, f"{line.overridden} overridden")])
            for line in with_feedback], str),
        '<h2 id="avoided">Fixed (list price), per rule</h2>',
        _bars("avoided", [(rule_name(line.rule), [("avoided", line.avoided,
                                                  money(line.avoided))])
                          for line in avoided], money),
        '<h2 id="calls">Hook calls per day</h2>',
        _columns("calls", list(report.calls_per_day.items())),
        *_money(report), *_denials(report), *_worklist(report), *_unnamed(report),
        '<h2 id="table">Every rule</h2>', _table(report),
        "<h2>How the numbers are counted</h2><dl>",
        *(f"<dt>{escape(term)}</dt><dd>{escape(text)}</dd>" for term, text in DEFINITIONS),
        "<dt>Override comments</dt><dd>counted, not shown: free text may name a patient.</dd>",
        "</dl></main></body></html>"]
    return "\n".join(parts)


def _money(report: Report) -> list[str]:
    """The partition: its total and buckets in tiles, by week (stacked bars), and by rule,
    test, payer and clinician (tables with a total row equal to the headline)."""
    data = report.money
    buckets = data.get("buckets", {})
    weeks = data.get("by_week", {})
    parts = [f'<h2 id="money">Money: {data.get("orders", 0)} orders, each counted once</h2>',
             '<div class="tiles">', _tile(money(data.get("total", Decimal(0))), "total"),
             *(_tile(money(buckets[key]["amount"]), f"{label} ({buckets[key]['orders']})")
               for key, label in BUCKETS if key in buckets), "</div>",
             '<p class="legend">', *(
                 f'<span><i style="background:{COLORS[key]}"></i>{escape(label)}</span>'
                 for key, label in BUCKETS), "</p>",
             '<h2 id="weeks">Money by week</h2>',
             _bars("weeks", [(week, [(key, row[key], f"{label} {money(row[key])}")
                                     for key, label in BUCKETS])
                             for week, row in weeks.items() if row["total"]], money)]
    for name, title in (("rule", "rule"), ("test", "test"), ("payer", "payer"),
                        ("clinician", "ordering clinician")):
        parts += [f'<h2 id="by-{name}">Money by {title}</h2>',
                  _money_table(name, title, data.get(f"by_{name}", {}), data)]
    return parts


def _money_table(name: str, title: str, rows: dict, data: dict) -> str:
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    used = [(key, label) for key, label in BUCKETS if any(row[key] for row in rows.values())]
    head = (f'<table data-table="{name}"><thead><tr><th>{escape(title.capitalize())}</th>'
            "<th class=n>Orders</th>"
            + "".join(f"<th class=n>{escape(label)}</th>" for _, label in used)
            + "<th class=n>Total</th></tr></thead><tbody>")
    body = "".join(f"<tr><td>{escape(_named(name, key, row))}</td><td class=n>{row['orders']}</td>"
                   + "".join(f"<td class=n>{money(row[k])}</td>" for k, _ in used)
                   + f"<td class=n>{money(row['total'])}</td></tr>"
                   for key, row in rows.items())
    total = (f"<tr class=total><th>All</th><th class=n>{data['orders']}</th>"
             + "".join(f"<th class=n>{money(data['buckets'][k]['amount'])}</th>"
                       for k, _ in used)
             + f"<th class=n>{money(data['total'])}</th></tr>")
    return head + body + "</tbody><tfoot>" + total + "</tfoot></table>"


def _named(table: str, key: str, row: dict) -> str:
    """A rule in plain words; a test by its name, with its code."""
    if table == "test" and row.get("name"):
        return f"{row['name']} ({key})"
    return row.get("name") or key


def _denials(report: Report) -> list[str]:
    """What the payers said: denials by category (bars, largest first) and by CARC, by
    payer with a denial rate, those that matched no order, the first-pass clean-claim rate,
    and this week against last."""
    data = report.remittances
    if not data.get("lines"):
        return ['<h2 id="denials">Denials</h2>',
                '<p class="empty">No remittance imported (moldx-cds remit) in this period.</p>']
    categories = sorted(((Category(key), row) for key, row in data["categories"].items()
                         if row["lines"]), key=lambda kv: (-kv[1]["amount"], kv[0].value))
    weeks = data["weeks"]
    rate, paid = data["clean_claim_rate"], data["paid_first_pass_rate"]
    return [
        '<h2 id="denials">Denials</h2>', '<div class="tiles">',
        _tile(money(data["paid"]), "paid by payers"),
        _tile(money(data["denied"]), "denied"),
        _tile(money(data["billed_to_patient"]), "billed to patients"),
        _tile("-" if rate is None else f"{rate:.0%}",
              f"first-pass clean claims: scrubbed clean, then paid "
              f"({data['claims_scrubbed_clean_and_paid']} of {data['claims_scrubbed']} "
              "scrubbed claims)"),
        _tile("-" if paid is None else f"{paid:.0%}",
              f"paid on the first adjudication ({data['claims_paid_first_pass']} of "
              f"{data['claims']} claims)"), "</div>",
        '<h2 id="by-category">Denials by category</h2>',
        _bars("categories", [(CATEGORY_NAMES[c], [("denied", row["amount"],
                                                    f"{row['lines']} lines")])
                             for c, row in categories], money),
        '<h2 id="by-carc">Denials by adjustment code</h2>',
        _simple_table("carc", ("Code", "Lines", "Denied"), [
            (code, row["lines"], money(row["amount"]))
            for code, row in data["by_carc"].items()]),
        '<h2 id="by-payer-denials">Denials by payer</h2>',
        _simple_table("payers", ("Payer", "Lines", "Denied lines", "Denial rate", "Denied"), [
            (f"{row['name']} ({payer})" if row["name"] else payer, row["lines"],
             row["denied_lines"],
             "-" if row["denial_rate"] is None else f"{row['denial_rate']:.0%}",
             money(row["denied"])) for payer, row in data["by_payer"].items()]),
        '<h2 id="unmatched">Denials that matched no order</h2>',
        f'<p>{data["unmatched"]["lines"]} line(s), {money(data["unmatched"]["amount"])}: '
        "no order the service checked has their REF*6R, or their patient, CPT and date of "
        "service.</p>",
        '<h2 id="this-week">This week against last</h2>',
        _simple_table("weeks", ("", "Denied lines", "Denied", "Paid"), [
            (label, weeks[key]["lines"], money(weeks[key]["amount"]), money(weeks[key]["paid"]))
            for key, label in (("this_week", "This week"), ("last_week", "Last week"))])]


def _worklist(report: Report) -> list[str]:
    rows = [(item["deadline"] or "-",
             "-" if item["days_left"] is None else item["days_left"],
             item["action"], item["claim"], item["line"],
             item["cpt"] or "-", CATEGORY_NAMES[Category(item["category"])],
             " ".join(item["codes"] + item["remarks"]), money(Decimal(item["billed_charge"])),
             money(Decimal(item["amount"])), item["order"] or "(no order)",
             OUTCOME_NAMES[Outcome(item["decision"])] if item["decision"] else "-")
            for item in report.worklist]
    return ['<h2 id="worklist">Worklist: what to do, by deadline</h2>',
            _simple_table("worklist", ("Deadline", "Days left", "Action", "Claim", "Line", "CPT",
                                       "Category", "Codes", "Billed", "Amount", "Order",
                                       "Order check"), rows)]


def _unnamed(report: Report) -> list[str]:
    rows = [(c["issuer"] or "(none)", c["system"], c["code"], c["display"] or "", c["orders"],
             c["calls"], c["last_seen"][:16].replace("T", " "))
            for c in report.unnamed_codes]
    return ['<h2 id="unnamed-codes">Order codes that named no test of the catalog</h2>',
            '<p>The clients\' own codes on orders that may be the lab\'s, which no row of '
            "aliases.csv maps for that client: rows to add (<code>moldx-cds report "
            "--aliases-csv</code>).</p>",
            _simple_table("unnamed-codes", ("Client (iss)", "System", "Code", "Display",
                                            "Orders", "Calls", "Last seen (UTC)"), rows)]


def _simple_table(name: str, head: Sequence[str], rows: list[tuple]) -> str:
    if not rows:
        return '<p class="empty">Nothing in this period.</p>'
    numeric = {i for i, cell in enumerate(rows[0]) if isinstance(cell, int)
               or str(cell).startswith(("$", "-$")) or str(cell).endswith("%")}
    cls = [" class=n" if i in numeric else "" for i in range(len(head))]
    return (f'<table data-table="{name}"><thead><tr>'
            + "".join(f"<th{cls[i]}>{escape(h)}</th>" for i, h in enumerate(head))
            + "</tr></thead><tbody>"
            + "".join("<tr>" + "".join(f"<td{cls[i]}>{escape(str(c))}</td>"
                                       for i, c in enumerate(row)) + "</tr>" for row in rows)
            + "</tbody></table>")


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
            "<th class=n>Fixed</th><th class=n>Fixed, list price</th></tr></thead><tbody>")
    rows = []
    for line in report.rules:
        reasons = reasons_text(line.reasons) + (
            f"; {line.comments} with a comment" if line.comments else "")
        rows.append(f"<tr><td>{escape(rule_name(line.rule))}</td>"
                    f"<td class=n>{line.findings}</td>"
                    f"<td class=n>{line.orders}</td><td class=n>{line.accepted}</td>"
                    f"<td class=n>{line.overridden}</td><td>{escape(reasons.lstrip('; '))}</td>"
                    f"<td class=n>{line.fixed}</td><td class=n>{money(line.avoided)}</td></tr>")
    return head + "".join(rows) + "</tbody></table>"
