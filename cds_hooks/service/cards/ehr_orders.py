"""Cards about orders as EHRs code them: a generic order code that fits several of the lab's
tests, billing options that disagree with the test ordered, and a request with no insurance
coverage on file (the payer's checks not run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_values as md_list
from cds_hooks.service.models import Card, Suggestion
from cds_hooks.service.prefetch import COVERAGE, Gap
from plugin.decision import Decision
from plugin.findings import Finding
from plugin.orders import OrderFacts
from plugin.rules import billing_option, generic_code

from .order_edits import describe_changes, update_action
from .parts import (
    DERIVED,
    CardBuilder,
    billing_line,
    card,
    catalog_line,
    date_line,
    fit,
    order_name,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer

# The checks that need the patient's insurer, in a clinician's words.
NOT_RUN = ("whether the insurer pays for the test, the billing codes it needs on the claim, and "
           "whether the diagnosis is one it covers")


def generic_code_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                      finding: Finding) -> Card:
    rows = finding.evidence.candidates
    suggestions = [
        Suggestion(label=f"Order {row.test_name} ({row.test_code})", uuid=DERIVED,
                   actions=[update_action(renderer.systems, resource, fix.changes,
                                          describe_changes(fix.changes))])
        for row, fix in zip(rows, finding.fixes, strict=True)]
    return card(
        summary=truncate(f"The test ordered fits {len(rows)} of the lab's tests: choose the "
                         "one to perform"),
        detail=[f"The order's code {md_list(finding.evidence.codes)} stands for a kind of test, "
                "and the lab performs several tests of that kind:",
                *(f"- {r.test_name} ({r.test_code})" for r in rows),
                "Choose the test meant, so that the lab performs it and the claim carries its "
                "codes.", date_line(facts),
                billing_line("the lab's order compendium (aliases.csv) maps this code to "
                             "several tests; each has its own CPT and DEX Z-code: " + "; ".join(
                                 f"{r.test_code} CPT {r.cpt or 'none yet'}, Z-code {r.zcode}"
                                 for r in rows) + ".")],
        indicator="info", suggestions=suggestions)


def billing_option_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                        finding: Finding) -> Card:
    row = finding.evidence.row
    options = ", ".join(finding.evidence.codes)
    return card(
        summary=fit(lambda name: f"The billing code the order expects does not match "
                    f"{name}: check the test ordered", row),
        detail=[f"The order was placed as {order_name(facts)}, but the billing codes it was sent "
                "with belong to a different test. Check that this is the test meant; if it is, "
                "the claim will carry the test's own code.", catalog_line(row), date_line(facts),
                billing_line(f"the order's Da Vinci CRD billing options (ext-billing-options) "
                             f"list CPT {md_list(finding.evidence.codes)}; the lab's catalog "
                             f"bills {row.test_code} under CPT **{row.cpt}**, not {options}.")],
        indicator="warning")


def no_coverage_card(decision: Decision, gaps: Sequence[Gap]) -> Card | None:
    """One card for a request whose orders of the lab have no active Coverage: the payer's
    checks did not run, and CRD coverage information cannot be recorded without a Coverage to
    refer to. `moldx-cds check` says the same per order (its `skipped`). A coverage that could
    not be read is not said to be missing: the card of the data not read says so."""
    if any(g.about == COVERAGE.about for g in gaps) or not any(
            f.coverage is None and f.payer_checks_skipped for f in decision.facts):
        return None
    return card(
        summary="No active insurance coverage is on file for this patient: the payment "
                "checks did not run",
        detail=[f"Without the patient's insurance, these checks were not made: {NOT_RUN}. "
                "Add the patient's coverage to the chart and sign again to have them made.",
                billing_line("no active Coverage was found (none in prefetch, none on the "
                             "order's insurance), so the Z-code, DEX status, panel coding and "
                             "diagnosis coverage checks were skipped and no Da Vinci CRD "
                             "coverage information was recorded on the order.")],
        indicator="info")


CARDS: dict[str, CardBuilder] = {
    generic_code.RULE_ID: generic_code_card,
    billing_option.RULE_ID: billing_option_card,
}
