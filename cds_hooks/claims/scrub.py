"""Scrubbing an 837P before it leaves: per claim and line, the claim edits the order rules
find, as a table for a biller or the JSON a clearinghouse reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from cds_hooks.common import text_table
from cds_hooks.store import claim_history
from cds_hooks.store.db import Store, StoreError
from plugin.claim_lines import ClaimLine
from plugin.decision import ClaimDecision, decide_claims
from plugin.knowledge import Knowledge

from .claim837 import BilledLine, read_claims
from .edits import ClaimEdit, edit
from .x12 import X12File

log = logging.getLogger("moldx_cds.scrub")

HEADER = ("CLAIM", "LINE", "CPT", "Z-CODE", "RULE", "SEVERITY", "FIX", "MESSAGE")


@dataclass(frozen=True)
class Scrub:
    x12: X12File
    lines: tuple[BilledLine, ...]
    decision: ClaimDecision
    edits: dict[str, tuple[ClaimEdit, ...]]  # by ClaimLine.key
    earlier_checked: bool = False  # the claims of earlier files were looked at (the store)

    def as_json(self) -> dict:
        claims: dict[str, list[dict]] = {}
        for billed in self.lines:
            line = billed.line
            claims.setdefault(line.claim, []).append({
                "line": line.line, "cpt": line.cpt, "zcode": line.zcode,
                "findings": [e.as_json() for e in self.edits[line.key]]})
        return {"claims": [{"claim": claim, "lines": lines} for claim, lines in claims.items()],
                "earlier_claims_checked": self.earlier_checked,
                "look_back_days": claim_history.LOOK_BACK_DAYS}

    def rows(self) -> list[tuple[str, ...]]:
        table = [HEADER]
        for billed in self.lines:
            line = billed.line
            first = (line.claim, line.line, line.cpt or "-", line.zcode or "-")
            for e in self.edits[line.key]:
                table.append((*first, e.rule, e.severity, e.fix or "", e.message))
            if not self.edits[line.key]:
                table.append((*first, "ok", "-", "", ""))
        return table

    def table(self) -> str:
        return text_table.render(self.rows(), wrap=(HEADER.index("FIX"),
                                                    HEADER.index("MESSAGE")))


def _earlier(store: Store | None, lines: list[ClaimLine]) -> list[ClaimLine] | None:
    """The patients' claim lines seen before; None when there is no store to ask or it
    cannot be read (the file is still checked, and the answer says what was not)."""
    if store is None:
        return None
    try:
        return claim_history.earlier(store, lines)
    except StoreError as bad:
        log.warning("earlier claims not looked for: the store cannot be used (%s)", bad)
        return None


def _remember(store: Store, lines: list[ClaimLine], decision: ClaimDecision) -> None:
    """Keep the lines, and which claims are clean as the exit status counts it: the report's
    first-pass clean-claim rate is of claims scrubbed clean."""
    keys: dict[str, set[str]] = {}
    for line in lines:
        keys.setdefault(line.claim, set()).add(line.key)
    clean = {claim for claim, mine in keys.items() if decision.clear_of(mine)}
    try:
        claim_history.remember(store, lines, clean)
    except StoreError as bad:  # the answer stands; only a later file's look back is poorer
        log.warning("claim lines not kept: the store cannot be used (%s)", bad)


def scrub(text: str, knowledge: Knowledge, store: Store | None = None,
          max_loops: int | None = None) -> Scrub:
    """Read, validate and check `text`, an 837P, with the patients' claims `store` has seen
    before, and keep this file's lines there. Raises X12Invalid, or X12TooCostly past
    `max_loops` HL and LX loops."""
    x12, lines = read_claims(text, max_loops)
    claim_lines = [b.line for b in lines]
    seen = _earlier(store, claim_lines)
    decision = decide_claims(claim_lines, knowledge, seen or ())
    if store and seen is not None:
        _remember(store, claim_lines, decision)
    by_key = {f.order: f for f in decision.facts}
    edits: dict[str, list[ClaimEdit]] = {b.line.key: [] for b in lines}
    for finding in decision.findings:
        edits[finding.order].append(edit(finding, by_key[finding.order]))
    return Scrub(x12, tuple(lines), decision, {k: tuple(v) for k, v in edits.items()},
                 earlier_checked=seen is not None)
