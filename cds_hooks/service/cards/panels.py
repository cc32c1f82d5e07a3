"""Cards about how panels are billed under the MolDX article: the catalog's own CPT that does
not fit the panel, units of service, one comprehensive profile per specimen, and single-gene
codes for genes a panel on the same specimen already tests."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cds_hooks.service.models import Card, Suggestion
from plugin.findings import Finding
from plugin.knowledge import CatalogRow
from plugin.orders import OrderFacts
from plugin.rules import cgp_specimen, panel_cpt, single_gene_in_panel, units_of_service

from .order_edits import drop_order, fix_action
from .parts import (
    DERIVED,
    TCGP_ARTICLE,
    CardBuilder,
    card,
    catalog_line,
    date_line,
    fit,
    number,
    order_name,
    other_line,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer


def panel_rule(finding: Finding, row: CatalogRow) -> str:
    allowed = ", ".join(finding.evidence.expected)
    kind = {"cgp": "a comprehensive genomic profile", "rna-panel": "an RNA panel"}.get(
        row.panel_kind.value, f"a {row.nucleic_acid.value} panel of {row.gene_count} genes")
    return (f"The MolDX article *{TCGP_ARTICLE}* codes {kind} as CPT **{allowed}**, one unit "
            f"of service; {', '.join(finding.evidence.codes)} does not fit it.")


def panel_card(renderer: Renderer, facts: OrderFacts, resource: dict,
               finding: Finding) -> Card:
    """The catalog's own CPT does not fit the panel: only the lab can correct it with DEX."""
    row = finding.evidence.row
    wrong = ", ".join(finding.evidence.codes)
    return card(
        summary=fit(lambda name: f"CPT {wrong} of {name} does not fit the panel: the lab "
                    "should review it with DEX", row),
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
    if cgp_specimen.is_cgp(facts):
        summary = (f"Second comprehensive genomic profile on {evidence.specimen}: MolDX covers "
                   "one per specimen")
    else:
        summary = (f"{name} is on a specimen with a comprehensive genomic profile: no further "
                   "molecular test is covered")
    return card(
        summary=truncate(summary),
        detail=[f"Specimen {evidence.specimen} also has:", *map(other_line, evidence.others),
                f"Coverage of a comprehensive genomic profile is limited to one test per "
                f"surgical specimen and precludes any further molecular testing on that "
                f"specimen (*{TCGP_ARTICLE}*). Use another specimen, or drop this order.",
                date_line(facts)],
        indicator="warning", suggestions=drop_order(resource, finding))


def single_gene_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                     finding: Finding) -> Card:
    evidence, row = finding.evidence, finding.evidence.row
    genes = sorted(row.genes & frozenset().union(*(o.row.genes for o in evidence.others)))
    return card(
        summary=fit(lambda name: f"{name}: {', '.join(genes)} is already tested by a panel on "
                    f"{evidence.specimen}", row),
        detail=[f"CPT {', '.join(evidence.codes)} is a Tier 1/Tier 2 single-gene code. MolDX "
                "does not pay such codes for genes tested in an NGS or other multiplex panel "
                f"(*{TCGP_ARTICLE}*), and specimen {evidence.specimen} has:",
                *map(other_line, evidence.others), catalog_line(row), date_line(facts)],
        indicator="warning", suggestions=drop_order(resource, finding))


CARDS: dict[str, CardBuilder] = {
    panel_cpt.RULE_ID: panel_card,
    units_of_service.RULE_ID: units_card,
    cgp_specimen.RULE_ID: cgp_specimen_card,
    single_gene_in_panel.RULE_ID: single_gene_card,
}
