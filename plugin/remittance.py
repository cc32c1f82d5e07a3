"""What a remittance says of a service line, in the terms of the order rules: its adjustments
(group, CARC, amount) and remarks (RARC), the category a biller acts on, the order-time rules
that could have explained it, what to do about it and by when. No X12 here: cds_hooks/claims
reads the 835.

Sources: X12's Claim Adjustment Reason Code and Remittance Advice Remark Code lists
(x12.org); the MACs' reason-code pages (Noridian JF "Missing/Incorrect DEX Z-Code Identifier",
"Med Nec No Pay Dx"; Noridian JE "Non-Covered Charge"); 42 CFR 405.942 (redetermination) and
42 CFR 424.44 (timely filing)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
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
    panel_cpt,
    parallel_orders,
    policy_unavailable,
    repeat_cgp,
    single_gene_in_panel,
    stale_code,
    test_indication,
    units_of_service,
    unknown_test,
)

ZERO = Decimal(0)
PATIENT_GROUP = "PR"  # patient responsibility: the lab bills the patient
REVERSAL = "22"  # CLP02: reversal of a previous payment


@dataclass(frozen=True)
class Adjustment:
    """One CAS adjustment as the 835 sent it. `amount` is None only on lines imported before
    the store kept amounts."""

    group: str  # CAS01: CO, PR, OA, PI, CR
    carc: str  # the Claim Adjustment Reason Code
    amount: Decimal | None

    @property
    def code(self) -> str:
        """`CO-252`: as billers write it."""
        return f"{self.group}-{self.carc}"

    @property
    def applies(self) -> bool:
        """A zero adjustment (payers send `CO*45*0`) says nothing."""
        return self.amount is None or self.amount != 0


class Category(StrEnum):
    """What a line's adjustments make of it, as a biller acts on it."""

    ZCODE = "zcode"  # CO-252 with N706 (missing/invalid Z-code) or N704
    MEDICAL_NECESSITY = "medical-necessity"  # CO-50, usually with N115
    NON_COVERED = "non-covered"  # CO-96, usually with N431
    MISSING_INFO = "missing-info"  # CO-16 (with MA130, N290, M51 ...): no appeal rights
    MODIFIER = "modifier"  # CO-4: the modifier is inconsistent with the procedure
    DIAGNOSIS = "diagnosis-inconsistent"  # CO-11: diagnosis inconsistent with the procedure
    FREQUENCY = "frequency"  # CO-151: more services than the payer allows in the period
    BUNDLING = "bundling"  # CO-97, CO-236: included in another service (NCCI)
    DUPLICATE = "duplicate"  # OA-18 (or CO-18): a duplicate of a claim already processed
    OTHER = "other"  # refused for a reason none of the above
    PATIENT = "patient-responsibility"  # any PR at zero paid: bill the patient, not a denial
    PAID = "paid"
    REVERSED = "reversed"  # a payment taken back (CLP02 22) and no correction yet


# Each category as a billing manager reads it.
CATEGORY_NAMES = {
    Category.ZCODE: "Z-code missing or invalid", Category.MEDICAL_NECESSITY: "medical necessity",
    Category.NON_COVERED: "non-covered service", Category.MISSING_INFO: "missing or invalid "
    "information", Category.MODIFIER: "modifier", Category.DIAGNOSIS: "diagnosis inconsistent "
    "with the procedure", Category.FREQUENCY: "frequency limit", Category.BUNDLING: "bundled "
    "into another service", Category.DUPLICATE: "duplicate claim", Category.OTHER: "other",
    Category.PATIENT: "patient responsibility", Category.PAID: "paid",
    Category.REVERSED: "payment taken back"}


DENIALS = frozenset({Category.ZCODE, Category.MEDICAL_NECESSITY, Category.NON_COVERED,
                     Category.MISSING_INFO, Category.MODIFIER, Category.DIAGNOSIS,
                     Category.FREQUENCY, Category.BUNDLING, Category.DUPLICATE, Category.OTHER})

# CARC 252 alone is "an attachment or other documentation is required": only the remark
# codes make it the Z-code denial.
_ZCODE_REMARKS = frozenset({"N706", "N704"})
# The CARCs of each denial category, most specific first: a line with several is filed under
# the first that applies.
_BY_CARC = ((Category.MEDICAL_NECESSITY, {"50"}), (Category.NON_COVERED, {"96"}),
            (Category.DIAGNOSIS, {"11"}), (Category.MISSING_INFO, {"16"}),
            (Category.MODIFIER, {"4"}), (Category.FREQUENCY, {"151"}),
            (Category.BUNDLING, {"97", "236"}), (Category.DUPLICATE, {"18"}))


def categorize(adjustments: Iterable[Adjustment], remarks: Iterable[str],
               paid: Decimal) -> Category:
    """The line's category. A denial by its CO, OA or PI reason codes; else patient
    responsibility when a PR adjustment left the payer paying nothing (a deductible is not a
    denial); else paid when the payer paid something; else other."""
    applied = [a for a in adjustments if a.applies]
    refused = {a.carc for a in applied if a.group != PATIENT_GROUP}
    if "252" in refused and set(remarks) & _ZCODE_REMARKS:
        return Category.ZCODE
    for found, carcs in _BY_CARC:
        if refused & carcs:
            return found
    if paid <= 0 and any(a.group == PATIENT_GROUP for a in applied):
        return Category.PATIENT
    return Category.PAID if paid > 0 else Category.OTHER


