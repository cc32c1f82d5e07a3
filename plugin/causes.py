"""Which findings of an order are the consequence of another: one problem, seen by two rules.

A diagnosis that is not a billable ICD-10-CM code (C34.9) is also "not covered" by the test's
article, and a solid-tumour test ordered for a leukaemia is also outside its article; in both
the coverage finding goes away once the root is resolved (the code made billable, the test
that fits the indication ordered), and its remedy (an ABN) is not the one the root needs. So a
person is shown the root, and the consequence only through it; every finding stays in the
decision, with its fixes, for the audit trail, the claim scrubber and the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .findings import Finding
from .rules import diagnosis_coverage, invalid_diagnosis, test_indication


@dataclass(frozen=True)
class Problem:
    """A root finding and the findings of the same order it explains."""

    root: Finding
    consequences: tuple[Finding, ...] = ()

    @property
    def findings(self) -> tuple[Finding, ...]:
        return (self.root, *self.consequences)


def problems(findings: Sequence[Finding]) -> list[Problem]:
    """The findings as problems, in the order of their roots."""
    cause_of = {id(f): next((c for c in findings if explains(c, f)), None) for f in findings}
    return [Problem(f, tuple(c for c in findings if cause_of[id(c)] is f))
            for f in findings if cause_of[id(f)] is None]


def explains(cause: Finding, effect: Finding) -> bool:
    """Whether `effect` follows from `cause`: same order, and a rule pair of the module's
    docstring (a root is never itself a consequence, so there are no chains)."""
    if cause is effect or cause.order != effect.order \
            or effect.rule != diagnosis_coverage.RULE_ID:
        return False
    if cause.rule == test_indication.RULE_ID:
        return True
    # The coverage rule judged a code that is not billable: fixing it decides coverage anew.
    return cause.rule == invalid_diagnosis.RULE_ID and \
        bool(set(cause.evidence.codes) & set(effect.evidence.codes))
