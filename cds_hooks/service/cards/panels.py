"""Cards about how panels are billed under the MolDX article: the catalog's own CPT that does
not fit the panel, units of service, one comprehensive profile per specimen, and single-gene
codes for genes a panel on the same specimen already tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_value as md
from cds_hooks.service.inert import markdown_values as md_list
from cds_hooks.service.models import Card, Suggestion
from plugin.findings import Finding
from plugin.knowledge import CatalogRow
from plugin.orders import OrderFacts
from plugin.rules import (
    cgp_specimen,
    panel_cpt,
    parallel_orders,
    repeat_cgp,
    single_gene_in_panel,
    test_indication,
    units_of_service,
)

from .order_edits import drop_order, fix_action, replace_order
from .parts import (
    DERIVED,
    TCGP_ARTICLE,
    CardBuilder,
    billing_line,
    card,
    catalog_line,
    date_line,
    fit,
    number,
    order_name,
    other_line,
    specimen_words,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer


def panel_rule(finding: Finding, row: CatalogRow) -> str:
    allowed = ", ".join(finding.evidence.expected)
    kind = {"cgp": "a comprehensive genomic profile", "rna-panel": "an RNA panel"}.get(
        row.panel_kind.value, f"a {row.nucleic_acid.value} panel of {row.gene_count} genes")
    return (f"The MolDX article *{TCGP_ARTICLE}* codes {kind} as CPT **{allowed}**, one unit "
            f"of service; {md_list(finding.evidence.codes)} does not fit it.")


def panel_card(renderer: Renderer, facts: OrderFacts, resource: dict,
               finding: Finding) -> Card:
    """The catalog's own CPT does not fit the panel: only the lab can correct it with DEX."""
    row = finding.evidence.row
    wrong = ", ".join(finding.evidence.codes)
    return card(
        summary=fit(lambda name: f"{name}: its CPT {wrong} does not fit the panel; the lab "
                    "should review it", row),
        detail=[panel_rule(finding, row),
                (f"The lab's catalog bills this test with CPT {row.cpt}" if row.cpt else
                 "The lab's catalog has no CPT for this test yet") + ". A code on the order "
                "cannot fix this: the lab should have DEX review the CPT assigned to Z-code "
                f"{row.zcode}.", catalog_line(row), date_line(facts)],
        indicator="warning")


def units_card(renderer: Renderer, facts: OrderFacts, resource: dict,
               finding: Finding) -> Card:
    row, units = finding.evidence.row, number(finding.evidence.quantity)
    return card(
        summary=fit(lambda name: f"Bill {name} as one unit of service, not {units}", row),
        detail=[f"The order asks for {units} units. An NGS panel is one unit of service "
                f"(*{TCGP_ARTICLE}*); more units are denied.", catalog_line(row),
                date_line(facts)],
        indicator="warning",
        suggestions=[Suggestion(
            label="Set the quantity to 1", uuid=DERIVED, isRecommended=True,
            actions=[fix_action(resource, renderer.systems, finding.fixes[0])])])


def cgp_specimen_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                      finding: Finding) -> Card:
    evidence, name = finding.evidence, order_name(facts)
    specimen = specimen_words(facts, evidence)
    if cgp_specimen.is_cgp(facts):
        summary = ("Second comprehensive genomic profile on one specimen: only one per "
                   "specimen is covered")
    else:
        summary = (f"{name} is on a specimen with a comprehensive genomic profile: no further "
                   "molecular test on it is covered")
    return card(
        summary=truncate(summary),
        detail=[f"{specimen[:1].upper()}{specimen[1:]} also has:",
                *map(other_line, evidence.others),
                f"Coverage of a comprehensive genomic profile is limited to one test per "
                f"surgical specimen and precludes any further molecular testing on that "
                f"specimen (*{TCGP_ARTICLE}*). Drop this order, or record on each order the "
                "specimen it is for if they differ.", date_line(facts)],
        indicator="warning", suggestions=drop_order(resource, finding))


def single_gene_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                     finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    genes = sorted(row.genes & frozenset().union(*(o.row.genes for o in evidence.others)))
    return card(
        summary=fit(lambda name: f"{name}: {', '.join(genes)} is already tested by a panel on "
                    "the same specimen", row),
        detail=[f"CPT {md_list(evidence.codes)} is a Tier 1/Tier 2 single-gene code. MolDX "
                "does not pay such codes for genes tested in an NGS or other multiplex panel "
                f"(*{TCGP_ARTICLE}*), and {specimen_words(facts, evidence)} has:",
                *map(other_line, evidence.others), catalog_line(row), date_line(facts)],
        indicator="warning", suggestions=drop_order(resource, finding))


