"""The domain of an 835 adjustment: the category, the rules that could explain it, what to
do and by when."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from plugin.remittance import (
    DENIALS,
    EXPLAINED_BY,
    Action,
    Adjustment,
    Category,
    action,
    categorize,
    deadline,
    explains,
)
from plugin.rules import RULE_IDS


def adj(code: str, amount: str = "1200") -> Adjustment:
    group, carc = code.split("-")
    return Adjustment(group, carc, Decimal(amount))


@pytest.mark.parametrize(("adjustments", "remarks", "paid", "expected"), [
    (["CO-252", "CO-16"], ["N706"], "0", Category.ZCODE),  # the Z-code first
    (["CO-50", "PR-1"], [], "0", Category.MEDICAL_NECESSITY),  # a denial before the patient
    (["PR-1"], [], "0", Category.PATIENT),  # a deductible at zero paid: not a denial
    (["PR-50"], ["N115"], "0", Category.PATIENT),  # an ABN on file (GA)
    (["PR-2"], [], "960", Category.PAID),  # coinsurance beside a payment
    (["CO-45"], [], "900", Category.PAID),
    (["CO-45"], [], "0", Category.OTHER),
    (["OA-18"], [], "0", Category.DUPLICATE),
    (["CO-236"], [], "0", Category.BUNDLING),
])
def test_a_lines_category(adjustments, remarks, paid, expected):
    assert categorize([adj(a) for a in adjustments], remarks, Decimal(paid)) is expected


def test_a_zero_adjustment_says_nothing():
    assert categorize([adj("CO-50", "0")], [], Decimal(900)) is Category.PAID


def test_other_duplicate_and_modifier_denials_are_explained_by_no_rule():
    for category in (Category.OTHER, Category.DUPLICATE, Category.MODIFIER):
        assert not any(explains(rule, category) for rule in RULE_IDS)
    assert not explains("missing-zcode", Category.BUNDLING)
    assert set().union(*EXPLAINED_BY.values()) <= set(RULE_IDS)  # no rule id misspelt
    assert set(EXPLAINED_BY) <= DENIALS


def test_deadlines_redetermination_and_timely_filing():
    remitted, served = date(2026, 1, 15), date(2024, 2, 29)
    assert deadline(action(Category.MEDICAL_NECESSITY), remitted, served) == date(2026, 5, 15)
    assert deadline(action(Category.ZCODE), remitted, served) == date(2025, 2, 28)
    assert deadline(action(Category.OTHER), remitted, served) == date(2025, 2, 28)  # earlier
    assert deadline(action(Category.PATIENT), remitted, served) is None
    assert action(Category.DUPLICATE, original_paid=True) is Action.NOTHING
    assert action(Category.PAID) is None
