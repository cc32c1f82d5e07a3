"""What the cards of every family are made of: the plain card, the lines many of them carry
(catalog, date of service, amount at risk), and summaries that fit the CDS Hooks limit."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_value as md
from cds_hooks.service.models import Card, Link, Source, Suggestion
from plugin.findings import Finding, OtherOrder
from plugin.knowledge import DEMO_DIR, CatalogRow, DexStatus, Knowledge
from plugin.knowledge.policy import ARTICLE_URL
from plugin.orders import DateSource, OrderFacts

if TYPE_CHECKING:
    from .renderer import Renderer

SUMMARY_LIMIT = 139


# Every card's and suggestion's uuid is derived from the hook call in Renderer._envelope.
DERIVED = ""


TCGP_ARTICLE = "MolDX: Targeted and Comprehensive Genomic Profile Testing in Cancer"


Namer = Callable[[str], str]  # test name or code -> summary


# A family's card for one finding; its suggestions update the order as received.
CardBuilder = Callable[["Renderer", OrderFacts, dict, Finding], Card]


class Billing(str):
    """A detail line for the lab's billing staff: codes, dates and amounts a clinician does
    not act on. The card puts these last, under one "For billing staff:" heading."""


BILLING_HEADING = "For billing staff:"


def card(*, summary: str, detail: list[str], indicator: str,
         suggestions: list[Suggestion] | None = None, links: list[Link] | None = None) -> Card:
    """A card before its envelope (Renderer._envelope), which sets its uuid and source. The
    clinician's paragraphs come first (a person acts in two seconds on at most three); the
    Billing lines after them, as one list."""
    clinician: list[str] = []
    for line in detail:
        if not line or isinstance(line, Billing):
            continue
        if line.startswith("- ") and clinician:  # a list item belongs to the paragraph above
            clinician[-1] += "\n" + line
        else:
            clinician.append(line)
    billing = [line for line in detail if line and isinstance(line, Billing)]
    return Card(
        uuid=DERIVED, summary=summary, detail=detail_text(clinician, billing),
        indicator=indicator, source=Source(label=""),
        suggestions=suggestions or None,
        selectionBehavior="at-most-one" if suggestions else None, links=links or None)


def detail_text(clinician: list[str], billing: list[str]) -> str:
    section = [BILLING_HEADING + "".join(f"\n- {line}" for line in billing)] if billing else []
    return "\n\n".join([*clinician, *section])


def detail_parts(text: str) -> tuple[list[str], list[str]]:
    """detail_text's inverse: the clinician's paragraphs and the billing lines."""
    clinician, _, billing = text.partition(BILLING_HEADING)
    return ([p for p in clinician.split("\n\n") if p.strip()],
            [line[2:] for line in billing.splitlines() if line.startswith("- ")])


def catalog_line(row: CatalogRow) -> Billing:
    cpt = f"CPT **{row.cpt}**" if row.cpt else "no CPT yet"
    return Billing(f"Catalog: **{row.test_name}** ({row.test_code}), {cpt}, Z-code "
                   f"**{row.zcode}**, DEX status: {DEX_STATUS_WORDS[row.dex_status]}.")


DEX_STATUS_WORDS = {
    DexStatus.REGISTERED: "registered, no CPT or coverage decision yet",
    DexStatus.TA_PENDING: "technical assessment pending",
    DexStatus.TA_NOT_SUCCESSFUL: "technical assessment not successful",
    DexStatus.COVERED: "covered",
    DexStatus.NOT_COVERED: "not covered",
    DexStatus.RETIRED: "retired",
}


def demo_policy_line(knowledge: Knowledge) -> str:
    """Said on every card citing an article when the policy is the embedded demo excerpt."""
    if not Path(knowledge.policy.source or "").is_relative_to(DEMO_DIR):
        return ""
    return Billing("Source: the demo policy pack, an excerpt of the article made for trying "
                   "the service (demo data, not for billing).")


def billing_line(text: str) -> Billing:
    """Codes and terms for the lab's billing staff, apart from the clinician's text."""
    return Billing(sentence(text))


def date_line(facts: OrderFacts) -> Billing:
    return Billing(_date_words(facts))


def _date_words(facts: OrderFacts) -> str:
    """Which date every window was judged on, and why that one (42 CFR 414.510: the day the
    specimen was collected)."""
    if facts.date_source is DateSource.SPECIMEN:
        specimen = f"the {md(facts.specimen_label.lower())} specimen" if facts.specimen_label \
            else "its specimen"
        return (f"Date of service: {facts.date_of_service}, the day {specimen} was collected "
                "(for a lab test, the collection date).")
    source = {DateSource.OCCURRENCE: "the order's occurrence date; no specimen collection "
                                     "date was known",
              DateSource.AUTHORED: "the day the order was written; no specimen collection or "
                                   "occurrence date was known"}.get(facts.date_source)
    if source:
        return f"Date of service: {facts.date_of_service} ({source})."
    return f"The order carries no date of service; checked for today, {facts.date_of_service}."


def at_risk_line(row: CatalogRow) -> str:
    return Billing(f"Amount at risk: ${_money(row.list_price_usd)} (list price).") \
        if row.list_price_usd else ""


def _money(amount: Decimal) -> str:
    return f"{amount:,.2f}"


def period(start: date, end: date | None) -> str:
    return f"{start} to {end}" if end else f"{start} on"


def fit(summary: Namer, row: CatalogRow) -> str:
    """The summary naming the test by name when that fits, else by its shorter code."""
    by_name = summary(row.test_name)
    return by_name if len(by_name) <= SUMMARY_LIMIT else truncate(summary(row.test_code))


def truncate(text: str) -> str:
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1].rstrip() + "…"


def sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def reference(resource: dict) -> str:
    return f"{resource.get('resourceType')}/{resource.get('id')}"


def other_line(other: OtherOrder) -> str:
    test = f"{other.row.test_name} ({other.row.test_code})" if other.row else "a molecular test"
    return f"- {test}: {'a draft order of this request' if other.draft else 'an existing order'}" \
        f" ({md(other.order)})"


def specimen_words(facts: OrderFacts, evidence) -> str:
    """The specimen a rule per specimen speaks of, as a person knows it."""
    if evidence.assumed_specimen:
        return ("one specimen (the orders name none, so they are taken to be on the same "
                "specimen)")
    if facts.specimen_label and facts.date_source is DateSource.SPECIMEN:
        return (f"the same specimen ({md(facts.specimen_label.lower())}, collected "
                f"{facts.date_of_service})")
    return "the same specimen"


def order_name(facts: OrderFacts) -> str:
    row = facts.row
    return row.test_name if row and len(row.test_name) <= 50 else (
        facts.test_code or facts.order)


def article_link(article: str, version: int | None = None) -> Link:
    label = f"{article} version {version} (CMS MCD)" if version else f"{article} (CMS MCD)"
    return Link(label=label, url=ARTICLE_URL.format(article[1:]))


def number(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"
