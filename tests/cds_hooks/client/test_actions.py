"""How the client applies a response's actions: system actions, then accepted suggestions;
in each set deletes, creates, updates; whole-resource updates; only the request's orders."""

from __future__ import annotations

import copy

import pytest

from cds_hooks.client.actions import ActionError, apply_actions
from cds_hooks.service.crd import COVERAGE_INFORMATION
from plugin.codes import CPT_SYSTEM, DEFAULT_ZCODE_SYSTEM
from tests.conftest import TODAY, hook_fixture, post_hook

SUBJECT = {"reference": "Patient/pat-1"}


def order(rid: str, *codes: str, **more) -> dict:
    return {"resourceType": "ServiceRequest", "id": rid, "status": "draft", "intent": "order",
            "subject": SUBJECT, "code": {"coding": [{"code": c} for c in codes]}, **more}


def update(resource: dict, description: str = "change it") -> dict:
    return {"type": "update", "description": description, "resource": resource}


def card(*suggestions: dict, behavior: str | None = "at-most-one", uuid: str = "c1") -> dict:
    return {"uuid": uuid, "summary": "s", "indicator": "info", "source": {"label": "x"},
            "suggestions": list(suggestions),
            **({"selectionBehavior": behavior} if behavior else {})}


def suggestion(uuid: str, *actions: dict) -> dict:
    return {"uuid": uuid, "label": f"take {uuid}", "actions": list(actions)}


ORDERS = {"ServiceRequest/sr-1": order("sr-1", "A"), "ServiceRequest/sr-2": order("sr-2", "B")}


def test_system_actions_come_first_then_the_accepted_suggestions_in_turn():
    response = {"cards": [card(suggestion("s1", update(order("sr-1", "FROM-S1")))),
                          card(suggestion("s2", update(order("sr-1", "FROM-S2"))), uuid="c2")],
                "systemActions": [update(order("sr-1", "FROM-SYSTEM"))]}

    applied = apply_actions(ORDERS, response, accepted=["s2", "s1"])

    assert [a.origin for a in applied.actions] == ["system action", "suggestion s2",
                                                    "suggestion s1"]
    assert applied.orders["ServiceRequest/sr-1"]["code"]["coding"] == [{"code": "FROM-S1"}]
    assert applied.updated == ["ServiceRequest/sr-1"]


def test_within_a_set_deletes_then_creates_then_updates():
    task = {"resourceType": "Task", "status": "requested", "intent": "order"}
    response = {"cards": [], "systemActions": [
        update(order("sr-1", "NEW")),
        {"type": "create", "description": "a task", "resource": task},
        {"type": "delete", "description": "drop it", "resourceId": "ServiceRequest/sr-2"}]}

    applied = apply_actions(ORDERS, response)

    assert [a.type for a in applied.actions] == ["delete", "create", "update"]
    assert applied.deleted == ["ServiceRequest/sr-2"]
    assert applied.created == [task]
    assert set(applied.orders) == {"ServiceRequest/sr-1"}


def test_an_update_replaces_the_whole_resource():
    original = {"ServiceRequest/sr-1": order("sr-1", "A", note=[{"text": "fragile"}])}
    response = {"cards": [], "systemActions": [update(order("sr-1", "A", "81445"))]}

    applied = apply_actions(original, response)

    assert "note" not in applied.orders["ServiceRequest/sr-1"]  # not merged: replaced
    assert original["ServiceRequest/sr-1"]["note"] == [{"text": "fragile"}]  # input untouched


