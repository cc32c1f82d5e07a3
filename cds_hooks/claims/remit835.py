"""An 835 (005010X221A1) as adjudicated rows: per claim (CLP01, with its status CLP02 and the
payer's claim control number CLP07) a row for each service line (SVC) and one for the claim's
own adjustments (Loop 2100 CAS), each with its amounts, every adjustment as it came (group,
CARC, amount) and its remark codes (RARC: LQ*HE on a line, MOA on the claim); the category
they make is plugin/remittance.py's."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from plugin.remittance import REVERSAL, ZERO, Adjustment, Category, categorize

from .x12 import X12Invalid, X12Segment, read

TRANSACTION, GUIDE = "835", "005010X221A1"
CLAIM_LEVEL = 0  # the line number of a claim's own adjustments


@dataclass(frozen=True)
class PaidLine:
    """One service line, or (line_no 0) the claim's own adjustments: of a claim adjudicated
    with no service lines, its charge (CLP03) and payment (CLP04); of one with lines, the
    adjusted amount as its charge and nothing paid."""

    claim: str  # CLP01: the lab's claim id (CLM01)
    line_no: int  # the line's place in its claim, from 1; 0 for the claim level
    status: str | None  # CLP02: 1 processed as primary, 4 denied, 22 reversal ...
    payer_claim: str | None  # CLP07: the payer's claim control number
    patient: str | None  # NM1*QC NM1-09
    cpt: str | None  # SVC01-2
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]  # RARCs
    date_of_service: date | None  # DTM*472 of the line, else of the claim
    control_number: str | None  # REF*6R: the line item control number of the 837
    paid_on: date | None  # BPR16

    @property
    def category(self) -> Category:
        if self.status == REVERSAL:
            return Category.REVERSED
        return categorize(self.adjustments, self.remarks, self.paid)

    @property
    def codes(self) -> tuple[str, ...]:
        """`CO-252`, ...: the adjustments as billers write them."""
        return tuple(dict.fromkeys(a.code for a in self.adjustments))

    @property
    def line_ref(self) -> str:
        """The line within its claim across adjudications: the 837's line item control
        number when the payer echoed it, else its place."""
        return self.control_number or f"#{self.line_no}"


@dataclass(frozen=True)
class Remittance:
    payer: str | None  # N1*PR N1-04: the payer's id
    payer_name: str | None  # N1*PR N1-02
    lines: tuple[PaidLine, ...]


def read_remittance(text: str) -> Remittance:
    """Every claim and service line in `text`. Raises X12Invalid."""
    segments = read(text, TRANSACTION, GUIDE).segments
    n1 = next((s for s in segments if s.id == "N1" and s.value("N101") == "PR"), None)
    payer, payer_name = (n1.value("N104"), n1.value("N102")) if n1 else (None, None)
    bpr = next((s for s in segments if s.id == "BPR"), None)
    paid_on = _date(bpr.value("BPR16"), bpr) if bpr and bpr.value("BPR16") else None
    lines = [line for claim in _claims(segments) for line in _rows(claim, paid_on)]
    return Remittance(payer, payer_name, tuple(lines))


_CLAIM_ENDS = frozenset({"CLP", "LX", "SE", "PLB"})


def _claims(segments: Sequence[X12Segment]) -> Iterator[list[X12Segment]]:
    """Each claim's segments, its CLP first."""
    claim: list[X12Segment] | None = None
    for segment in segments:
        if segment.id in _CLAIM_ENDS and claim:
            yield claim
            claim = None
        if segment.id == "CLP":
            claim = [segment]
        elif claim is not None:
            claim.append(segment)
    if claim:
        yield claim


def _rows(claim: list[X12Segment], paid_on: date | None) -> list[PaidLine]:
    clp = claim[0]
    starts = [i for i, s in enumerate(claim) if s.id == "SVC"] + [len(claim)]
    header = claim[:starts[0]]
    patient = next((s.value("NM109") for s in header
                    if s.id == "NM1" and s.value("NM101") == "QC"), None)
    dtm = next((s for s in header if s.id == "DTM" and s.value("DTM01") in ("232", "150")),
               None)
    claim_date = _date(dtm.value("DTM02"), dtm) if dtm else None

    def row(number: int, charge: Decimal, paid: Decimal, adjustments: tuple[Adjustment, ...],
            remarks: tuple[str, ...], cpt: str | None = None, day: date | None = None,
            control: str | None = None) -> PaidLine:
        return PaidLine(
            claim=clp.value("CLP01") or "", line_no=number, status=clp.value("CLP02"),
            payer_claim=clp.value("CLP07"), patient=patient, cpt=cpt, charge=charge,
            paid=paid, adjustments=adjustments, remarks=remarks,
            date_of_service=day or claim_date, control_number=control, paid_on=paid_on)

    rows = []
    own = _adjustments_of(header)
    remarks = tuple(r for s in header if s.id == "MOA"
                    for n in range(3, 8) if (r := s.value(f"MOA{n:02d}")))
    if len(starts) == 1:  # adjudicated with no service lines: the claim is its one row
        rows.append(row(CLAIM_LEVEL, _amount(clp, "CLP03"), _amount(clp, "CLP04"), own,
                        remarks))
    elif own:
        rows.append(row(CLAIM_LEVEL, sum((a.amount for a in own), ZERO), ZERO, own, remarks))
    for number, (start, end) in enumerate(zip(starts, starts[1:], strict=False), 1):
        svc, after = claim[start], claim[start + 1:end]
        day = next((s for s in after if s.id == "DTM" and s.value("DTM01") in ("472", "150")),
                   None)
        ref = next((s for s in after if s.id == "REF" and s.value("REF01") == "6R"), None)
        rows.append(row(
            number, _amount(svc, "SVC02"), _amount(svc, "SVC03"), _adjustments_of(after),
            tuple(r for s in after if s.id == "LQ" and s.value("LQ01") == "HE"
                  if (r := s.value("LQ02"))),
            cpt=(svc.value("SVC01-2") or "").upper() or None,
            day=_date(day.value("DTM02"), day) if day else None,
            control=ref.value("REF02") if ref else None))
    return rows


def _adjustments_of(segments: Sequence[X12Segment]) -> tuple[Adjustment, ...]:
    """Every adjustment of the CAS segments: up to six (reason, amount, quantity) triples
    after the group code."""
    found = []
    for cas in (s for s in segments if s.id == "CAS"):
        group = cas.value("CAS01") or ""
        for n in range(2, 19, 3):
            if reason := cas.value(f"CAS{n:02d}"):
                found.append(Adjustment(group, reason, _amount(cas, f"CAS{n + 1:02d}")))
    return tuple(found)


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
