"""Prefetch resolution: the five shapes of a prefetch key, and reading what is missing from the
client's FHIR server (mocked with `responses`: it is the client's server, not ours)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import requests
import responses

from tests.cds_hooks.service.test_service import SELECT, SIGN, as_select, coverage_parts
from tests.conftest import hook_fixture

FHIR = "https://ehr.example.org/fhir"
TOKEN = "opaque-access-token-1234567890"
COVERAGE_SEARCH = f"{FHIR}/Coverage?patient=pat-1&status=active"
CONDITION_SEARCH = f"{FHIR}/Condition?patient=pat-1&clinical-status=active"


def call(**prefetch_changes) -> dict:
    """The missing-zcode order-sign call, with a token for the FHIR server and the prefetch
    keys changed (a value of ... removes the key)."""
    body = hook_fixture("missing-zcode")
    body["fhirAuthorization"] = {"access_token": TOKEN, "token_type": "Bearer",
                                 "expires_in": 30, "scope": "user/Coverage.read",
                                 "subject": "moldx-cds"}
    for key, value in prefetch_changes.items():
        if value is ...:
            body["prefetch"].pop(key)
        else:
            body["prefetch"][key] = value
    return body


def coverage_bundle(**extra) -> dict:
    return hook_fixture("missing-zcode")["prefetch"]["coverage"] | extra


def searchset(*resources, next_url: str | None = None) -> dict:
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": r} for r in resources]}
    if next_url:
        bundle["link"] = [{"relation": "next", "url": next_url}]
    return bundle


def the_coverage() -> dict:
    return coverage_bundle()["entry"][0]["resource"]


def zcode_card(response) -> bool:
    """The Medicare payer, known only from the Coverage, is what makes the Z-code required."""
    return any("add the billing codes Medicare" in c["summary"] for c in response.json["cards"])


def gap_cards(response) -> list[dict]:
    return [c for c in response.json["cards"] if "could not be read" in c["summary"]]


# -- the five shapes -----------------------------------------------------------------------

def test_absent_key_is_read_from_the_fhir_server_with_the_token(client, fhir_server):
    fhir_server.get(COVERAGE_SEARCH, json=searchset(the_coverage()))
    response = client.post(SIGN, json=call(coverage=...))
    assert response.status_code == 200 and zcode_card(response)
    [read] = fhir_server.calls
    assert read.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert not gap_cards(response)


def test_null_key_means_no_data_and_is_not_read(client, fhir_server):
    response = client.post(SIGN, json=call(coverage=None, conditions=None))
    assert response.status_code == 200
    assert len(fhir_server.calls) == 0
    assert not zcode_card(response) and not gap_cards(response)
    assert "systemActions" not in response.json  # no Coverage: no coverage information


def test_empty_bundle_is_data_and_is_not_read(client, fhir_server):
    response = client.post(SIGN, json=call(coverage=searchset()))
    assert response.status_code == 200 and len(fhir_server.calls) == 0
    assert not zcode_card(response) and not gap_cards(response)


def test_operation_outcome_makes_the_service_read_it_itself(client, fhir_server):
    outcome = {"resourceType": "OperationOutcome",
               "issue": [{"severity": "error", "code": "timeout"}]}
    fhir_server.get(COVERAGE_SEARCH, json=searchset(the_coverage()))
    response = client.post(SIGN, json=call(coverage=outcome))
    assert response.status_code == 200 and zcode_card(response)
    assert len(fhir_server.calls) == 1


def test_paginated_prefetch_has_its_other_pages_read(client, fhir_server):
    page_two = f"{FHIR}/Coverage?patient=pat-1&status=active&_page=2"
    fhir_server.get(page_two, json=searchset(the_coverage()))
    response = client.post(SIGN, json=call(coverage=searchset(next_url=page_two)))
    assert response.status_code == 200 and zcode_card(response)
    assert [c.request.url for c in fhir_server.calls] == [page_two]


def test_a_search_of_three_pages_is_read_to_the_end(client, fhir_server):
    page = f"{FHIR}/Coverage?patient=pat-1&status=active&_page="
    fhir_server.get(COVERAGE_SEARCH, json=searchset(next_url=page + "2"))
    fhir_server.get(page + "2", json=searchset(next_url=page + "3"))
    fhir_server.get(page + "3", json=searchset(the_coverage()))
    response = client.post(SIGN, json=call(coverage=...))
    assert response.status_code == 200 and zcode_card(response)
    assert len(fhir_server.calls) == 3


def test_pages_beyond_the_cap_are_not_read(settings, knowledge, fhir_server):
    from dataclasses import replace

    from cds_hooks.service.app import create_app
    from tests.conftest import SignedClient

    app = create_app(replace(settings, fhir_max_pages=2), knowledge)
    app.test_client_class = SignedClient
    page = f"{FHIR}/Coverage?patient=pat-1&status=active&_page="
    fhir_server.get(COVERAGE_SEARCH, json=searchset(next_url=page + "2"))
    fhir_server.get(page + "2", json=searchset(next_url=page + "3"))
    fhir_server.get(page + "3", json=searchset(the_coverage()))
    response = app.test_client().post(SIGN, json=call(coverage=...))
    assert response.status_code == 200 and not zcode_card(response)
    assert len(fhir_server.calls) == 2


def test_a_next_link_to_another_host_is_not_followed(client, fhir_server):
    """The token must never leave fhirServer."""
    fhir_server.get(COVERAGE_SEARCH, json=searchset(
        the_coverage(), next_url="https://elsewhere.example/steal"))
    response = client.post(SIGN, json=call(coverage=...))
    assert response.status_code == 200 and zcode_card(response)
    assert [c.request.url for c in fhir_server.calls] == [COVERAGE_SEARCH]


# -- a FHIR server that fails ------------------------------------------------------------

FAILURES = {
    "timeout": dict(body=requests.exceptions.ReadTimeout("slow")),
    "401": dict(status=401, json={"resourceType": "OperationOutcome", "issue": []}),
    "500": dict(status=500, body="oops"),
    "broken JSON": dict(status=200, body='{"resourceType": "Bundle", "entry": [',
                        content_type="application/fhir+json"),
    "unreachable": dict(body=requests.exceptions.ConnectionError("refused")),
}


@pytest.mark.parametrize("failure", FAILURES)
def test_required_coverage_that_cannot_be_read_is_a_412(client, fhir_server, failure):
    fhir_server.get(COVERAGE_SEARCH, **FAILURES[failure])
    response = client.post(SIGN, json=call(coverage=...))
    assert response.status_code == 412
    [issue] = response.json["issue"]
    assert issue["diagnostics"].startswith("the patient's coverage:")


@pytest.mark.parametrize("failure", FAILURES)
def test_optional_conditions_that_cannot_be_read_give_one_info_card(client, fhir_server,
                                                                     failure):
    fhir_server.get(CONDITION_SEARCH, **FAILURES[failure])
    response = client.post(SIGN, json=call(conditions=...))
    assert response.status_code == 200 and zcode_card(response)
    [card] = gap_cards(response)
    assert card["indicator"] == "info"
    assert "active conditions" in card["summary"]
    assert "Not checked: diagnoses recorded as conditions" in card["detail"]
    # and the coverage assertion says it rests on incomplete data
    parts = coverage_parts(response.json["systemActions"][0]["resource"])
    assert parts["covered"] == ["conditional"]
    assert any("conditions could not be read" in r["text"] for r in parts["reason"])


def test_missing_prefetch_and_no_fhir_server_is_a_412(client, fhir_server):
    body = call(coverage=...)
    del body["fhirServer"], body["fhirAuthorization"]
    response = client.post(SIGN, json=body)
    assert response.status_code == 412
    assert response.json["resourceType"] == "OperationOutcome"
    assert "names no FHIR server" in response.json["issue"][0]["diagnostics"]


def test_order_select_without_coverage_answers_with_an_info_card(client, fhir_server):
    body = as_select(call(coverage=...))
    del body["fhirServer"], body["fhirAuthorization"]
    response = client.post(SELECT, json=body)
    assert response.status_code == 200
    [card] = gap_cards(response)
    assert "coverage" in card["summary"]


def test_an_open_fhir_server_is_read_without_a_token(client, fhir_server):
    """The CDS Hooks sandbox names a FHIR server and sends no fhirAuthorization."""
    fhir_server.get(COVERAGE_SEARCH, json=searchset(the_coverage()))
    body = call(coverage=...)
    del body["fhirAuthorization"]
    response = client.post(SIGN, json=body)
    assert response.status_code == 200 and zcode_card(response)
    assert "Authorization" not in fhir_server.calls[0].request.headers


def test_the_orders_referenced_conditions_are_read(client, fhir_server):
    body = call(conditions=searchset())
    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    order["reasonReference"] = [{"reference": "Condition/c-7"}]
    fhir_server.get(f"{FHIR}/Condition/c-7", json={"resourceType": "Condition", "id": "c-7"})
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert [c.request.url for c in fhir_server.calls] == [f"{FHIR}/Condition/c-7"]


def test_reads_run_in_parallel(client, fhir_server):
    """Two missing keys: both reads are under way at the same time (each waits for the other
    to start, which would dead-lock if they ran one after the other)."""
    import threading

    barrier = threading.Barrier(2, timeout=5)

    def answer(body):
        def callback(request):
            barrier.wait()
            return 200, {}, json.dumps(body)
        return callback

    fhir_server.add_callback(responses.GET, COVERAGE_SEARCH,
                             callback=answer(searchset(the_coverage())))
    fhir_server.add_callback(responses.GET, CONDITION_SEARCH, callback=answer(searchset()))
    response = client.post(SIGN, json=call(coverage=..., conditions=...))
    assert response.status_code == 200 and zcode_card(response) and not gap_cards(response)


def test_the_access_token_is_neither_logged_nor_stored(client, fhir_server, caplog, settings):
    caplog.set_level(logging.DEBUG)
    fhir_server.get(COVERAGE_SEARCH, status=401)
    client.post(SIGN, json=call(conditions=...))  # the conditions read fails, is logged
    fhir_server.get(COVERAGE_SEARCH, json=searchset(the_coverage()))
    client.post(SIGN, json=call(coverage=...))
    assert fhir_server.calls, "the FHIR server was read"
    assert TOKEN not in caplog.text
    store = Path(settings.store_url.removeprefix("sqlite:///"))
    files = list(store.parent.glob(store.name + "*"))  # the database and its write-ahead log
    assert files and all(TOKEN.encode() not in f.read_bytes() for f in files)


ELSEWHERE = "https://elsewhere.example.net/fhir"


def test_a_fhir_server_off_the_issuers_list_is_not_logged_when_nothing_is_to_be_read(
        client, fhir_server, caplog):
    """Everything is prefetched: no read, no access token sent anywhere, so no warning line
    on every such call (it was logged before anything was known to be needed)."""
    caplog.set_level(logging.WARNING)
    body = call() | {"fhirServer": ELSEWHERE}
    response = client.post(SIGN, json=body)
    assert response.status_code == 200 and zcode_card(response)
    assert "fhir_servers" not in caplog.text
    assert not fhir_server.calls


def test_a_fhir_server_off_the_issuers_list_is_not_read_and_is_logged_when_a_read_is_needed(
        client, fhir_server, caplog):
    caplog.set_level(logging.WARNING)
    body = call(conditions=...) | {"fhirServer": ELSEWHERE}
    response = client.post(SIGN, json=body)
    assert response.status_code == 200
    assert f"fhirServer {ELSEWHERE} is not among the fhir_servers" in caplog.text
    assert not fhir_server.calls
