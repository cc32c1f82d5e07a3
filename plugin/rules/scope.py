"""Which payer rules apply to an order, and which policy article version governs it.

Payer scope comes from payers.csv: `moldx` payers get the Z-code and the diagnosis checks,
`zcode-only` the Z-code checks, `none` neither; an order without a Coverage, or whose payer the
knowledge does not know, gets only the checks that need no payer. A Medicare Part B claim goes
to the lab's contractor, so for Medicare the article must be one of that contractor's.
"""

from __future__ import annotations

from ..knowledge import ArticleVersion, CoverageRules, Knowledge
from ..orders import OrderFacts

MEDICARE = "medicare"  # payers.csv program of Medicare Part B (fee for service)


def checks_diagnoses(order: OrderFacts) -> bool:
    """The payer follows the MolDX articles' diagnosis lists and the test names its article."""
    payer, row = order.payer, order.row
    return (payer is not None and payer.coverage_rules is CoverageRules.MOLDX
            and row is not None and row.policy_article is not None)


def article_version(order: OrderFacts, knowledge: Knowledge) -> ArticleVersion | None:
    """The version of the test's article in force on the date of service (any contractor)."""
    assert order.row is not None and order.row.policy_article is not None
    return knowledge.policy.version_on(order.row.policy_article, order.date_of_service)


def governing_article(order: OrderFacts, knowledge: Knowledge) -> ArticleVersion | None:
    """That version when it governs the claim: for Medicare, it must be an article of the
    lab's Part B contractor."""
    version = article_version(order, knowledge)
    payer = order.payer
    if version is None or payer is None:
        return None
    if payer.program == MEDICARE and not version.applies_to_contract(
            knowledge.lab.medicare_part_b_contract):
        return None
    return version


def uses_dex(order: OrderFacts) -> bool:
    """The payer requires DEX Z-codes on the date of service, so the pair of CPT and Z-code DEX
    assigned is what its claims are judged on (Palmetto GBA, "DEX Diagnostics Exchange
    Test Registration"). A payer that follows neither
    Z-codes nor MolDX, or one the knowledge does not know, gets no Z-code check."""
    payer = order.payer
    return payer is not None and payer.requires_zcode_on(order.date_of_service)


def follows_moldx(order: OrderFacts) -> bool:
    """The payer follows MolDX: the panel coding rules, the one-CGP-per-specimen limit and the
    MolDX articles bind its claims. Other payers (and orders whose payer is unknown) get none
    of them: their own rules are not in the knowledge."""
    payer = order.payer
    return payer is not None and payer.coverage_rules is CoverageRules.MOLDX
