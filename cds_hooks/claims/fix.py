"""The 837P with every certain fix applied: the Z-code into SV101-7, the CPT in SV101-2, one
unit in SV104. Only those SV1 segments change; every other byte of the file stays as it was,
and SE01 is recounted (the fixes add no segment, so it changes only if it was wrong)."""

from __future__ import annotations

from plugin.codes import CodeKind
from plugin.findings import Fix

from .scrub import Scrub

_PLACE = {CodeKind.CPT: "SV101-2", CodeKind.ZCODE: "SV101-7"}


def certain_fixes(result: Scrub) -> dict[int, list[Fix]]:
    """Per SV1 position in the file, the certain fixes that change only the line's codes or
    units (a diagnosis, a dropped line or a choice is for a person)."""
    position = {b.line.key: b.sv1.position for b in result.lines}
    found: dict[int, list[Fix]] = {}
    for finding in result.decision.findings:
        fix = finding.certain_fix
        if fix and not fix.reasons and not fix.cancel and (fix.changes or fix.quantity):
            found.setdefault(position[finding.order], []).append(fix)
    return found


def fixed_text(text: str, result: Scrub) -> tuple[str, int]:
    """`text` with the certain fixes applied, and how many lines changed."""
    delimiters = result.x12.delimiters
    fixes = certain_fixes(result)
    replacements = {}
    for segment in result.x12.segments:
        if segment.position in fixes:
            for fix in fixes[segment.position]:
                for change in fix.changes:
                    segment = segment.with_value(_PLACE[change.kind], change.code)
                if fix.quantity is not None:
                    segment = segment.with_value("SV104", str(fix.quantity))
            replacements[segment.position] = segment.text(delimiters)
    se = [s for s in result.x12.segments if s.id in ("ST", "SE")]
    for st, end in zip(se[::2], se[1::2], strict=False):
        count = str(end.position - st.position + 1)
        if end.value("SE01") != count:
            replacements[end.position] = end.with_value("SE01", count).text(delimiters)
    return _replace_segments(text, delimiters[0], replacements), len(fixes)


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
