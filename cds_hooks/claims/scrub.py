"""Scrubbing an 837P before it leaves: per claim and line, the claim edits the order rules
find, as a table for a biller or the JSON a clearinghouse reads."""

from __future__ import annotations

from dataclasses import dataclass

from plugin.decision import ClaimDecision, decide_claims
from plugin.knowledge import Knowledge

from .claim837 import BilledLine, read_claims
from .edits import ClaimEdit, edit
from .x12 import X12File

HEADER = ("CLAIM", "LINE", "CPT", "Z-CODE", "RULE", "SEVERITY", "FIX", "MESSAGE")


@dataclass(frozen=True)
class Scrub:
    x12: X12File
    lines: tuple[BilledLine, ...]
    decision: ClaimDecision
    edits: dict[str, tuple[ClaimEdit, ...]]  # by ClaimLine.key

    def as_json(self) -> dict:
        claims: dict[str, list[dict]] = {}
        for billed in self.lines:
            line = billed.line
            claims.setdefault(line.claim, []).append({
                "line": line.line, "cpt": line.cpt, "zcode": line.zcode,
                "findings": [e.as_json() for e in self.edits[line.key]]})
        return {"claims": [{"claim": claim, "lines": lines} for claim, lines in claims.items()]}

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
        rows = self.rows()
        widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
        return "\n".join("  ".join([*(cell.ljust(w) for cell, w in zip(row, widths,
                                                                        strict=False)),
                                    row[-1]]).rstrip() for row in rows)


def scrub(text: str, knowledge: Knowledge, max_loops: int | None = None) -> Scrub:
    """Read, validate and check `text`, an 837P. Raises X12Invalid, or X12TooCostly past
    `max_loops` HL and LX loops."""
    x12, lines = read_claims(text, max_loops)
    decision = decide_claims([b.line for b in lines], knowledge)
    by_key = {f.order: f for f in decision.facts}
    edits: dict[str, list[ClaimEdit]] = {b.line.key: [] for b in lines}
    for finding in decision.findings:
        edits[finding.order].append(edit(finding, by_key[finding.order]))
    return Scrub(x12, tuple(lines), decision, {k: tuple(v) for k, v in edits.items()})
