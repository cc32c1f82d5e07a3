"""The payer follows MolDX but the diagnosis cannot be checked: the test's article is not in
the policy store, has no version in force on the date of service, or (Medicare) is not an
article of the lab's contractor. Said once per order as a notice, never guessed around.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import article_version, checks_diagnoses, governing_article

RULE_ID = "policy-unavailable"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if not checks_diagnoses(order) or governing_article(order, knowledge) is not None:
        return []
    version = article_version(order, knowledge)
    return [Finding(RULE_ID, Severity.INFO, order.order, Evidence(
        row=order.row, payer=order.payer, article_id=order.row.policy_article,
        article=version.ref if version else None))]
