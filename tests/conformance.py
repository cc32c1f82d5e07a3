"""The response rules of CDS Hooks 2.0 and Da Vinci CRD 2.0.1, as a checker that lists what a
response breaks. The test client runs it on every hook response the test suite produces."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

COVERAGE_INFORMATION = ("http://hl7.org/fhir/us/davinci-crd/StructureDefinition/"
                        "ext-coverage-information")
_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]+$")
_URL = re.compile(r"^https?://[^/\s]+")


def problems(response: dict[str, Any], request: dict[str, Any] | None = None) -> list[str]:
    """What `response` breaks; `request`, when given, is the hook call it answers."""
    found = list(_empty_members(response, "response", top=True))
    if not isinstance(response.get("cards"), list):
        return [*found, "cards: missing or not an array"]
    card_uuids, suggestion_uuids = [], []
    for i, card in enumerate(response["cards"]):
        found += _card(card, f"cards[{i}]")
        card_uuids.append(card.get("uuid"))
        suggestion_uuids += [s.get("uuid") for s in card.get("suggestions", [])]
    for kind, ids in (("card", card_uuids), ("suggestion", suggestion_uuids)):
        if len(ids) != len(set(ids)):
            found.append(f"{kind} uuids are not unique")
    actions = response.get("systemActions", [])
    for i, action in enumerate(actions):
        found += _action(action, f"systemActions[{i}]")
    updated = [a["resource"].get("resourceType", "") + "/" + str(a["resource"].get("id"))
               for a in actions if a.get("type") == "update" and isinstance(a.get("resource"),
                                                                           dict)]
    if len(updated) != len(set(updated)):
        found.append("systemActions: two updates of one resource (the second undoes the first)")
    found += _coverage_information(actions, _version(request))
    if request is not None:
        found += _against_request(response, request)
    return found


def _empty_members(value: Any, path: str, top: bool = False) -> Iterator[str]:
    if isinstance(value, dict):
        for key, member in value.items():
            if member is None or member in ("", [], {}):
                if not (top and key == "cards" and member == []):
                    yield f"{path}.{key}: null or empty"
            else:
                yield from _empty_members(member, f"{path}.{key}")
    elif isinstance(value, list):
        for i, member in enumerate(value):
            if member is None or member in ("", [], {}):
                yield f"{path}[{i}]: null or empty"
            else:
                yield from _empty_members(member, f"{path}[{i}]")


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def _card(card: dict[str, Any], path: str) -> list[str]:
    found = []
    if not _is_uuid(card.get("uuid")):
        found.append(f"{path}.uuid: missing or not a UUID")
    summary = card.get("summary")
    if not isinstance(summary, str) or not summary or len(summary) >= 140:
        found.append(f"{path}.summary: missing or 140 characters or more")
    if card.get("indicator") not in ("info", "warning", "critical"):
        found.append(f"{path}.indicator: not info, warning or critical")
    source = card.get("source") or {}
    if not isinstance(source.get("label"), str):
        found.append(f"{path}.source.label: missing")
    topic = source.get("topic") or {}
    if not (isinstance(topic.get("system"), str) and isinstance(topic.get("code"), str)):
        found.append(f"{path}.source.topic: missing system or code (CRD)")
    suggestions = card.get("suggestions", [])
    if suggestions:
        behavior = card.get("selectionBehavior")
        if behavior not in ("at-most-one", "any"):
            found.append(f"{path}.selectionBehavior: required with suggestions")
        if behavior == "at-most-one" and sum(bool(s.get("isRecommended"))
                                             for s in suggestions) > 1:
            found.append(f"{path}: several recommended suggestions with at-most-one")
    for j, suggestion in enumerate(suggestions):
        if not isinstance(suggestion.get("label"), str):
            found.append(f"{path}.suggestions[{j}].label: missing")
        if not _is_uuid(suggestion.get("uuid")):
            found.append(f"{path}.suggestions[{j}].uuid: missing or not a UUID")
        for k, action in enumerate(suggestion.get("actions", [])):
            found += _action(action, f"{path}.suggestions[{j}].actions[{k}]")
    reasons = card.get("overrideReasons", [])
    if card.get("indicator") == "warning" and not reasons:
        found.append(f"{path}.overrideReasons: a warning card offers none")
    for j, reason in enumerate(reasons):
        if not all(isinstance(reason.get(k), str) for k in ("system", "code", "display")):
            found.append(f"{path}.overrideReasons[{j}]: needs system, code and display")
    for j, link in enumerate(card.get("links", [])):
        if not (isinstance(link.get("label"), str) and _URL.match(str(link.get("url")))
                and link.get("type") in ("absolute", "smart")):
            found.append(f"{path}.links[{j}]: needs label, an http(s) url and a type")
        if link.get("type") == "absolute" and "appContext" in link:
            found.append(f"{path}.links[{j}]: appContext on an absolute link")
    return found


def _action(action: dict[str, Any], path: str) -> list[str]:
    found = []
    kind = action.get("type")
    if kind not in ("create", "update", "delete"):
        found.append(f"{path}.type: not create, update or delete")
    if not isinstance(action.get("description"), str) or not action.get("description"):
        found.append(f"{path}.description: missing")
    if kind in ("create", "update") and not isinstance(
            (action.get("resource") or {}).get("resourceType"), str):
        found.append(f"{path}.resource: a {kind} needs a resource")
    if kind == "delete" and not _REFERENCE.match(str(action.get("resourceId"))):
        found.append(f"{path}.resourceId: a delete needs Type/id")
    return found


def _extensions(resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in resource.get("extension", []) if e.get("url") == COVERAGE_INFORMATION]


def _version(request: dict[str, Any] | None) -> str:
    """The CRD version the call asked for: 2.2 when it says so, else 2.0.1 (Inferno)."""
    asked = ((request or {}).get("extension") or {}).get("davinci-crd.requestedVersion")
    return "2.2" if asked in ("2.1", "2.2") else "2.0.1"


# What CRD 2.2 adds to the codes of coverage-information, which 2.0.1 validators reject.
_ONLY_2_2 = {"covered": {"indeterminate"}, "pa-needed": {"indeterminate"},
             "info-needed": {"detail-code"}}


def _coverage_information(actions: list[dict[str, Any]], version: str = "2.0.1") -> list[str]:
    found = []
    ids: dict[str, set[str]] = {}
    for i, action in enumerate(actions):
        for extension in _extensions(action.get("resource") or {}):
            path = f"systemActions[{i}] coverage-information"
            if action.get("type") != "update" or "resourceId" in action:
                found.append(f"{path}: must be an update without resourceId")
            parts: dict[str, list[Any]] = {}
            for part in extension.get("extension", []):
                value = next((v for k, v in part.items() if k.startswith("value")), None)
                parts.setdefault(part.get("url"), []).append(value)
            for required in ("coverage", "covered", "date", "coverage-assertion-id"):
                if len(parts.get(required, [])) != 1:
                    found.append(f"{path}: needs exactly one {required}")
            covered = (parts.get("covered") or [None])[0]
            allowed = {"covered", "not-covered", "conditional"} | (
                _ONLY_2_2["covered"] if version == "2.2" else set())
            if covered not in allowed:
                found.append(f"{path}: covered {covered!r} is not valid in CRD {version} "
                             "(not cross-version safe)")
            if version != "2.2":
                found += [f"{path}: {name} {code!r} is CRD 2.2 only"
                          for name, codes in _ONLY_2_2.items()
                          for code in parts.get(name, []) if code in codes]
            if covered != "covered" and not all(
                    (r or {}).get("text") for r in parts.get("reason", [None])):
                found.append(f"{path}: covered {covered!r} needs a reason in words")
            pa_needed = (parts.get("pa-needed") or [None])[0]
            if (pa_needed is None) != (covered == "not-covered"):
                found.append(f"{path}: pa-needed must be present iff covered is not "
                             "not-covered")
            conditional = "conditional" in (covered, pa_needed)
            if "detail-code" in parts.get("info-needed", []) and not conditional:
                found.append(f"{path}: detail-code only where something is conditional")
            if conditional != ("info-needed" in parts):
                found.append(f"{path}: info-needed must be present iff something is "
                             "conditional")
            if ("OTH" in parts.get("info-needed", []) or covered == "not-covered") \
                    and "reason" not in parts:
                found.append(f"{path}: needs a reason")
            if "doc-needed" in parts:
                found.append(f"{path}: doc-needed is never emitted by this service")
            coverage = ((parts.get("coverage") or [{}])[0] or {}).get("reference")
            ids.setdefault(coverage, set()).update(parts.get("coverage-assertion-id", []))
    for coverage, assertion_ids in ids.items():
        if len(assertion_ids) > 1:
            found.append(f"coverage {coverage}: several coverage-assertion-ids")
    flat = [a for s in ids.values() for a in s]
    if len(flat) != len(set(flat)):
        found.append("two coverages share a coverage-assertion-id")
    return found


def _against_request(response: dict[str, Any], request: dict[str, Any]) -> list[str]:
    """Updates change orders of the call, and a system action changes nothing but codes and
    coverage information (CRD resp-37). Suggestions may change more: a clinician chooses them
    (linking a diagnosis, setting the quantity)."""
    context = request.get("context") or {}
    drafts = {f"{r.get('resourceType')}/{r.get('id')}": r for r in
              (e.get("resource") or {} for e in (context.get("draftOrders") or {}).get(
                  "entry", []))}
    allowed = set(drafts) | set(context.get("dispatchedOrders") or []) | (
        {context["order"]} if context.get("order") else set())
    found = []
    updates = [a for s in (c.get("suggestions", []) for c in response["cards"])
               for sug in s for a in sug.get("actions", [])]
    for action in [*updates, *response.get("systemActions", [])]:
        resource = action.get("resource") or {}
        target = f"{resource.get('resourceType')}/{resource.get('id')}"
        if action.get("type") == "update" and target not in allowed:
            found.append(f"update of {target}, which the call did not send or dispatch")
        original = drafts.get(target)
        system_action = action in response.get("systemActions", [])
        if original is not None and system_action and _extensions(resource):
            unchanged = {k: v for k, v in original.items() if k not in ("extension", "code")}
            if {k: v for k, v in resource.items() if k not in ("extension", "code")} \
                    != unchanged:
                found.append(f"update of {target} changes more than its codes and coverage "
                             "information")
    if request.get("hook") == "order-select" and response.get("systemActions"):
        found.append("order-select answered with system actions")
    return found