@pytest.mark.parametrize("action, refused", [
    (update(order("sr-9", "X")), "refusing to update ServiceRequest/sr-9"),
    (update({"resourceType": "Patient", "id": "pat-1"}), "refusing to update Patient/pat-1"),
    ({"type": "delete", "description": "d", "resourceId": "Coverage/cov-1"},
     "refusing to delete Coverage/cov-1"),
    (update({**order("sr-1", "A"), "subject": {"reference": "Patient/other"}}),
     "change the order's subject"),
    ({"type": "patch", "description": "d"}, "is not create, update or delete"),
    (update({"resourceType": "ServiceRequest"}), "needs the whole resource, with its id"),
    ({"type": "create", "description": "d"}, "a create needs a resource"),
    ({"type": "delete", "description": "d"}, "needs a resourceId"),
    ("update", "not a JSON object"),
])
def test_an_action_outside_the_request_or_malformed_is_refused_and_nothing_applies(
        action, refused):
    before = copy.deepcopy(ORDERS)
    response = {"cards": [], "systemActions": [update(order("sr-2", "FINE")), action]}

    with pytest.raises(ActionError, match=refused):
        apply_actions(ORDERS, response)
    assert before == ORDERS


def test_a_create_may_be_of_any_resource():
    created = {"resourceType": "Communication", "status": "completed"}
    applied = apply_actions(ORDERS, {"cards": [], "systemActions": [
        {"type": "create", "description": "tell the lab", "resource": created}]})
    assert applied.created == [created] and applied.actions[0].target == "Communication"


def test_an_update_after_a_delete_of_the_same_order_is_refused():
    response = {"cards": [card(suggestion("s1", update(order("sr-1", "B"))))],
                "systemActions": [{"type": "delete", "description": "d",
                                   "resourceId": "ServiceRequest/sr-1"}]}
    with pytest.raises(ActionError, match="an earlier action deleted it"):
        apply_actions(ORDERS, response, accepted=["s1"])


def test_accepting_an_unknown_suggestion_or_two_on_an_at_most_one_card_is_refused():
    response = {"cards": [card(suggestion("s1"), suggestion("s2"))]}
    with pytest.raises(ActionError, match="no suggestion with uuid nope"):
        apply_actions(ORDERS, response, accepted=["nope"])
    with pytest.raises(ActionError, match="allows at most one"):
        apply_actions(ORDERS, response, accepted=["s1", "s2"])
    both = {"cards": [card(suggestion("s1"), suggestion("s2"), behavior="any")]}
    assert len(apply_actions(ORDERS, both, accepted=["s1", "s2"]).actions) == 0


def test_legacy_system_actions_in_the_extension_are_read_when_the_2_0_member_is_absent():
    legacy = {"cards": [], "extension": {"systemActions": [update(order("sr-1", "OLD-PLACE"))]}}
    assert apply_actions(ORDERS, legacy).updated == ["ServiceRequest/sr-1"]
    both = {**legacy, "systemActions": []}  # a 2.0 service mirroring: the 2.0 member counts
    assert apply_actions(ORDERS, both).updated == []


def test_our_service_system_action_then_its_suggestion_keeps_codes_and_coverage(client,
                                                                                knowledge):
    request = hook_fixture("missing-zcode")
    draft = request["context"]["draftOrders"]["entry"][0]["resource"]
    response = post_hook(client, request)
    [coding_card] = [c for c in response["cards"] if c.get("suggestions")]
    accepted = [s["uuid"] for s in coding_card["suggestions"]]

    applied = apply_actions({"ServiceRequest/sr-1": draft}, response, accepted=accepted)
    again = apply_actions(applied.orders, response, accepted=accepted)

    row = knowledge.catalog.row_on("CMD-LUNG50", TODAY)
    for result in (applied, again):  # applying the same response again changes nothing
        resource = result.orders["ServiceRequest/sr-1"]
        codings = resource["code"]["coding"]
        assert [c["code"] for c in codings if c["system"] == CPT_SYSTEM] == [row.cpt]
        assert [c["code"] for c in codings if c["system"] == DEFAULT_ZCODE_SYSTEM] == \
            [row.zcode]
        assert [e["url"] for e in resource["extension"]].count(COVERAGE_INFORMATION) == 1
    assert again.orders == applied.orders
