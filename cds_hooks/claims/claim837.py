"""An 837P (005010X222A1) as claim lines: where each fact sits on the claim (the X12 837P
005010X222A1 implementation guide; docs/claims.md) and the segments a fix rewrites (SV1, HI)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from plugin.claim_lines import ClaimLine

from .x12 import X12File, X12Invalid, X12Segment, read

TRANSACTION, GUIDE = "837", "005010X222A1"
_DIAGNOSIS_QUALIFIERS = frozenset({"ABK", "ABF"})  # ICD-10-CM principal, other


@dataclass(frozen=True)
class BilledLine:
    line: ClaimLine
    sv1: X12Segment  # the segment a certain fix of the line's codes rewrites
    hi: tuple[X12Segment, ...] = ()  # the claim's HI segments, where a diagnosis fix goes


@dataclass
class _Context:
    """What the loops above a service line have said so far."""

    billing_npi: str | None = None
    subscriber: str = ""
    patient: str | None = None
    payer: str | None = None
    claim: str = ""
    diagnoses: tuple[str, ...] = ()
    hi: tuple[X12Segment, ...] = ()


def read_claims(text: str, max_loops: int | None = None) -> tuple[X12File, list[BilledLine]]:
    """Every service line of every claim in `text`. Raises X12Invalid, or X12TooCostly past
    `max_loops` HL and LX loops."""
    x12 = read(text, TRANSACTION, GUIDE, max_loops)
    return x12, list(service_lines(x12))


def service_lines(x12: X12File):
    """The service lines of a file read and validated."""
    here = _Context()
    segments = x12.segments
    for i, segment in enumerate(segments):
        sid = segment.id
        if sid == "NM1":
            _name(segment, here)
        elif sid == "HL" and segment.value("HL03") == "22":
            here.subscriber, here.patient, here.payer = "", None, None
        elif sid == "CLM":
            here.claim, here.diagnoses, here.hi = segment.value("CLM01") or "", (), ()
        elif sid == "HI" and segment.in_loop("2300"):
            here.diagnoses += _diagnoses(segment)
            here.hi += (segment,)
        elif sid == "SV1":
            yield BilledLine(_line(segment, segments, i, here), segment, here.hi)


def _name(segment: X12Segment, here: _Context) -> None:
    value = segment.value("NM109")
    if segment.in_loop("2010AA"):
        here.billing_npi = value
    elif segment.in_loop("2010BA"):
        here.subscriber = value or ""
    elif segment.in_loop("2010BB"):
        here.payer = value
    elif segment.in_loop("2010CA"):
        here.patient = value


def _diagnoses(segment: X12Segment) -> tuple[str, ...]:
    found = []
    for n in range(1, 13):
        qualifier, code = segment.value(f"HI{n:02d}-1"), segment.value(f"HI{n:02d}-2")
        if qualifier in _DIAGNOSIS_QUALIFIERS and code:
            found.append(code)
    return tuple(found)


def _line(sv1: X12Segment, segments: tuple[X12Segment, ...], i: int,
          here: _Context) -> ClaimLine:
    lx = segments[i - 1].value("LX01") if i and segments[i - 1].id == "LX" else str(i)
    after = _rest_of_loop(segments, i)
    dtp = next((s for s in after if s.id == "DTP" and s.value("DTP01") == "472"), None)
    ref = next((s for s in after if s.id == "REF" and s.value("REF01") == "6R"), None)
    pointers = [sv1.value(f"SV107-{n}") for n in range(1, 5)]
    units = sv1.value("SV104")
    return ClaimLine(
        claim=here.claim,
        line=lx or "",
        patient=here.patient or here.subscriber,
        payer_id=here.payer,
        billing_npi=here.billing_npi,
        cpt=(sv1.value("SV101-2") or "").upper() or None,
        modifiers=tuple(m for n in range(3, 7) if (m := sv1.value(f"SV101-{n}"))),
        zcode=sv1.value("SV101-7"),
        units=float(units) if units else None,
        date_of_service=_date(dtp, sv1),
        diagnoses=tuple(here.diagnoses[int(p) - 1] for p in pointers
                        if p and p.isdigit() and 0 < int(p) <= len(here.diagnoses)),
        control_number=ref.value("REF02") if ref else None,
        charge=sv1.value("SV102"),
        claim_diagnoses=here.diagnoses,
    )


def _rest_of_loop(segments: tuple[X12Segment, ...], i: int) -> list[X12Segment]:
    """The segments after SV1 up to the next service line or claim."""
    found = []
    for j in range(i + 1, len(segments)):
        segment = segments[j]
        if segment.id in ("LX", "CLM", "HL", "SE"):
            break
        found.append(segment)
    return found


def _date(dtp: X12Segment | None, sv1: X12Segment) -> date:
    """DTP03 of DTP*472, the first day of a range (RD8)."""
    if dtp is None:
        raise X12Invalid("the service line has no date of service", "DTP", sv1.position,
                         "DTP03")
    text = (dtp.value("DTP03") or "")[:8]
    try:
        return datetime.strptime(text, "%Y%m%d").date()
    except ValueError:
        raise X12Invalid(f"{text!r} is not a date", "DTP", dtp.position, "DTP03") from None
