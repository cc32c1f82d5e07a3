"""Cards about checks that did not run: data the call could not read, a payer the lab does not
know, a coverage article with no usable version."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_value as md
from cds_hooks.service.models import Card
from cds_hooks.service.prefetch import Gap
from plugin.findings import Finding
from plugin.orders import OrderFacts
from plugin.rules import policy_unavailable, unknown_payer

from .parts import (
    CardBuilder,
    article_link,
    card,
    catalog_line,
    date_line,
    fit,
    sentence,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer


def gaps_card(gaps: Sequence[Gap]) -> Card:
    """One card saying which checks could not run for want of data, and why."""
    what = " and ".join(dict.fromkeys(g.about for g in gaps))
    return card(
        summary=truncate(sentence(f"{what} could not be read: some checks did not run")),
        detail=[f"- {sentence(g.about)}: {g.reason}. Not checked: {g.check}."
                for g in gaps],
        indicator="info")


def unknown_payer_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                       finding: Finding) -> Card:
    identifier = finding.evidence.payer_identifier
    payer = f"payer {identifier[1]}" if identifier else "a payer without an identifier"
    payer_md = f"payer {md(identifier[1])}" if identifier else payer
    where = f" ({md(identifier[0])})" if identifier and identifier[0] else ""
    coverage = md(facts.coverage.coverage) if facts.coverage.coverage else "Coverage"
    return card(
        summary=truncate(f"The lab does not know {payer}: its billing and coverage checks "
                         "were skipped"),
        detail=[f"The order's coverage ({coverage}) names {payer_md}"
                f"{where}, which is not in the payer list of {renderer.knowledge.lab.name}. "
                "Whether it requires DEX Z-codes or follows the MolDX coding and coverage "
                "articles is unknown, so those checks were not made; the checks that need no "
                "payer were.",
                "Ask the lab to add the payer to its payer list."],
        indicator="info")


def policy_unavailable_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                            finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    article = evidence.article_id
    if evidence.article is not None:
        contract = renderer.knowledge.lab.medicare_part_b_contract
        why = (f"{article} is not an article of the lab's Medicare contractor (Part B "
               f"contract {contract}), which Medicare Part B claims go to")
    elif renderer.knowledge.policy.has(article):
        why = f"{article} has no version in force on {facts.date_of_service}"
    else:
        why = (f"the coverage policy loaded does not hold {article} (load it with `moldx-cds "
               f"policy import` or `moldx-cds policy sync --article {article}`)")
    return card(
        summary=fit(lambda name: f"{name}: the diagnosis could not be checked against the "
                    "payer's coverage policy", row),
        detail=[f"The lab's catalog names billing article **{article}** for this test, but "
                f"{why}. The diagnosis was not checked against the coverage policy.",
                catalog_line(row), date_line(facts)],
        indicator="info", links=[article_link(article)])


CARDS: dict[str, CardBuilder] = {
    unknown_payer.RULE_ID: unknown_payer_card,
    policy_unavailable.RULE_ID: policy_unavailable_card,
}
