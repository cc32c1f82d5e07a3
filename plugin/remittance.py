"""What a remittance says of a service line, in the terms of the order rules: a denial
category from its adjustment (CARC) and remark (RARC) codes (the X12 CARC and RARC lists). No
X12 here: cds_hooks/claims reads the 835."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from .rules import (
    ambiguous_test,
    article_cpt,
    cgp_specimen,
    diagnosis_coverage,
    invalid_diagnosis,
    malformed_zcode,
    mismatched_codes,
    missing_zcode,
    not_payable,
    policy_unavailable,
    repeat_cgp,
    stale_code,
    test_indication,
    unknown_test,
)


class Denial(StrEnum):
    ZCODE = "zcode"  # CO-252 with N706 (missing/invalid Z-code) or N704
    MEDICAL_NECESSITY = "medical-necessity"  # CO-50, usually with N115
    NON_COVERED = "non-covered"  # CO-96, usually with N431
    OTHER = "other"
    PAID = "paid"


# CARC 252 alone is "an attachment or other documentation is required": only the remark
# codes make it the Z-code denial.
_ZCODE_REMARKS = frozenset({"N706", "N704"})


def category(carcs: Iterable[str], rarcs: Iterable[str], paid: float) -> Denial:
    """The line's category: a Z-code, medical-necessity or non-covered denial by its codes,
    else paid when the payer paid something, else other."""
    carcs, rarcs = set(carcs), set(rarcs)
    if "252" in carcs and rarcs & _ZCODE_REMARKS:
        return Denial.ZCODE
    if "50" in carcs:
        return Denial.MEDICAL_NECESSITY
    if "96" in carcs:
        return Denial.NON_COVERED
    return Denial.PAID if paid > 0 else Denial.OTHER


# Which warnings could explain a denial of each category: the Z-code denial comes from the
# test's codes; a medical-necessity or non-covered one from the policy (payers use CO-50 and
# CO-96 for the same coverage causes, so those rules explain both). A denial in no category
# the rules know (`other`) may be any of them.
_CODE_RULES = frozenset(rule.RULE_ID for rule in (
    missing_zcode, malformed_zcode, mismatched_codes, stale_code, ambiguous_test, unknown_test))
_COVERAGE_RULES = frozenset(rule.RULE_ID for rule in (
    invalid_diagnosis, diagnosis_coverage, test_indication, not_payable, article_cpt,
    policy_unavailable, repeat_cgp, cgp_specimen))
_EXPLAINED_BY = {Denial.ZCODE: _CODE_RULES, Denial.MEDICAL_NECESSITY: _COVERAGE_RULES,
                 Denial.NON_COVERED: _COVERAGE_RULES}


def explains(rule: str, denial: Denial) -> bool:
    """Whether a warning of `rule` at ordering could be the reason for `denial`."""
    return denial is Denial.OTHER or rule in _EXPLAINED_BY.get(denial, ())


class Outcome(StrEnum):
    """What the order-time check had said of a denied line, counting only the warnings that
    could explain its denial (`explains`)."""

    WARNED_OVERRIDDEN = "warned-overridden"  # warned, and a person overrode the warning
    WARNED_NOT_FIXED = "warned-not-fixed"  # warned; neither overridden nor fixed
    FIXED_STILL_DENIED = "fixed-still-denied"  # warned, fixed, and denied all the same
    NOT_WARNED = "not-warned"  # checked, no warning: a miss
    NO_ORDER_FOUND = "no-order-found"  # no call for the order is in the store
