"""The response rules (tests/conformance.py) hold for every response: the test client checks
each hook response any test gets; here every fixture goes through every hook, and the checker
is shown to catch crafted bad cards."""

from __future__ import annotations

import copy
import json

import pytest

from tests import conformance
from tests.cds_hooks.service.test_service import (
    DISPATCH,
    FIXTURES,
    SELECT,
    SIGN,
    as_dispatch,
    as_select,
)
from tests.conftest import check_response, hook_fixture


@pytest.mark.parametrize("name", [*FIXTURES, "sandbox-empty-order"])
def test_every_fixture_on_every_hook_conforms(client, fhir_server, name):
    body = hook_fixture(name)
    if body["hook"] == "order-sign":
        calls = [(SIGN, body), (SELECT, as_select(body))]
        dispatch, order = as_dispatch(body, "1.1")
        fhir_server.get(f"{body['fhirServer']}/ServiceRequest/{order['id']}", json=order)
        calls.append((DISPATCH, dispatch))
    else:
        calls = [(SELECT, body)]
    for path, call in calls:
        response = client.post(path, json=call)
        assert response.status_code == 200
        assert conformance.problems(response.json, call) == []


@pytest.fixture
def good(client) -> tuple[dict, dict]:
    """A real order-sign answer with a card, a suggestion and a system action, and its call."""
    body = hook_fixture("missing-zcode")
    response = client.post(SIGN, json=body).json
    assert response["cards"][0]["suggestions"] and response["systemActions"]
    return response, body


def _card(response: dict) -> dict:
    return response["cards"][0]


def _extension_parts(response: dict) -> list[dict]:
    return response["systemActions"][0]["resource"]["extension"][0]["extension"]


BAD = {
    "null member": (lambda r: _card(r).update(detail=None), "null or empty"),
    "empty list": (lambda r: _card(r).update(links=[]), "null or empty"),
    "no uuid": (lambda r: _card(r).pop("uuid"), "uuid"),
    "summary of 140 characters": (lambda r: _card(r).update(summary="x" * 140), "summary"),
    "unknown indicator": (lambda r: _card(r).update(indicator="hard-stop"), "indicator"),
    "no source.topic": (lambda r: _card(r)["source"].pop("topic"), "topic"),
    "suggestions without selectionBehavior": (
        lambda r: _card(r).pop("selectionBehavior"), "selectionBehavior"),
    "suggestion without uuid": (lambda r: _card(r)["suggestions"][0].pop("uuid"), "uuid"),
    "action without description": (
        lambda r: _card(r)["suggestions"][0]["actions"][0].pop("description"), "description"),
    "system action without description": (
        lambda r: r["systemActions"][0].pop("description"), "description"),
    "warning without override reasons": (lambda r: _card(r).pop("overrideReasons"),
                                         "overrideReasons"),
    "override reason without display": (
        lambda r: _card(r)["overrideReasons"][0].pop("display"), "display"),
    "duplicate card uuid": (lambda r: r["cards"].append(copy.deepcopy(_card(r))), "unique"),
    "two updates of one order": (
        lambda r: r["systemActions"].append(copy.deepcopy(r["systemActions"][0])),
        "two updates"),
    "update of an order not in the call": (
        lambda r: r["systemActions"][0]["resource"].update(id="sr-99"), "did not send"),
    "coverage information changing the status": (
        lambda r: r["systemActions"][0]["resource"].update(status="active"),
        "changes more than"),
    "covered without pa-needed": (
        lambda r: _extension_parts(r).__setitem__(slice(None), [
            p for p in _extension_parts(r) if p["url"] != "pa-needed"]), "pa-needed"),
    "indeterminate (CRD 2.2 only)": (
        lambda r: [p.update(valueCode="indeterminate") for p in _extension_parts(r)
                   if p["url"] == "covered"], "cross-version"),
    "link without url": (lambda r: _card(r).update(links=[{"label": "x", "type": "absolute"}]),
                         "links[0]"),
}


@pytest.mark.parametrize("case", BAD)
def test_a_crafted_bad_response_is_caught(good, app, case):
    response, request = copy.deepcopy(good[0]), good[1]
    mutate, expected = BAD[case]
    mutate(response)
    found = conformance.problems(response, request)
    assert any(expected in problem for problem in found), found
    with pytest.raises(AssertionError, match="breaks the CDS Hooks/CRD rules"):
        check_response(app.response_class(json.dumps(response), status=200,
                                          mimetype="application/json"), request)


def test_the_good_response_passes(good):
    assert conformance.problems(*good) == []
