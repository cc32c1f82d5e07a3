"""The edits only a claim has: what the 837P itself says beyond the codes an order also
carries (the billing NPI, modifiers, units across lines, the HI segment, SV107 pointers).
Each check reads one line with the other lines of its claim and returns findings like the
order rules'. A certain fix here, as there, is made only when `doubt` finds none, or when it
changes only how a code is written (the code itself stays)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .claim_lines import ClaimLine, Doubt, written_zcode
from .findings import Evidence, Finding, Severity
from .knowledge import Knowledge
from .orders import OrderFacts
from .rules.scope import uses_dex


@dataclass(frozen=True)
class Line:
    """One claim line with its facts and the lines of its claim (itself included)."""

    line: ClaimLine
    facts: OrderFacts
    claim: tuple[ClaimLine, ...]


def other_billing_provider(c: Line, knowledge: Knowledge) -> list[Finding]:
    """Billed under another NPI: the lab's catalog cannot say which test it is."""
    if c.facts.doubt != Doubt.OTHER_PROVIDER:
        return []
    return [Finding("other-billing-provider", Severity.WARNING, c.facts.order,
                    Evidence(npis=(c.line.billing_npi or "(none)", knowledge.lab.npi),
                             codes=_codes(c.line)))]


def referred_test(c: Line, knowledge: Knowledge) -> list[Finding]:
    """Modifier 90: the Z-code must be the performing lab's (CGS CM00098). The line is a
    warning when SV101-7 holds no Z-code or this lab's own; another lab's Z-code is taken as
    the performing lab's, unchecked."""
    if c.facts.doubt != Doubt.REFERRED or not uses_dex(c.facts):
        return []
    zcode = written_zcode(c.line)
    own = knowledge.catalog.test_for_zcode(zcode) if zcode else None
    row = knowledge.catalog.row_on(own, c.line.date_of_service) if own else None
    severity = Severity.INFO if zcode and not own else Severity.WARNING
    return [Finding("referred-test", severity, c.facts.order,
                    Evidence(row=row, payer=c.facts.payer, codes=(zcode,) if zcode else ()))]


def _codes(line: ClaimLine) -> tuple[str, ...]:
    return tuple(code for code in (line.cpt, written_zcode(line)) if code)


CHECKS: tuple[Callable[[Line, Knowledge], list[Finding]], ...] = (
    other_billing_provider, referred_test)
CLAIM_RULE_IDS = ("other-billing-provider", "referred-test")


def check_claims(lines: Sequence[ClaimLine], facts: Sequence[OrderFacts],
                 knowledge: Knowledge) -> list[Finding]:
    """Every claim check on every line (`facts`: the lines' facts, keyed by ClaimLine.key)."""
    by_claim: dict[str, list[ClaimLine]] = {}
    for line in lines:
        by_claim.setdefault(line.claim, []).append(line)
    fact_of = {f.order: f for f in facts}
    return [finding for line in lines for check in CHECKS
            for finding in check(Line(line, fact_of[line.key], tuple(by_claim[line.claim])),
                                 knowledge)]
