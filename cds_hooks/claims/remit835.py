"""An 835 (005010X221A1) as paid service lines: per claim (CLP01) and line (SVC), the
amounts, the adjustment (CARC, in CAS) and remark (RARC, in LQ*HE) codes, and the denial
category they make (plugin/remittance.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from plugin.remittance import Denial, category

from .x12 import X12Invalid, X12Segment, read

TRANSACTION, GUIDE = "835", "005010X221A1"


@dataclass(frozen=True)
class PaidLine:
    claim: str  # CLP01: the lab's claim id (CLM01)
    line_no: int  # the line's place in its claim, from 1
    status: str | None  # CLP02
    patient: str | None  # NM1*QC NM1-09
    cpt: str | None  # SVC01-2
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    adjustments: tuple[tuple[str, str, Decimal], ...]  # (group, CARC, amount)
    remarks: tuple[str, ...]  # RARCs
    date_of_service: date | None  # DTM*472 of the line, else of the claim
    control_number: str | None  # REF*6R: the line item control number of the 837
    paid_on: date | None  # BPR16

    @property
    def category(self) -> Denial:
        return category((carc for _, carc, _ in self.adjustments), self.remarks,
                        float(self.paid))

    @property
    def codes(self) -> tuple[str, ...]:
        """`CO-252`, ...: the adjustments as billers write them."""
        return tuple(dict.fromkeys(f"{group}-{carc}" for group, carc, _ in self.adjustments))

    @property
    def denied(self) -> Decimal:
        """What was not paid, when the line is denied: the charge less what was paid."""
        return Decimal(0) if self.category is Denial.PAID else self.charge - self.paid


@dataclass(frozen=True)
class Remittance:
    payer: str | None  # N1*PR N1-04
    lines: tuple[PaidLine, ...]


def read_remittance(text: str) -> Remittance:
    """Every service line of every claim in `text`. Raises X12Invalid."""
    x12 = read(text, TRANSACTION, GUIDE)
    segments = x12.segments
    payer = next((s.value("N104") for s in segments
                  if s.id == "N1" and s.value("N101") == "PR"), None)
    bpr = next((s for s in segments if s.id == "BPR"), None)
    paid_on = _date(bpr.value("BPR16"), bpr) if bpr and bpr.value("BPR16") else None
    lines = []
    claim: X12Segment | None = None
    patient = claim_date = None
    number = 0
    for i, segment in enumerate(segments):
        if segment.id == "CLP":
            claim, patient, claim_date, number = segment, None, None, 0
        elif segment.id == "NM1" and segment.value("NM101") == "QC":
            patient = segment.value("NM109")
        elif segment.id == "DTM" and segment.in_loop("2100") and not segment.in_loop("2110") \
                and segment.value("DTM01") in ("232", "150"):
            claim_date = _date(segment.value("DTM02"), segment)
        elif segment.id == "SVC" and claim is not None:
            number += 1
            lines.append(_line(claim, number, patient, claim_date, segment, segments, i,
                               paid_on))
    return Remittance(payer, tuple(lines))


def _line(claim: X12Segment, number: int, patient: str | None, claim_date: date | None,
          svc: X12Segment, segments: tuple[X12Segment, ...], i: int,
          paid_on: date | None) -> PaidLine:
    after = []
    for j in range(i + 1, len(segments)):
        if segments[j].id in ("SVC", "CLP", "LX", "SE", "PLB"):
            break
        after.append(segments[j])
    dtm = next((s for s in after if s.id == "DTM" and s.value("DTM01") in ("472", "150")),
               None)
    ref = next((s for s in after if s.id == "REF" and s.value("REF01") == "6R"), None)
    return PaidLine(
        claim=claim.value("CLP01") or "", line_no=number, status=claim.value("CLP02"),
        patient=patient, cpt=(svc.value("SVC01-2") or "").upper() or None,
        charge=_amount(svc, "SVC02"), paid=_amount(svc, "SVC03"),
        adjustments=tuple(a for s in after if s.id == "CAS" for a in _adjustments(s)),
        remarks=tuple(r for s in after if s.id == "LQ" and s.value("LQ01") == "HE"
                      if (r := s.value("LQ02"))),
        date_of_service=_date(dtm.value("DTM02"), dtm) if dtm else claim_date,
        control_number=ref.value("REF02") if ref else None, paid_on=paid_on)


def _adjustments(cas: X12Segment) -> list[tuple[str, str, Decimal]]:
    """CAS holds up to six (reason, amount, quantity) triples after its group code."""
    group = cas.value("CAS01") or ""
    found = []
    for n in range(2, 19, 3):
        if reason := cas.value(f"CAS{n:02d}"):
            found.append((group, reason, _amount(cas, f"CAS{n + 1:02d}")))
    return found


def _amount(segment: X12Segment, ref: str) -> Decimal:
    text = segment.value(ref) or "0"
    try:
        return Decimal(text)
    except InvalidOperation:
        raise X12Invalid(f"{text!r} is not an amount", segment.id, segment.position,
                         ref) from None


def _date(text: str | None, segment: X12Segment) -> date:
    try:
        return datetime.strptime((text or "")[:8], "%Y%m%d").date()
    except ValueError:
        raise X12Invalid(f"{text!r} is not a date", segment.id, segment.position) from None
