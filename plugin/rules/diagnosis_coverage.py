"""None of the order's diagnoses is in a covered group of the test's policy article (the
version in force on the date of service), for a payer that follows MolDX.

Fixes: link an active Condition of the patient whose code the article covers (one choice per
Condition). Without one, a Medicare patient needs an Advance Beneficiary Notice (modifier GA)
before the specimen is taken, when the denial expected is one of medical necessity: not for an
order whose reason is not in ICD-10-CM yet, or is only a secondary site. Diagnoses the article
lists as not covered are named.
"""

from __future__ import annotations

from ..codes import is_secondary_site
from ..findings import Evidence, Finding, Fix, ReasonChange, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import MEDICARE, checks_diagnoses, governing_article

RULE_ID = "diagnosis-not-covered"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    if not checks_diagnoses(order):
        return []
    article = governing_article(order, knowledge)
    if article is None or any(article.covers(code) for code in order.diagnoses):
        return []
    linkable = {c.condition: (code, c.label) for c in patient.conditions if c.active
                for code in reversed(c.codes) if article.covers(code)}
    fixes = tuple(Fix(reasons=(ReasonChange(code=code, condition=condition, display=label),),
                      certain=False)
                  for condition, (code, label) in linkable.items())
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=order.row, payer=order.payer, article=article.ref, codes=order.diagnoses,
        noncovered=tuple(code for code in order.diagnoses if code in article.noncovered),
        abn=not fixes and order.payer.program == MEDICARE and _medical_necessity(order)),
        fixes)]


def _medical_necessity(order: OrderFacts) -> bool:
    """The expected denial is medical necessity: the order has ICD-10-CM diagnoses and they
    are not a coding gap (a reason only in SNOMED CT, a secondary site without its primary),
    which an ABN would not cure (an ABN is for an expected medical-necessity denial:
    Medicare Claims Processing Manual, chapter 30)."""
    return bool(order.diagnoses) and not all(is_secondary_site(c) for c in order.diagnoses)
