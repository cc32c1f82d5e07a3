"""What a suggestion or system action does to an order: its codes, diagnoses, quantity, or
dropping it; and those changes in words for the action's description."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cds_hooks.service.crd import COVERAGE_INFORMATION
from cds_hooks.service.models import Action, Suggestion
from plugin.codes import ICD10CM_SYSTEM, CodeKind, CodeSystems, normalize_icd10
from plugin.findings import CodeChange, Finding, Fix
from plugin.knowledge import CatalogRow

from .parts import DERIVED, reference

KIND_NAMES = {CodeKind.TEST: "test code", CodeKind.CPT: "CPT", CodeKind.ZCODE: "Z-code"}
# Where each kind of code goes among the new codings (the enum's order), looked up once.
_KIND_ORDER = {kind: i for i, kind in enumerate(CodeKind)}


def with_codes(resource: dict[str, Any], changes: Iterable[CodeChange],
               systems: CodeSystems) -> dict[str, Any]:
    """A copy of the order with each change's code as its only code of that kind. A wrong code
    is replaced where it stood, new codes follow the others, empty codings (`{}`) are dropped
    and everything else is kept as it was."""
    wanted = {c.kind: {"system": systems.system_for(c.kind), "code": c.code}
              for c in sorted(changes, key=lambda c: _KIND_ORDER[c.kind])}
    placed: set[CodeKind] = set()
    codings: list[dict] = []
    concept = resource.get("code") or {}
    for coding in concept.get("coding", []):
        kind = systems.kind_of(coding.get("system"))
        if kind in wanted:
            if kind not in placed:
                codings.append(wanted[kind])
                placed.add(kind)
        elif coding:
            codings.append(coding)
    codings += [c for kind, c in wanted.items() if kind not in placed]
    # Copy on write: only the members that change are new; the rest is shared with the order
    # as received, which nothing mutates (a deep copy per action was the renderer's main cost).
    return {**resource, "code": {**concept, "coding": codings}}


def with_fix(resource: dict[str, Any], fix: Fix, systems: CodeSystems) -> dict[str, Any]:
    """A copy of the order with a fix's codes, diagnoses and quantity applied (copy on write,
    as in with_codes)."""
    updated = with_codes(resource, fix.changes, systems) if fix.changes else dict(resource)
    for reason in fix.reasons:
        if reason.condition:
            updated["reasonReference"] = [*updated.get("reasonReference", []),
                                          {"reference": reason.condition}]
        else:
            updated["reasonCode"] = [_with_diagnosis(concept, reason.replaces, reason.code)
                                     for concept in updated.get("reasonCode", [])]
    if fix.quantity is not None:
        updated["quantityQuantity"] = {"value": fix.quantity}
    return updated


def _with_diagnosis(concept: dict, old: str | None, new: str) -> dict:
    """The reason with ICD-10-CM code `old` replaced by `new` (and its display dropped: it
    described the old code)."""
    codings = []
    for coding in concept.get("coding", []):
        if coding.get("system") == ICD10CM_SYSTEM and coding.get("code") and \
                normalize_icd10(coding["code"]) == old:
            coding = {k: v for k, v in coding.items() if k != "display"} | {"code": new}
        codings.append(coding)
    return {**concept, "coding": codings}


def update_action(systems: CodeSystems, resource: dict, changes: Iterable[CodeChange],
                  what: str) -> Action:
    return update_to(with_codes(resource, changes, systems), what)


def update_to(updated: dict, what: str) -> Action:
    """The update putting `updated` in place of the order, `what` saying what changed."""
    return Action(type="update", resource=updated, description=f"{reference(updated)}: {what}")


def fix_action(resource: dict, systems: CodeSystems, fix: Fix) -> Action:
    return Action(type="update", resource=with_fix(resource, fix, systems),
                  description=f"{reference(resource)}: {describe_fix(fix)}")


def describe_changes(changes: Iterable[CodeChange]) -> str:
    """`add CPT 81445 and Z-code ZL5H2`, `replace Z-code ZK3B5 with ZL5H2`."""
    added = [f"{KIND_NAMES[c.kind]} {c.code}" for c in changes if not c.replaces]
    replaced = [f"replace {KIND_NAMES[c.kind]} {c.replaces} with {c.code}"
                for c in changes if c.replaces]
    parts = ([f"add {' and '.join(added)}"] if added else []) + replaced
    return "; ".join(parts)


def describe_fix(fix: Fix) -> str:
    """`replace CPT 81445 with 81479`, `add Condition/c-1 as a reason`, `drop the order`."""
    parts = [describe_changes(fix.changes)] if fix.changes else []
    for reason in fix.reasons:
        parts.append(f"add {reason.condition} as a reason" if reason.condition
                     else f"replace diagnosis {reason.replaces} with {reason.code}")
    if fix.quantity is not None:
        parts.append(f"set the quantity to {fix.quantity}")
    if fix.cancel:
        parts.append("drop the order")
    return "; ".join(parts)


def drop_order(resource: dict, finding: Finding) -> list[Suggestion]:
    if not any(fix.cancel for fix in finding.fixes):
        return []
    order = reference(resource)
    return [Suggestion(label="Drop this order", uuid=DERIVED, actions=[Action(
        type="delete", resourceId=order, description=f"{order}: drop the order")])]


def with_test(resource: dict[str, Any], row: CatalogRow, systems: CodeSystems) -> dict[str, Any]:
    """A copy of the order for another catalog test: its codes and name only (the EHR's own
    codes named the old test), without the coverage information about the old test; reasons,
    specimen and everything else kept."""
    codes = [CodeChange(CodeKind.TEST, row.test_code), CodeChange(CodeKind.ZCODE, row.zcode)]
    if row.cpt:
        codes.insert(1, CodeChange(CodeKind.CPT, row.cpt))
    updated = {**resource, "code": {
        "coding": [{"system": systems.system_for(c.kind), "code": c.code} for c in codes],
        "text": row.test_name}}
    extensions = [e for e in resource.get("extension", []) if e.get("url") != COVERAGE_INFORMATION]
    if extensions:
        updated["extension"] = extensions
    else:
        updated.pop("extension", None)
    return updated


def replace_order(resource: dict, row: CatalogRow, systems: CodeSystems, label: str,
                  drop: tuple[str, ...] = ()) -> Suggestion:
    """Order `row` in place of this order's test, and drop the orders `drop` (`Type/id`)."""
    order = reference(resource)
    return Suggestion(label=label, uuid=DERIVED, actions=[
        Action(type="update", resource=with_test(resource, row, systems),
               description=f"{order}: order {row.test_code} in its place"),
        *(Action(type="delete", resourceId=other, description=f"{other}: drop the order, "
                 f"which {row.test_code} on {order} includes") for other in drop)])