def indication_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                    finding: Finding) -> Card:
    """The test is for the other kind of neoplasm than every diagnosis: a question for the
    person who ordered it, never a code to change."""
    evidence, row = finding.evidence, finding.evidence.row
    test_kind, other = _KINDS[evidence.neoplasm], _KINDS[_OTHER[evidence.neoplasm]]
    codes = md_list(evidence.codes)
    return card(
        summary=fit(lambda name: f"{name} is a {test_kind} test, but the diagnosis is "
                    f"{other}: check the test ordered", row),
        detail=[f"The order's diagnoses ({codes}) are {other} neoplasms; {row.test_name} is a "
                f"{test_kind} test. MolDX covers solid-tumour NGS tests and hematolymphoid "
                "ones under different policies, so the claim will not meet the policy of "
                "either. Order the test that fits the indication, or correct the diagnosis if "
                "it is wrong. Its CPT is not the problem: do not change it.",
                catalog_line(row), date_line(facts)],
        indicator="warning",
        suggestions=[replace_order(resource, alt, renderer.systems,
                                   f"Order {alt.test_name} instead")
                     for alt in evidence.alternatives])


_KINDS = {"solid": "solid-tumour", "hematolymphoid": "hematolymphoid"}
_OTHER = {"solid": "hematolymphoid", "hematolymphoid": "solid"}


def one_service_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                     finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    cpt = evidence.expected[0]
    what, why, billed = _ONE_SERVICE[evidence.combination]
    if evidence.alternatives:
        why += " The suggestion orders the lab's test that does both in place of these orders."
    else:
        why += (f" The lab's catalog has no test that combines them: ask "
                f"{renderer.knowledge.lab.name} how to order them as one service. No order is "
                "dropped here, so no test is lost.")
    detail = [f"These draft orders are on {specimen_words(facts, evidence)}:",
              f"- {row.test_name} ({row.test_code}): this order ({md(facts.order)})",
              *map(other_line, evidence.others), why]
    if evidence.combination == parallel_orders.DNA_AND_RNA:
        detail.append("If the RNA panel is run serially, after the DNA panel, as a separate "
                      "service with its own order and report, it is billed on its own: "
                      "override this warning.")
    detail += [billing_line(billed.format(cpt=cpt, article=TCGP_ARTICLE)), date_line(facts)]
    drop = tuple(o.order for o in evidence.others if o.draft)
    return card(
        summary=truncate(f"{what} on one specimen are one service, CPT {cpt}: combine the "
                         "orders"),
        detail=detail, indicator="warning",
        suggestions=[replace_order(resource, alt, renderer.systems,
                                   f"Order {alt.test_name} in place of these "
                                   f"{len(drop) + 1} orders", drop)
                     for alt in evidence.alternatives])


_ONE_SERVICE = {  # what, why (for the clinician), how it is billed
    parallel_orders.PANEL_AND_MSI: (
        "A DNA panel and an MSI test",
        "A DNA panel that also reports microsatellite instability is one test, billed once.",
        "one service, CPT **{cpt}**, with the panel's Z-code (*{article}*)."),
    parallel_orders.DNA_AND_RNA: (
        "A DNA panel and an RNA panel",
        "A DNA panel and an RNA panel performed together are one test, billed once.",
        "one service, CPT **{cpt}**, with one Z-code (*{article}*)."),
    parallel_orders.SINGLE_GENES: (
        "Single-gene tests",
        "Two or more genes tested in parallel on one date of service for one indication are "
        "one panel test, billed once, not as several single-gene tests.",
        "one panel service, CPT **{cpt}** with one Z-code, not several single-gene codes "
        "(MolDX *Defining panel services*, A59687; *Testing of multiple genes*, A58120)."),
}


def repeat_cgp_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                    finding: Finding) -> Card:
    evidence = finding.evidence
    return card(
        summary=fit(lambda name: f"{name}: the patient already has a comprehensive genomic "
                    "profile for this cancer; a repeat may not be covered", evidence.row),
        detail=["The patient has, on another specimen:", *map(other_line, evidence.others),
                "Medicare covers NGS testing for a cancer once per primary diagnosis unless "
                "the cancer has progressed or a new primary is documented (the NGS national "
                "coverage determination 90.2 and its local coverage determinations). Check "
                "the record before signing; this is a question of frequency, not of the "
                "specimen.", catalog_line(evidence.row), date_line(facts)],
        indicator="warning")


CARDS: dict[str, CardBuilder] = {
    repeat_cgp.RULE_ID: repeat_cgp_card,
    test_indication.RULE_ID: indication_card,
    parallel_orders.RULE_ID: one_service_card,
    panel_cpt.RULE_ID: panel_card,
    units_of_service.RULE_ID: units_card,
    cgp_specimen.RULE_ID: cgp_specimen_card,
    single_gene_in_panel.RULE_ID: single_gene_card,
}
