"""A diagnosis on the order is not a billable ICD-10-CM code: unknown in the release, or a
category or subcategory that needs more characters.

When few billable codes lie under a non-billable one, they are offered as choices (replacing
the code in reasonCode; a code from a linked Condition is fixed on the Condition, so there the
choices are only named). Needs no payer: every claim needs a valid diagnosis.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Fix, ReasonChange, Severity
from ..icd10cm import IcdStatus
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts

RULE_ID = "invalid-diagnosis"
MAX_CHOICES = 8  # more than this and a list of choices stops helping


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    findings = []
    for code in order.diagnoses:
        status = knowledge.icd10.status(code)
        if status is IcdStatus.BILLABLE:
            continue
        choices = ()
        if status is IcdStatus.NOT_BILLABLE:
            choices = knowledge.icd10.billable_under(code, MAX_CHOICES) or ()
        fixes = tuple(Fix(reasons=(ReasonChange(code=choice, replaces=code),), certain=False)
                      for choice in choices) if code in order.reason_codes else ()
        findings.append(Finding(RULE_ID, Severity.WARNING, order.order,
                                Evidence(codes=(code,), choices=tuple(choices)), fixes))
    return findings
