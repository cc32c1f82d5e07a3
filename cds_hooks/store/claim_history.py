"""The claim lines `scrub` has seen, kept so that a later file's claims are judged with the
patient's earlier ones (a repeat comprehensive genomic profile billed in another file)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, insert, select, tuple_

from plugin.claim_lines import ClaimLine

from .db import ClaimLineRow, Store

# How far back, by date of service, the earlier claims are looked for: NGS coverage asks
# whether the patient was tested for the same cancer before, and a year of claims holds the
# repeat profiles a payer's frequency edit most often finds.
LOOK_BACK_DAYS = 365
# A claim is filed within 12 months of its date of service (timely filing, 42 CFR 424.44), so
# no file still to come looks back further than this from today: older lines are dropped.
KEEP_DAYS = LOOK_BACK_DAYS + 366
_CHUNK = 500  # bound parameters per statement, well under SQLite's limit


def remember(store: Store, lines: Sequence[ClaimLine], clean: Collection[str]) -> None:
    """Keep `lines`, and of each claim whether it is in `clean` (by CLM01: the scrub found no
    warning on it); a claim seen before (its CLM01, for that patient) has its earlier lines
    replaced: a corrected claim is the same service, not a second one. Lines older than
    KEEP_DAYS are dropped, so the table stays bounded whatever is sent."""
    now = datetime.now(UTC)
    claims = sorted({(line.claim, _digest(line.patient)) for line in lines})
    with store.session() as session:
        session.execute(delete(ClaimLineRow).where(
            ClaimLineRow.date_of_service < now.date() - timedelta(days=KEEP_DAYS)))
        for chunk in _chunks(claims):
            session.execute(delete(ClaimLineRow).where(
                tuple_(ClaimLineRow.claim, ClaimLineRow.patient).in_(chunk)))
        if lines:  # one executemany: ORM objects cost twice as much per line
            session.execute(insert(ClaimLineRow), [dict(
                claim=line.claim, line_no=line.line, patient=_digest(line.patient),
                payer=line.payer_id, billing_npi=line.billing_npi, cpt=line.cpt,
                modifiers=json.dumps(line.modifiers), zcode=line.zcode, units=line.units,
                date_of_service=line.date_of_service, diagnoses=json.dumps(line.diagnoses),
                charge=line.charge, scrubbed_at=now, claim_clean=line.claim in clean)
                for line in lines])


def scrubbed(store: Store, claims: Iterable[str]) -> dict[str, bool]:
    """Of `claims` (CLM01, which an 835 repeats in CLP01), those a scrub kept with its
    verdict: whether it found the claim clean. A CLM01 two patients share is clean only
    when every one of them was."""
    found: dict[str, bool] = {}
    with store.session() as session:
        for chunk in _chunks(sorted(set(claims))):
            for claim, clean in session.execute(
                    select(ClaimLineRow.claim, ClaimLineRow.claim_clean).where(
                        ClaimLineRow.claim.in_(chunk), ClaimLineRow.claim_clean.is_not(None))):
                found[claim] = found.get(claim, True) and clean
    return found


def earlier(store: Store, lines: Sequence[ClaimLine]) -> list[ClaimLine]:
    """The kept lines of the patients of `lines`, of claims other than theirs, with a date of
    service up to LOOK_BACK_DAYS before the earliest of `lines`."""
    if not lines:
        return []
    since = min(line.date_of_service for line in lines) - timedelta(days=LOOK_BACK_DAYS)
    patient_of = {_digest(line.patient): line.patient for line in lines}
    mine = {(line.claim, line.patient) for line in lines}
    found: list[ClaimLine] = []
    with store.session() as session:
        for chunk in _chunks(sorted(patient_of)):
            rows = session.scalars(select(ClaimLineRow).where(
                ClaimLineRow.patient.in_(chunk), ClaimLineRow.date_of_service >= since)
                .order_by(ClaimLineRow.id)).all()
            found += [_line(row, patient_of[row.patient]) for row in rows
                      if (row.claim, patient_of[row.patient]) not in mine]
    return found


def _digest(patient: str) -> str:
    """The member id as kept: its SHA-256, enough to find the same patient again without
    keeping an identifier in clear (the store keeps only resource ids otherwise)."""
    return hashlib.sha256(patient.encode()).hexdigest()


def _line(row: ClaimLineRow, patient: str) -> ClaimLine:
    return ClaimLine(
        claim=row.claim, line=row.line_no, patient=patient, payer_id=row.payer,
        billing_npi=row.billing_npi, cpt=row.cpt, modifiers=tuple(json.loads(row.modifiers)),
        zcode=row.zcode, units=row.units, date_of_service=_day(row.date_of_service),
        diagnoses=tuple(json.loads(row.diagnoses)), charge=row.charge)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _chunks(items: list) -> Iterator[list]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
