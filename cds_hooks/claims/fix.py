"""The 837P with every certain fix applied: the Z-code into SV101-7, the CPT in SV101-2, one
unit in SV104, a diagnosis in HI written without its dot. Only those segments change; every
other byte of the file stays as it was, and SE01 is recounted (the fixes add no segment, so it
changes only if it was wrong)."""

from __future__ import annotations

from plugin.codes import CodeKind
from plugin.findings import Fix

from .claim837 import BilledLine
from .scrub import Scrub
from .x12 import X12Segment

_PLACE = {CodeKind.CPT: "SV101-2", CodeKind.ZCODE: "SV101-7"}


def certain_fixes(result: Scrub) -> list[tuple[BilledLine, Fix]]:
    """The certain fixes a file can take unasked, with their lines: a dropped line or a choice
    is for a person."""
    billed = {b.line.key: b for b in result.lines}
    return [(billed[finding.order], fix) for finding in result.decision.findings
            if (fix := finding.certain_fix) and not fix.cancel]


def fixed_text(text: str, result: Scrub) -> tuple[str, int]:
    """`text` with the certain fixes applied, and how many segments changed."""
    delimiters = result.x12.delimiters
    changed: dict[int, X12Segment] = {}
    original: dict[int, X12Segment] = {}
    for billed, fix in certain_fixes(result):
        if fix.changes or fix.quantity is not None:
            sv1 = changed.get(billed.sv1.position, billed.sv1)
            original.setdefault(sv1.position, billed.sv1)
            changed[sv1.position] = _codes_fixed(sv1, fix)
        for hi in billed.hi if fix.reasons else ():
            original.setdefault(hi.position, hi)
            changed[hi.position] = _diagnoses_fixed(changed.get(hi.position, hi), fix)
    replacements = {p: s.text(delimiters) for p, s in changed.items()}
    se = [s for s in result.x12.segments if s.id in ("ST", "SE")]
    for st, end in zip(se[::2], se[1::2], strict=False):
        count = str(end.position - st.position + 1)
        if end.value("SE01") != count:
            replacements[end.position] = end.with_value("SE01", count).text(delimiters)
    fixed = sum(1 for p, s in changed.items() if s != original[p])
    return _replace_segments(text, delimiters[0], replacements), fixed


def _codes_fixed(sv1: X12Segment, fix: Fix) -> X12Segment:
    for change in fix.changes:
        sv1 = sv1.with_value(_PLACE[change.kind], change.code)
    if fix.quantity is not None:
        sv1 = sv1.with_value("SV104", str(fix.quantity))
    return sv1


def _diagnoses_fixed(hi: X12Segment, fix: Fix) -> X12Segment:
    """Each diagnosis the fix replaces, where HI01-2..HI12-2 holds it."""
    for reason in fix.reasons:
        for n in range(1, len(hi.elements) + 1):
            if reason.replaces and reason.code and hi.value(f"HI{n:02d}-2") == reason.replaces:
                hi = hi.with_value(f"HI{n:02d}-2", reason.code)
    return hi


def _replace_segments(text: str, seg_term: str, replacements: dict[int, str]) -> str:
    """Put each replacement (a whole segment with its terminator) at its position (the n-th
    segment, as pyx12 counts them), keeping what lies between segments (line breaks)."""
    pieces = text.split(seg_term)
    position = 0
    for i, piece in enumerate(pieces[:-1]):
        body = piece.lstrip()
        if not body:
            continue
        position += 1
        if position in replacements:
            lead = piece[:len(piece) - len(body)]
            pieces[i] = lead + replacements[position].removesuffix(seg_term)
    return seg_term.join(pieces)
