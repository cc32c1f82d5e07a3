"""The order carries a CPT or Z-code that is not the catalog's pair for the test on the date of
service: another test's Z-code, or a CPT that DEX did not assign to this test.

Codes that were this test's own in an earlier period are stale, not mismatched (stale_code).
Payers that require Z-codes only: the pair is DEX's, and other payers' rules are not known.

When the test is not known for sure (a claim line whose CPT names another test than its
Z-code), rewriting either code could bill a test that was not run: both tests' pairs are
offered to a person, with the test whose list price the line's charge is, when one is.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Catalog, CatalogRow, Knowledge
from ..orders import OrderFacts, PatientFacts
from .scope import uses_dex

RULE_ID = "mismatched-code"


def check(order: OrderFacts, patient: PatientFacts, knowledge: Knowledge) -> list[Finding]:
    row = order.row
    if row is None or not uses_dex(order):
        return []
    catalog = knowledge.catalog
    changes: list[CodeChange] = []
    owners: list[tuple[str, str]] = []
    for kind in (CodeKind.CPT, CodeKind.ZCODE):
        right, written = row.code_of(kind), order.codes_of(kind)
        if right is None or not written:
            continue  # nothing to put in its place, or nothing written
        wrong = [code for code in written if code != right
                 and not catalog.superseded(row.test_code, order.date_of_service, kind, code)]
        if not wrong:
            continue
        changes.append(CodeChange(kind, right, replaces=wrong[0]))
        owners += [(code, owner) for code in wrong if (owner := _owner(catalog, kind, code))]
    if not changes:
        return []
    fixes = [Fix(tuple(changes), certain=order.identified_for_sure)]
    others = [] if order.identified_for_sure else _tests_of_the_cpt(order, knowledge)
    fixes += [Fix((CodeChange(CodeKind.ZCODE, other.zcode, replaces=order.zcodes[0]),),
                  certain=False) for other in others if order.zcodes]
    priced = [r for r in (row, *others) if order.charge is not None
              and r.list_price_usd == order.charge]
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, owners=tuple(owners),
                             candidates=() if order.identified_for_sure else (row, *others),
                             priced=priced[0] if len(priced) == 1 else None),
                    tuple(fixes))]


def _tests_of_the_cpt(order: OrderFacts, knowledge: Knowledge) -> list[CatalogRow]:
    """The one other test the order's CPT bills on the date of service, as a list."""
    catalog = knowledge.catalog
    rows = [r for cpt in order.cpts for test in catalog.tests_for_cpt(cpt)
            if (r := catalog.row_on(test, order.date_of_service)) and r.cpt == cpt
            and r.test_code != order.test_code]
    return rows if len(rows) == 1 else []


def _owner(catalog: Catalog, kind: CodeKind, code: str) -> str | None:
    """The one catalog test a code belongs to, if it names exactly one."""
    if kind is CodeKind.ZCODE:
        return catalog.test_for_zcode(code)
    tests = catalog.tests_for_cpt(code)
    return next(iter(tests)) if len(tests) == 1 else None
