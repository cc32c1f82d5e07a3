"""Claim lines: what a lab's professional claim says of each service, in the terms the rules
reason with. No X12 here: cds_hooks/claims reads the 837P and hands over these lines.

A claim line is the lab's own bill for a test it ran, so a CPT that exactly one catalog test
bills on the date of service names that test for sure (IdentifiedBy.CLAIM_CPT); on an order
the same CPT is only a suggestion for a person.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from .codes import CodeKind, is_zcode, normalize_icd10
from .knowledge import Knowledge
from .orders import (
    CoverageFacts,
    DateSource,
    IdentifiedBy,
    OrderFacts,
    PatientFacts,
    identify,
)


@dataclass(frozen=True)
class ClaimLine:
    claim: str  # CLM01, the submitter's claim id
    line: str  # LX01
    patient: str  # the patient's member id (2010CA, else 2010BA NM1-09)
    payer_id: str | None  # 2010BB NM1-09
    billing_npi: str | None  # 2010AA NM1-09
    cpt: str | None  # SV101-2
    modifiers: tuple[str, ...]  # SV101-3..6
    zcode: str | None  # SV101-7, as written
    units: float | None  # SV104
    date_of_service: date  # DTP*472 (for a lab test, the specimen's collection day)
    diagnoses: tuple[str, ...]  # ICD-10-CM, as the HI codes that SV107 points to
    control_number: str | None = None  # REF*6R, the line item control number
    charge: str | None = None  # SV102, as written

    @property
    def key(self) -> str:
        """The line's id among the findings: unique in a file, unlike REF*6R."""
        return f"{self.claim}#{self.line}"


def line_facts(line: ClaimLine, knowledge: Knowledge, draft: bool = True) -> OrderFacts:
    """The facts of one claim line. Lines of one claim on one date of service are taken to be
    on one specimen: the claim does not say otherwise, and that is how MolDX judges parallel
    services (docs/rules.md section B)."""
    written = line.zcode.strip().upper() if line.zcode and line.zcode.strip() else None
    codes = {CodeKind.TEST: (), CodeKind.CPT: (line.cpt,) if line.cpt else (),
             CodeKind.ZCODE: (written,) if written and is_zcode(written) else ()}
    day = line.date_of_service
    test_code, identified_by, candidates = identify(codes, day, knowledge)
    if identified_by is IdentifiedBy.CPT:
        identified_by = IdentifiedBy.CLAIM_CPT
    payer = knowledge.payers.by_payer_id(line.payer_id) if line.payer_id else None
    diagnoses = tuple(dict.fromkeys(normalize_icd10(d) for d in line.diagnoses))
    return OrderFacts(
        order=line.key,
        test_codes=(),
        cpts=codes[CodeKind.CPT],
        zcodes=codes[CodeKind.ZCODE],
        test_code=test_code,
        identified_by=identified_by,
        row=knowledge.catalog.row_on(test_code, day) if test_code else None,
        candidates=candidates,
        date_of_service=day,
        # DTP*472 of a lab test is its specimen's collection day (42 CFR 414.510).
        date_source=DateSource.SPECIMEN,
        diagnoses=diagnoses,
        coverage=CoverageFacts(None, ("", line.payer_id), payer) if line.payer_id else None,
        specimens=(f"Specimen/{line.claim}-{day.isoformat()}",),
        reason_codes=diagnoses,
        quantity=line.units,
        draft=draft,
        malformed_zcodes=(written,) if written and not is_zcode(written) else (),
    )


def claims_facts(lines: Sequence[ClaimLine], knowledge: Knowledge
                 ) -> list[tuple[tuple[OrderFacts, ...], PatientFacts]]:
    """Per claim, in file order: its lines' facts, and the patient's facts in which the lines
    of the patient's other claims of the file with an earlier date of service are the earlier
    orders (a repeat CGP)."""
    by_claim: dict[str, list[OrderFacts]] = defaultdict(list)
    patient_of: dict[str, str] = {}
    for line in lines:
        by_claim[line.claim].append(line_facts(line, knowledge))
        patient_of[line.claim] = line.patient
    claims_of: dict[str, list[str]] = defaultdict(list)
    for claim, patient in patient_of.items():
        claims_of[patient].append(claim)
    found = []
    for claim, facts in by_claim.items():
        first = min(f.date_of_service for f in facts)
        others = tuple(replace(f, draft=False) for other in claims_of[patient_of[claim]]
                       if other != claim for f in by_claim[other] if f.date_of_service < first)
        found.append((tuple(facts), PatientFacts(conditions=(), orders=tuple(facts),
                                                 others=others)))
    return found
