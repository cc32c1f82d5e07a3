"""How a CDS client applies the actions of a CDS Hooks response to its orders.

CDS Hooks 2.0: the system actions are applied without asking anyone, then the suggestions a
user accepted, each as one set. The actions of a set are applied like a FHIR transaction:
deletes, then creates, then updates; an update carries the whole resource and replaces it.

A service may only change the orders it was asked about: an update or delete of any other
resource is refused, as is an update that moves an order to another patient. Everything is
checked before anything is returned, so a refused action leaves nothing half applied.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_ORDER = {"delete": 0, "create": 1, "update": 2}


class ActionError(ValueError):
    """A response whose actions cannot be applied; says which action and why."""


@dataclass(frozen=True)
class AppliedAction:
    origin: str  # "system action" or "suggestion <uuid>"
    type: str  # create, update, delete
    target: str  # `Type/id`; a created resource without an id: its type
    description: str


@dataclass
class Applied:
    """The orders after the actions, and what was done to get there."""

    orders: dict[str, dict[str, Any]]  # `Type/id` -> resource, for every order still there
    updated: list[str] = field(default_factory=list)  # orders replaced, in order, once each
    created: list[dict[str, Any]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    actions: list[AppliedAction] = field(default_factory=list)


def system_actions(response: Mapping[str, Any]) -> list[Any]:
    """The response's system actions: `systemActions`, or for a service written for clients
    before CDS Hooks 2.0 (the sandbox reads them there), `extension.systemActions`."""
    if "systemActions" in response:
        return _list(response["systemActions"], "systemActions")
    extension = response.get("extension")
    legacy = extension.get("systemActions") if isinstance(extension, dict) else None
    return _list(legacy, "extension.systemActions") if legacy is not None else []


def suggestions(response: Mapping[str, Any]) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    """Every suggestion that has a uuid, by uuid, with its card."""
    found = {}
    for card in _list(response.get("cards"), "cards"):
        if not isinstance(card, dict):
            raise ActionError("a card is not a JSON object")
        for suggestion in _list(card.get("suggestions"), "card.suggestions"):
            if isinstance(suggestion, dict) and isinstance(suggestion.get("uuid"), str):
                found[suggestion["uuid"]] = (card, suggestion)
    return found


def apply_actions(orders: Mapping[str, dict[str, Any]], response: Mapping[str, Any],
                  accepted: Iterable[str] = ()) -> Applied:
    """Apply the system actions of `response`, then the suggestions whose uuids are in
    `accepted` (in that order), to `orders` (`Type/id` -> resource, the orders the request
    was about). `orders` itself is not changed."""
    if not isinstance(response, Mapping):
        raise ActionError("the response is not a JSON object")
    sets = [("system action", system_actions(response))]
    offered = suggestions(response)
    chosen_on: dict[str, str] = {}  # card uuid -> the suggestion taken on an at-most-one card
    for wanted in dict.fromkeys(accepted):
        if wanted not in offered:
            raise ActionError(f"the response has no suggestion with uuid {wanted}")
        card, suggestion = offered[wanted]
        if card.get("selectionBehavior") == "at-most-one":
            key = card.get("uuid") or id(card)
            if key in chosen_on:
                raise ActionError(f"suggestions {chosen_on[key]} and {wanted} are on the same "
                                  "card, which allows at most one")
            chosen_on[key] = wanted
        sets.append((f"suggestion {wanted}",
                     _list(suggestion.get("actions"), f"suggestion {wanted} actions")))
    applied = Applied(orders=copy.deepcopy(dict(orders)))
    for origin, actions in sets:
        checked = [_checked(action, f"{origin} {i + 1}") for i, action in enumerate(actions)]
        for kind, target, resource, description in sorted(checked,
                                                          key=lambda a: _ORDER[a[0]]):
            _apply(applied, orders, origin, kind, target, resource, description)
    return applied


def _checked(action: Any, where: str) -> tuple[str, str, dict[str, Any] | None, str]:
    """(type, target, resource, description) of a well-formed action, else ActionError."""
    if not isinstance(action, dict):
        raise ActionError(f"{where}: not a JSON object")
    kind = action.get("type")
    if kind not in _ORDER:
        raise ActionError(f"{where}: type {kind!r} is not create, update or delete")
    resource = action.get("resource")
    if resource is not None and not (isinstance(resource, dict)
                                     and isinstance(resource.get("resourceType"), str)):
        raise ActionError(f"{where}: its resource is not a FHIR resource")
    description = action.get("description") if isinstance(action.get("description"), str) \
        else ""
    if kind == "create":
        if resource is None:
            raise ActionError(f"{where}: a create needs a resource")
        target = _reference(resource) or resource["resourceType"]
    elif kind == "update":
        target = _reference(resource) if resource else None
        if target is None:
            raise ActionError(f"{where}: an update needs the whole resource, with its id")
    else:  # delete: resourceId `Type/id`; naming it in `resource` is deprecated but allowed
        named = action.get("resourceId")
        target = named if isinstance(named, str) and "/" in named else \
            (_reference(resource) if resource else None)
        if target is None:
            raise ActionError(f"{where}: a delete needs a resourceId (Type/id)")
    return kind, target, resource, description


def _apply(applied: Applied, requested: Mapping[str, dict[str, Any]], origin: str, kind: str,
           target: str, resource: dict[str, Any] | None, description: str) -> None:
    if kind == "create":
        applied.created.append(copy.deepcopy(resource))
    else:
        if target not in requested:
            raise ActionError(f"{origin}: refusing to {kind} {target}, which is not one of "
                              "the orders the request was about")
        if target not in applied.orders:
            raise ActionError(f"{origin}: cannot {kind} {target}: an earlier action deleted it")
        if kind == "delete":
            del applied.orders[target]
            applied.deleted.append(target)
        else:
            if resource.get("subject") != requested[target].get("subject"):
                raise ActionError(f"{origin}: refusing to update {target}: it would change the "
                                  "order's subject (patient)")
            applied.orders[target] = copy.deepcopy(resource)
            if target not in applied.updated:
                applied.updated.append(target)
    applied.actions.append(AppliedAction(origin, kind, target, description))


def _reference(resource: dict[str, Any]) -> str | None:
    rid = resource.get("id")
    return f"{resource['resourceType']}/{rid}" if isinstance(rid, str) and rid else None


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise ActionError(f"{what} is not a list")
    return value
