"""What `moldx-cds check` prints: per order, its payer, each finding with its fix and the
summary of the card it would get (the reason in words), and the checks it skipped because the
payer or the coverage is not known."""

from __future__ import annotations

from cds_hooks.common import text_table
from cds_hooks.service.cards.order_edits import describe_fix
from cds_hooks.service.cards.renderer import Renderer
from plugin.codes import CodeSystems
from plugin.decision import Decision
from plugin.findings import Finding
from plugin.knowledge import Knowledge
from plugin.orders import OrderFacts

HEADER = ("ORDER", "TEST", "DATE", "PAYER", "RULE", "SEVERITY", "FIX", "REASON")

NO_PAYER_CHECKS = "Z-code, DEX status, panel coding and diagnosis coverage checks"


def summaries(decision: Decision, knowledge: Knowledge, systems: CodeSystems
              ) -> dict[tuple[str, str], str]:
    """(order, rule) -> the summary of the card that finding gets on order-sign."""
    renderer = Renderer(knowledge=knowledge, systems=systems, source_label="",
                        system_actions=False)
    found = {}
    for card in renderer.response(decision).cards:
        about = (card.extension or {}).get("davinci-crd.associated-resource") or [{}]
        for rule in card._rules:
            found.setdefault((about[0].get("reference", ""), rule), card.summary)
    return found


def skipped(facts: OrderFacts) -> str | None:
    """Why the payer's checks did not run for an order of the lab's catalog, if they did not."""
    if not facts.payer_checks_skipped:
        return None
    if facts.coverage is None:
        return f"no active Coverage is known: {NO_PAYER_CHECKS} skipped"
    identifier = facts.coverage.payer_identifier
    payer = f"payer {identifier[1]}" if identifier else "a payer without an identifier"
    return f"{payer} is not in the lab's payer list: {NO_PAYER_CHECKS} skipped"


def payer_name(facts: OrderFacts) -> str:
    if facts.payer is not None:
        return facts.payer.name
    if facts.coverage is None:
        return "(no coverage)"
    identifier = facts.coverage.payer_identifier
    return f"(unknown: {identifier[1]})" if identifier else "(unknown)"


def rows(decision: Decision, knowledge: Knowledge, systems: CodeSystems) -> list[tuple]:
    words = summaries(decision, knowledge, systems)
    table = [HEADER]
    for facts in decision.facts:
        first = (facts.order, facts.test_code or "-", str(facts.date_of_service),
                 payer_name(facts))
        findings = decision.findings_for(facts.order)
        for finding in findings:
            table.append((*first, finding.rule, finding.severity.value, _fix_text(finding),
                          words.get((facts.order, finding.rule), "")))
        if why := skipped(facts):
            table.append((*first, "skipped", "-", "", why))
        elif not findings:
            table.append((*first, "ok", "-", "", ""))
    return table


def table(decision: Decision, knowledge: Knowledge, systems: CodeSystems) -> str:
    return text_table.render(rows(decision, knowledge, systems),
                             wrap=(HEADER.index("PAYER"), HEADER.index("FIX"),
                                   HEADER.index("REASON")))


def exit_status(decision: Decision) -> int:
    """1 when a finding is a warning or a payer check was skipped: never 0 for an order whose
    payer or coverage could not be known."""
    return 0 if decision.clear else 1


def _fix_text(finding: Finding) -> str:
    return " | or ".join(describe_fix(fix) for fix in finding.fixes)