# Which warnings could explain a denial of each category. The Z-code denial comes from the
# test's codes; medical necessity and non-coverage from the policy (payers use CO-50 and
# CO-96 for the same coverage causes, so those rules explain both); a diagnosis inconsistent
# with the procedure from the diagnosis rules; missing information from a Z-code or diagnosis
# the order lacked; frequency from the repeat and units rules; bundling from the panel
# rules (several codes that are one service). No order rule looks at modifiers or duplicates,
# and `other` is what no rule foresees: those are explained by none.
_CODE_RULES = frozenset(rule.RULE_ID for rule in (
    missing_zcode, malformed_zcode, mismatched_codes, stale_code, ambiguous_test, unknown_test))
_COVERAGE_RULES = frozenset(rule.RULE_ID for rule in (
    invalid_diagnosis, diagnosis_coverage, test_indication, not_payable, article_cpt,
    policy_unavailable, repeat_cgp, cgp_specimen))
EXPLAINED_BY: dict[Category, frozenset[str]] = {
    Category.ZCODE: _CODE_RULES,
    Category.MEDICAL_NECESSITY: _COVERAGE_RULES,
    Category.NON_COVERED: _COVERAGE_RULES,
    Category.DIAGNOSIS: frozenset(rule.RULE_ID for rule in (
        invalid_diagnosis, diagnosis_coverage, test_indication)),
    Category.MISSING_INFO: frozenset(rule.RULE_ID for rule in (
        missing_zcode, malformed_zcode, invalid_diagnosis)),
    Category.FREQUENCY: frozenset(rule.RULE_ID for rule in (
        repeat_cgp, cgp_specimen, units_of_service)),
    Category.BUNDLING: frozenset(rule.RULE_ID for rule in (
        parallel_orders, single_gene_in_panel, panel_cpt, cgp_specimen)),
}


def explains(rule: str, category: Category) -> bool:
    """Whether a warning of `rule` at ordering could be the reason for a `category` line."""
    return rule in EXPLAINED_BY.get(category, ())


class Outcome(StrEnum):
    """What the order-time check had said of a denied line, counting only the warnings that
    could explain its denial (`explains`)."""

    WARNED_OVERRIDDEN = "warned-overridden"  # warned, and a person overrode the warning
    WARNED_NOT_FIXED = "warned-not-fixed"  # warned; neither overridden nor fixed
    FIXED_STILL_DENIED = "fixed-still-denied"  # warned, fixed, and denied all the same
    NOT_WARNED = "not-warned"  # checked, no warning: a miss
    NO_ORDER_FOUND = "no-order-found"  # no call for the order is in the store


OUTCOME_NAMES = {
    Outcome.WARNED_OVERRIDDEN: "warned, overridden", Outcome.WARNED_NOT_FIXED: "warned, not "
    "acted on", Outcome.FIXED_STILL_DENIED: "fixed, denied all the same",
    Outcome.NOT_WARNED: "no warning (missed)", Outcome.NO_ORDER_FOUND: "no order found"}


class Action(StrEnum):
    """What the lab does about a line on its worklist."""

    RESUBMIT = "correct and resubmit"  # no appeal rights: fix the claim, send it again
    APPEAL = "appeal"  # redetermination
    BILL_PATIENT = "bill the patient"
    NOTHING = "nothing"  # a duplicate of a line that was paid
    CHECK_ORIGINAL = "check the original claim"  # a duplicate of a line not paid
    AWAIT_CORRECTION = "check the corrected claim"  # a payment taken back
    REVIEW = "review"  # a reason the categories do not name


_ACTIONS = {Category.ZCODE: Action.RESUBMIT, Category.MISSING_INFO: Action.RESUBMIT,
            Category.MODIFIER: Action.RESUBMIT, Category.BUNDLING: Action.RESUBMIT,
            Category.MEDICAL_NECESSITY: Action.APPEAL, Category.NON_COVERED: Action.APPEAL,
            Category.DIAGNOSIS: Action.APPEAL, Category.FREQUENCY: Action.APPEAL,
            Category.PATIENT: Action.BILL_PATIENT, Category.REVERSED: Action.AWAIT_CORRECTION,
            Category.OTHER: Action.REVIEW}

REDETERMINATION_DAYS = 120  # 42 CFR 405.942: from receipt of the initial determination


def action(category: Category, original_paid: bool = False) -> Action | None:
    """What to do about a line of `category` (None: a paid line, nothing to do).
    `original_paid`: for a duplicate, whether the line it duplicates was paid."""
    if category is Category.DUPLICATE:
        return Action.NOTHING if original_paid else Action.CHECK_ORIGINAL
    return _ACTIONS.get(category)


def deadline(todo: Action | None, remitted_on: date | None,
             date_of_service: date | None) -> date | None:
    """The last day to act: an appeal within 120 days of the remittance (redetermination);
    a resubmission, a correction or an unnamed reason within 12 months of the date of service
    (timely filing, 42 CFR 424.44); the earlier of the two for a line to review. None when
    nothing is due to a payer or the date is not known."""
    appeal = remitted_on + timedelta(days=REDETERMINATION_DAYS) if remitted_on else None
    filing = _a_year_after(date_of_service) if date_of_service else None
    if todo is Action.APPEAL:
        return appeal
    if todo in (Action.RESUBMIT, Action.AWAIT_CORRECTION, Action.CHECK_ORIGINAL):
        return filing
    if todo is Action.REVIEW:
        return min((d for d in (appeal, filing) if d), default=None)
    return None


def basis(todo: Action | None) -> str | None:
    """The rule `deadline` applies to `todo`, in words."""
    if todo is Action.APPEAL:
        return "redetermination: 120 days from the remittance"
    if todo in (Action.RESUBMIT, Action.AWAIT_CORRECTION, Action.CHECK_ORIGINAL):
        return "timely filing: 12 months from the date of service"
    if todo is Action.REVIEW:
        return "the earlier of redetermination and timely filing"
    return None


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
