"""The CPT the claim will carry is not in the CPT/HCPCS list of the test's billing article, in
the version in force on the date of service: the article's own list is the truth for which codes
belong to it, and it changes by version (the revision history of the MolDX article "Targeted and
Comprehensive Genomic Profile Testing in Cancer" adds 0244U from 2021-04-01). MolDX payers only;
an article version that lists no codes says nothing. A warning without a fix: the code is the
catalog's (else mismatched-code speaks), so only the lab can resolve it.
"""

from __future__ import annotations

from ..findings import Evidence, Finding, Severity
from ..knowledge import Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import follows_moldx, governing_article
from .specimens import billed_cpts

RULE_ID = "article-cpt"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or row.policy_article is None or not follows_moldx(order):
        return []
    article = governing_article(order, knowledge)
    if article is None or not article.cpts:
        return []
    outside = tuple(c for c in billed_cpts(order) if c == row.cpt and c not in article.cpts)
    if not outside:
        return []
    return [Finding(RULE_ID, Severity.WARNING, order.order, Evidence(
        row=row, payer=order.payer, codes=outside, article=article.ref,
        expected=tuple(sorted(article.cpts))))]
