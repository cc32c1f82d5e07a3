"""Cards about which test this is and its codes: the one coding card of an order (missing,
wrong or stale CPT and Z-code, and a panel billed with the wrong CPT), a test the catalog does
not know, and a CPT that fits several of the lab's tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cds_hooks.service.inert import markdown_value as md
from cds_hooks.service.inert import markdown_values as md_list
from cds_hooks.service.models import Action, Card, Suggestion
from plugin.codes import CodeKind
from plugin.findings import CodeChange, Finding
from plugin.knowledge import CatalogRow, Knowledge
from plugin.orders import OrderFacts
from plugin.rules import (
    ambiguous_test,
    malformed_zcode,
    mismatched_codes,
    missing_zcode,
    panel_cpt,
    stale_code,
    unknown_test,
)

from .order_edits import KIND_NAMES, describe_changes, update_action, update_to, with_codes
from .panels import panel_rule
from .parts import (
    DERIVED,
    CardBuilder,
    Namer,
    at_risk_line,
    billing_line,
    card,
    catalog_line,
    date_line,
    fit,
    period,
    sentence,
    truncate,
)

if TYPE_CHECKING:
    from .renderer import Renderer

CODE_RULES = (malformed_zcode.RULE_ID, mismatched_codes.RULE_ID, stale_code.RULE_ID,
              missing_zcode.RULE_ID, panel_cpt.RULE_ID)


def is_code_fix(finding: Finding) -> bool:
    """A finding whose fix is a code on the order: it joins the order's one coding card. A panel
    finding without a fix (the catalog's own CPT is wrong) gets a card of its own."""
    return finding.rule in CODE_RULES and bool(finding.fixes)


@dataclass(frozen=True)
class CodeFix:
    """The order's code changes as one update: the order with them, their words, and whether
    every one of them is certain."""

    resource: dict
    what: str  # `add CPT 81445 and Z-code ZL5H2`
    certain: bool

    def update(self, also: str = "") -> Action:
        """The update action (`also`: more words for its description)."""
        return update_to(self.resource, self.what + also)


def code_fix(renderer: Renderer, resource: dict, findings: list[Finding]) -> CodeFix:
    """The one update of an order's coding findings, apart from its card: when the fix is
    certain and the client applies system actions the card is not shown, so it is not made,
    and the update is made once, as the system action."""
    changes = _merged_changes(findings)
    return CodeFix(with_codes(resource, changes, renderer.systems), describe_changes(changes),
                   all(f.certain_fix for f in findings))


def coding_card(renderer: Renderer, facts: OrderFacts, findings: list[Finding],
                fix: CodeFix) -> Card:
    row = findings[0].evidence.row
    assert row is not None  # every code rule needs the catalog row
    if len(findings) == 1:
        summary = _CODE_SUMMARIES[findings[0].rule](findings[0], row)
    else:
        summary = lambda name: f"{name}: fix its billing codes"  # noqa: E731
    detail = [line for f in findings
              for line in _as_lines(_CODE_DETAILS[f.rule](f, row, renderer.knowledge))]
    detail += [catalog_line(row), date_line(facts), at_risk_line(row)]
    return card(
        summary=fit(summary, row), detail=detail, indicator="warning",
        suggestions=[Suggestion(label=sentence(fix.what), uuid=DERIVED, isRecommended=True,
                                actions=[fix.update()])],
    )


def _merged_changes(findings: list[Finding]) -> list[CodeChange]:
    """One change per kind of code across the order's code findings, the first one winning."""
    merged: dict[CodeKind, CodeChange] = {}
    for finding in findings:
        for change in finding.fixes[0].changes:
            merged.setdefault(change.kind, change)
    return list(merged.values())


def _missing_summary(finding: Finding, row: CatalogRow) -> Namer:
    payer = finding.evidence.payer
    if finding.certain_fix:
        return lambda name: f"{name}: add the billing codes {payer.name} needs"
    return lambda name: (f"{name}: confirm the test ordered to add the billing code "
                         f"{payer.name} needs")


def _mismatch_summary(finding: Finding, row: CatalogRow) -> Namer:
    return lambda name: f"{name}: a billing code on the order is another test's; replace it"


def _stale_summary(finding: Finding, row: CatalogRow) -> Namer:
    old = finding.evidence.superseded
    return lambda name: (f"{name}: a billing code on the order ended {old.effective_to}; "
                         "replace it")


def _panel_summary(finding: Finding, row: CatalogRow) -> Namer:
    return lambda name: f"{name} is billed as one panel: replace its billing code"


def _malformed_summary(finding: Finding, row: CatalogRow) -> Namer:
    return lambda name: f"{name}: a billing code on the order is mistyped; replace it"


_CODE_SUMMARIES: dict[str, Callable[[Finding, CatalogRow], Namer]] = {
    malformed_zcode.RULE_ID: _malformed_summary,
    missing_zcode.RULE_ID: _missing_summary,
    mismatched_codes.RULE_ID: _mismatch_summary,
    stale_code.RULE_ID: _stale_summary,
    panel_cpt.RULE_ID: _panel_summary,
}


def _as_lines(detail: str | list[str]) -> list[str]:
    return [detail] if isinstance(detail, str) else detail


def _missing_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> list[str]:
    payer = finding.evidence.payer
    return [f"**{payer.name}** needs the code that names the lab's test on the claim; a claim "
            "without it is returned unpaid." + _unsure(finding),
            billing_line(f"{payer.name} requires the DEX Z-code for dates of service from "
                         f"{payer.zcode_required_from}; a claim without it comes back with "
                         "CARC CO-252 and RARC N706 (the test identifier is missing).")]


def _mismatch_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    owners = dict(finding.evidence.owners)
    lines = []
    for change in finding.fixes[0].changes:
        kind = KIND_NAMES[change.kind]
        owner = owners.get(change.replaces)
        whose = f"belongs to {owner}, not to this test" if owner and owner != row.test_code \
            else "is not the one DEX assigned to this test"
        lines.append(f"{kind} {md(change.replaces)} {whose}; this test's {kind} is "
                     f"**{change.code}**.")
    lines.append("Payers deny a claim whose Z-code and CPT do not match the test performed.")
    return " ".join(lines)


def _stale_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    change, old = finding.fixes[0].changes[0], finding.evidence.superseded
    kind = KIND_NAMES[change.kind]
    return (f"{kind} {change.replaces} was this test's code until {old.effective_to}; from "
            f"{row.effective_from} it is **{change.code}**. A claim with the old code is denied.")


def _malformed_detail(finding: Finding, row: CatalogRow, knowledge: Knowledge) -> str:
    codes = md_list(finding.evidence.codes)
    return (f"{codes} is written as a Z-code but is not one: a DEX Z-code is Z and four letters "
            f"or digits (ZB123). The catalog's Z-code for this test is **{row.zcode}**."
            + _unsure(finding))


def _unsure(finding: Finding) -> str:
    if all(f.certain for f in finding.fixes):
        return ""
    return (" Only the CPT names the test, and a CPT does not tell tests apart: confirm that "
            "this is the test ordered before taking the suggestion.")


_CODE_DETAILS: dict[str, Callable[[Finding, CatalogRow, Knowledge], str | list[str]]] = {
    malformed_zcode.RULE_ID: _malformed_detail,
    missing_zcode.RULE_ID: _missing_detail,
    mismatched_codes.RULE_ID: _mismatch_detail,
    stale_code.RULE_ID: _stale_detail,
    panel_cpt.RULE_ID: lambda finding, row, knowledge: panel_rule(finding, row),
}


def unknown_test_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                      finding: Finding) -> Card:
    lab = renderer.knowledge.lab.name
    codes = ", ".join(finding.evidence.codes)
    if finding.evidence.periods:
        periods = "; ".join(period(start, end) for start, end in finding.evidence.periods)
        return card(
            summary=truncate(f"{codes} is not on the test menu of {lab} on "
                             f"{facts.date_of_service}: codes not checked"),
            detail=[f"The lab's catalog lists {md_list(finding.evidence.codes)} for "
                    f"{periods} only.",
                    date_line(facts)],
            indicator="info")
    malformed = [c for c in facts.malformed_zcodes if c in finding.evidence.codes]
    detail = [f"No test in the catalog of {lab} carries {md_list(finding.evidence.codes)}, "
              "so its CPT, Z-code and "
              "coverage could not be checked. Order the test by the lab's test code, or "
              "ask the lab which of its tests this is."]
    if malformed:
        detail.insert(0, f"{md_list(malformed)} is written as a Z-code but is not one: a "
                         "DEX Z-code is Z and four letters or digits (ZB123).")
    return card(
        summary=truncate(f"{codes} is not in the test catalog of {lab}: codes not checked"),
        detail=detail, indicator="info")


def ambiguous_card(renderer: Renderer, facts: OrderFacts, resource: dict,
                   finding: Finding) -> Card:
    cpts = ", ".join(finding.evidence.codes)
    rows = finding.evidence.candidates
    suggestions = []
    for row, fix in zip(rows, finding.fixes, strict=True):
        label = f"Order {row.test_name} ({row.test_code}), Z-code {row.zcode}"
        suggestions.append(Suggestion(
            label=label, uuid=DERIVED,
            actions=[update_action(renderer.systems, resource, fix.changes,
                                   describe_changes(fix.changes))]))
    return card(
        summary=truncate(f"CPT {cpts} fits {len(rows)} of the lab's tests: choose the test "
                         "ordered"),
        detail=["Each of these tests is billed with CPT " + md_list(finding.evidence.codes)
                + " and has its own "
                "Z-code; the claim needs the one of the test performed:",
                *(f"- {r.test_name} ({r.test_code}): Z-code {r.zcode}" for r in rows),
                date_line(facts)],
        indicator="info", suggestions=suggestions)


CARDS: dict[str, CardBuilder] = {
    unknown_test.RULE_ID: unknown_test_card,
    ambiguous_test.RULE_ID: ambiguous_card,
}
