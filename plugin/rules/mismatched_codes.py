"""The order carries a CPT or Z-code that is not the catalog's pair for the test on the date of
service: another test's Z-code, or a CPT that DEX did not assign to this test.

Codes that were this test's own in an earlier period are stale, not mismatched (stale_code).
Payers that require Z-codes only: the pair is DEX's, and other payers' rules are not known.
"""

from __future__ import annotations

from ..codes import CodeKind
from ..findings import CodeChange, Evidence, Finding, Fix, Severity
from ..knowledge import Catalog, Knowledge
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
    return [Finding(RULE_ID, Severity.WARNING, order.order,
                    Evidence(row=row, payer=order.payer, owners=tuple(owners)),
                    (Fix(tuple(changes), certain=order.identified_for_sure),))]


def _owner(catalog: Catalog, kind: CodeKind, code: str) -> str | None:
    """The one catalog test a code belongs to, if it names exactly one."""
    if kind is CodeKind.ZCODE:
        return catalog.test_for_zcode(code)
    tests = catalog.tests_for_cpt(code)
    return next(iter(tests)) if len(tests) == 1 else None
