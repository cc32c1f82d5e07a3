"""Claim lines: what a lab's professional claim says of each service, in the terms the rules
reason with. No X12 here: cds_hooks/claims reads the 837P and hands over these lines.

A claim line is the lab's own bill for a test it ran, so a CPT that exactly one catalog test
bills on the date of service names that test for sure (IdentifiedBy.CLAIM_CPT); on an order
the same CPT is only a suggestion for a person. That holds only on the lab's own line, which
`doubt` decides: the one place that says when a claim line's test is known for sure.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from .codes import CodeKind, is_dex_cpt, is_pla, is_zcode, normalize_icd10
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
    claim_diagnoses: tuple[str, ...] = ()  # every HI code of the claim, as written

    @property
    def key(self) -> str:
        """The line's id among the findings: unique in a file, unlike REF*6R."""
        return f"{self.claim}#{self.line}"


class Doubt(StrEnum):
    """Why a claim line's test is not known for sure."""

    # Billed under another NPI than the lab's: "You must submit the correct combination of
    # Z-Code, CPT code, and NPI" (CGS), so the lab's catalog cannot say which test it is.
    OTHER_PROVIDER = "other-billing-provider"
    # Modifier 90: a reference lab performed the test; its Z-code is the performing lab's
    # (CGS CM00098), not one of this catalog's.
    REFERRED = "referred"
    # The CPT and the Z-code name different tests (or the Z-code is not the lab's): which one
    # was run is not on the line.
    CODES_DISAGREE = "codes-disagree"


# Lines the lab's catalog does not speak for: their codes are not looked up in it at all.
OUTSIDE_CATALOG = frozenset({Doubt.OTHER_PROVIDER, Doubt.REFERRED})

# SV101-7 is the line's description (X12 005010X222A1): on a drug line it holds words. It is
# taken for a Z-code, right or wrong, when it looks like one or the line bills a DEX code.
_LOOKS_LIKE_A_ZCODE = re.compile(r"[Zz][A-Za-z0-9]{2,6}")


def doubt(line: ClaimLine, knowledge: Knowledge) -> Doubt | None:
    """The rule of certainty on a claim: its test is known for sure (and a fix may follow from
    the catalog unasked) only on a line billed under the lab's NPI (2010AA), without modifier
    90, with no code on the line naming another test than the one the other names. None when
    known for sure; else why not."""
    if line.billing_npi != knowledge.lab.npi:
        return Doubt.OTHER_PROVIDER
    if "90" in line.modifiers:
        return Doubt.REFERRED
    zcode = written_zcode(line)
    billed_by = knowledge.catalog.tests_for_cpt(line.cpt) if line.cpt else frozenset()
    # A PLA code names one lab's test: one the catalog does not bill names another lab's.
    names_a_test = bool(billed_by) or is_pla(line.cpt or "")
    if zcode and names_a_test and knowledge.catalog.test_for_zcode(zcode) not in billed_by:
        return Doubt.CODES_DISAGREE
    return None


def description(line: ClaimLine) -> str | None:
    """SV101-7 trimmed, None when empty."""
    return line.zcode.strip() or None if line.zcode else None


def written_zcode(line: ClaimLine) -> str | None:
    """The Z-code SV101-7 holds, upper-cased, when it holds one."""
    text = description(line)
    return text.upper() if text and is_zcode(text.upper()) else None


def malformed_zcode(line: ClaimLine) -> str | None:
    """SV101-7 when it is meant as a Z-code but is not one."""
    text = description(line)
    if text is None or written_zcode(line):
        return None
    dex_line = bool(line.cpt) and (is_dex_cpt(line.cpt) or is_pla(line.cpt))
    return text if dex_line or _LOOKS_LIKE_A_ZCODE.fullmatch(text) else None


def line_facts(line: ClaimLine, knowledge: Knowledge, draft: bool = True) -> OrderFacts:
    """The facts of one claim line. Lines of one claim on one date of service are taken to be
    on one specimen: the claim does not say otherwise, and that is how MolDX judges parallel
    services (docs/rules.md section B)."""
    written, malformed = written_zcode(line), malformed_zcode(line)
    why = doubt(line, knowledge)
    codes = {CodeKind.TEST: (), CodeKind.CPT: (line.cpt,) if line.cpt else (),
             CodeKind.ZCODE: (written,) if written else ()}
    day = line.date_of_service
    if why in OUTSIDE_CATALOG:
        test_code, identified_by, candidates = None, None, ()
    else:
        named = codes
        if written and not knowledge.catalog.test_for_zcode(written):
            named = {**codes, CodeKind.ZCODE: ()}  # not the lab's: the CPT may still name it
        test_code, identified_by, candidates = identify(named, day, knowledge)
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
        specimens=(_specimen(line.claim, day),),
        reason_codes=diagnoses,
        quantity=line.units,
        draft=draft,
        malformed_zcodes=(malformed,) if malformed else (),
        doubt=why,
        charge=_amount(line.charge),
        modifiers=line.modifiers,
    )


def _specimen(claim: str, day: date) -> str:
    """The specimen a claim's lines of one date of service are taken to share."""
    return f"Specimen/{claim}-{day.isoformat()}"


def _amount(text: str | None) -> Decimal | None:
    try:
        return Decimal(text) if text else None
    except InvalidOperation:
        return None


def claims_facts(lines: Sequence[ClaimLine], knowledge: Knowledge,
                 earlier: Sequence[ClaimLine] = ()
                 ) -> list[tuple[tuple[OrderFacts, ...], PatientFacts]]:
    """Per claim, in file order: its lines' facts, and the patient's facts in which the lines
    of the patient's other claims with an earlier date of service are the earlier orders (a
    repeat CGP): those of the file, and `earlier`, lines of other claims seen before. Those
    on a date of service of the claim are taken to be on its specimen: the same specimen
    billed again under another claim id (one CGP per specimen)."""
    by_claim: dict[str, list[OrderFacts]] = defaultdict(list)
    patient_of: dict[str, str] = {}
    for line in lines:
        by_claim[line.claim].append(line_facts(line, knowledge))
        patient_of[line.claim] = line.patient
    claims_of: dict[str, list[str]] = defaultdict(list)
    for claim, patient in patient_of.items():
        claims_of[patient].append(claim)
    seen: dict[str, list[OrderFacts]] = defaultdict(list)
    for line in earlier:
        seen[line.patient].append(line_facts(line, knowledge, draft=False))
    found = []
    for claim, facts in by_claim.items():
        first = min(f.date_of_service for f in facts)
        patient = patient_of[claim]
        others = tuple(replace(f, draft=False) for other in claims_of[patient]
                       if other != claim for f in by_claim[other] if f.date_of_service < first)
        days = {f.date_of_service for f in facts}
        others += tuple(replace(f, specimens=(_specimen(claim, f.date_of_service),))
                        if f.date_of_service in days else f
                        for f in seen[patient] if f.date_of_service < first
                        or f.date_of_service in days)
        found.append((tuple(facts), PatientFacts(conditions=(), orders=tuple(facts),
                                                 others=others)))
    return found
