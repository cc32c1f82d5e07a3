"""The CDS client (cds_hooks/client/) and `moldx-cds call`, against a FHIR server mocked with
`responses` and the service app (its HTTP calls routed to the Flask test client)."""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import urlsplit

import pytest
import responses
from cryptography.hazmat.primitives import serialization

from cds_hooks.cli.main import main
from cds_hooks.client.actions import apply_actions
from cds_hooks.client.cds_client import (
    CdsClient,
    Chart,
    ClientError,
    ServiceInfo,
    Signer,
    build_request,
    fhir_authorization,
    open_fhir_server,
    planned_writes,
    prefetch_from_resources,
    read_chart,
    round_trip,
    write_back,
)
from cds_hooks.client.keys import ClientKey
from tests.conftest import BASE, ISSUER, TODAY, hook_fixture

FHIR = "https://fhir.test/R4"
SERVICE = f"{BASE}/cds-services/moldx-order-sign"
TOKEN = "fhir-access-token-for-the-test"
JSON = {"Content-Type": "application/fhir+json"}


def _resources() -> dict[str, dict]:
    """The missing-zcode example as the FHIR server holds it: patient, coverage, order."""
    request = hook_fixture("missing-zcode")
    order = request["context"]["draftOrders"]["entry"][0]["resource"]
    coverage = request["prefetch"]["coverage"]["entry"][0]["resource"]
    return {"Patient/pat-1": request["prefetch"]["patient"], "Coverage/cov-1": coverage,
            "ServiceRequest/sr-1": {**order, "meta": {"versionId": "7"}}}


@pytest.fixture
def signer(keys) -> Signer:
    return Signer(ClientKey(keys.ec, "ec-1"), ISSUER)  # the issuer the test settings trust


@pytest.fixture
def service(app, fhir_server):
    """The service app answering at http://localhost, reached over (mocked) HTTP."""
    test_client = app.test_client()

    def forward(request):
        answer = test_client.open(urlsplit(request.url).path, method=request.method,
                                  data=request.body, headers=dict(request.headers))
        return answer.status_code, dict(answer.headers), answer.get_data()

    for method in ("GET", "POST"):
        fhir_server.add_callback(method, re.compile(re.escape(BASE) + "/.*"), callback=forward)
    return fhir_server


@pytest.fixture
def ehr(fhir_server):
    """The FHIR server: reads and searches of the resources above, with the bearer token."""
    held = _resources()

    def read(request):
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, JSON, json.dumps({"resourceType": "OperationOutcome", "issue": [
                {"severity": "error", "code": "login"}]})
        path = urlsplit(request.url).path.removeprefix("/R4/")
        if path in held:
            return 200, JSON, json.dumps(held[path])
        kind = path.split("?")[0]
        if "/" not in kind:  # a search: everything of that type
            return 200, JSON, json.dumps({"resourceType": "Bundle", "type": "searchset",
                                          "entry": [{"resource": r} for r in held.values()
                                                    if r["resourceType"] == kind]})
        return 404, JSON, json.dumps({"resourceType": "OperationOutcome", "issue": []})

    fhir_server.add_callback("GET", re.compile(re.escape(FHIR) + "/.*"), callback=read)
    return held


def _calls(mock, method: str, prefix: str):
    return [c for c in mock.calls if c.request.method == method
            and c.request.url.startswith(prefix)]


def test_the_round_trip_reads_calls_without_prefetch_and_puts_the_order_back(
        service, ehr, signer, knowledge):
    service.add(responses.PUT, f"{FHIR}/ServiceRequest/sr-1", json={
        "resourceType": "ServiceRequest", "id": "sr-1", "meta": {"versionId": "8"}})

    done = round_trip(CdsClient(SERVICE, signer), open_fhir_server(FHIR, TOKEN), "pat-1",
                      ["ServiceRequest/sr-1"], token=TOKEN, apply=True)

    assert "prefetch" not in done.request
    assert done.request["fhirAuthorization"]["access_token"] == TOKEN
    # The service read the coverage itself, with the token of fhirAuthorization.
    coverage_reads = _calls(service, "GET", f"{FHIR}/Coverage")
    assert coverage_reads and all(c.request.headers["Authorization"] == f"Bearer {TOKEN}"
                                  for c in coverage_reads)
    [put] = _calls(service, "PUT", FHIR)
    assert put.request.headers["If-Match"] == 'W/"7"'  # the version it was read at
    assert put.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert put.request.headers["Content-Type"] == "application/fhir+json"
    row = knowledge.catalog.row_on("CMD-LUNG50", TODAY)
    sent = json.loads(put.request.body)
    assert {row.cpt, row.zcode} <= {c["code"] for c in sent["code"]["coding"]}
    assert done.written == ["updated ServiceRequest/sr-1 (version 8)"]


def test_with_prefetch_the_client_reads_the_templates_and_the_service_reads_nothing(
        service, ehr, signer):
    done = round_trip(CdsClient(SERVICE, signer), open_fhir_server(FHIR, TOKEN), "pat-1",
                      ["ServiceRequest/sr-1"], token=TOKEN, prefetch=True)

    assert set(done.request["prefetch"]) == {"patient", "conditions", "coverage",
                                             "serviceRequests", "specimens"}
    assert done.request["prefetch"]["coverage"]["entry"][0]["resource"]["id"] == "cov-1"
    assert len(_calls(service, "GET", f"{FHIR}/Coverage")) == 1  # the client's read only
    assert done.response["systemActions"]


def test_no_token_reaches_the_log(service, ehr, signer, caplog):
    caplog.set_level(logging.DEBUG)
    service.add(responses.PUT, f"{FHIR}/ServiceRequest/sr-1", json={})
    round_trip(CdsClient(SERVICE, signer), open_fhir_server(FHIR, TOKEN), "pat-1",
               ["ServiceRequest/sr-1"], token=TOKEN, apply=True)
    assert caplog.records and TOKEN not in caplog.text


def test_a_request_built_from_resources_at_hand_needs_no_fhir_server(service, signer):
    held = _resources()
    cds = CdsClient(SERVICE, signer)
    info = cds.discover()
    chart = Chart(held["Patient/pat-1"], {"ServiceRequest/sr-1": held["ServiceRequest/sr-1"]})
    context = {"patientId": "pat-1"}
    prefetch = prefetch_from_resources(info, context, held.values())

    response = cds.call(build_request(info, chart, prefetch=prefetch))

    assert prefetch["patient"]["id"] == "pat-1"
    assert [e["resource"]["id"] for e in prefetch["coverage"]["entry"]] == ["cov-1"]
    assert not any("could not be read" in c["summary"] for c in response["cards"])
    assert response["systemActions"]


def test_discovery_gives_the_hook_and_the_scope_follows_the_prefetch(service, signer):
    info = CdsClient(SERVICE, signer).discover()
    assert info.hook == "order-sign"
    scope = fhir_authorization(TOKEN, info)["scope"].split()
    assert {"patient/Coverage.read", "patient/Condition.read"} <= set(scope)


@pytest.mark.parametrize("hook, member", [("order-sign", "draftOrders"),
                                          ("order-select", "selections")])
def test_the_context_fits_the_hook(hook, member):
    held = _resources()
    chart = Chart(held["Patient/pat-1"], {"ServiceRequest/sr-1": held["ServiceRequest/sr-1"]})
    request = build_request(ServiceInfo(SERVICE, "x", hook), chart)
    assert member in request["context"]
    assert request["context"]["userId"] == "Practitioner/pract-1"  # the order's requester
    with pytest.raises(ClientError, match="performer"):
        build_request(ServiceInfo(SERVICE, "x", "order-dispatch"), chart)
    with pytest.raises(ClientError, match="not patient-view"):
        build_request(ServiceInfo(SERVICE, "x", "patient-view"), chart)


@pytest.mark.parametrize("orders, error", [
    (["ServiceRequest/sr-404"], "ServiceRequest/sr-404 is not on the FHIR server"),
    (["sr-1"], "not a reference of the form Type/id"),
    ([], "name at least one order"),
])
def test_orders_that_cannot_be_read_are_named(ehr, orders, error):
    with pytest.raises(ClientError, match=error):
        read_chart(open_fhir_server(FHIR, TOKEN), "pat-1", orders)


def test_an_order_of_another_patient_is_refused(ehr):
    ehr["ServiceRequest/sr-1"]["subject"] = {"reference": "Patient/someone-else"}
    with pytest.raises(ClientError, match="order of Patient/someone-else, not of Patient/pat-1"):
        read_chart(open_fhir_server(FHIR, TOKEN), "pat-1", ["ServiceRequest/sr-1"])


def test_a_refused_fhir_token_is_named(ehr):
    with pytest.raises(ClientError, match=r"reading Patient/pat-1 .* refused access \(401\)"):
        read_chart(open_fhir_server(FHIR, "wrong"), "pat-1", ["ServiceRequest/sr-1"])


def _two_order_chart() -> tuple[Chart, dict]:
    one = {"resourceType": "ServiceRequest", "id": "a", "subject": {"reference": "Patient/p"},
           "meta": {"versionId": "1"}}
    two = {**one, "id": "b"}
    chart = Chart({"resourceType": "Patient", "id": "p"},
                  {"ServiceRequest/a": one, "ServiceRequest/b": two})
    response = {"cards": [], "systemActions": [
        {"type": "update", "description": "u", "resource": {**one, "status": "active"}},
        {"type": "update", "description": "u", "resource": {**two, "status": "active"}}]}
    return chart, response


def test_a_failed_write_says_what_was_written_and_what_was_not(fhir_server):
    chart, response = _two_order_chart()
    fhir_server.add(responses.PUT, f"{FHIR}/ServiceRequest/a", json={"resourceType":
                    "ServiceRequest", "id": "a", "meta": {"versionId": "2"}})
    fhir_server.add(responses.PUT, f"{FHIR}/ServiceRequest/b", status=422, json={
        "resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "invalid", "diagnostics": "status is not allowed"}]})
    writes = planned_writes(apply_actions(chart.orders, response), chart)

    with pytest.raises(ClientError) as failed:
        write_back(open_fhir_server(FHIR, TOKEN), writes)
    assert str(failed.value) == (
        "PUT ServiceRequest/b failed: the FHIR server refused it (422: status is not "
        "allowed). Written before it: updated ServiceRequest/a (version 2).")


def test_a_server_error_stops_the_writes_and_names_the_rest(fhir_server):
    chart, response = _two_order_chart()
    fhir_server.add(responses.PUT, f"{FHIR}/ServiceRequest/a", status=503, body="down")
    writes = planned_writes(apply_actions(chart.orders, response), chart)

    with pytest.raises(ClientError, match=r"refused it \(503\)\. Written before it: nothing\. "
                                          r"Not written: PUT ServiceRequest/b\."):
        write_back(open_fhir_server(FHIR, TOKEN), writes)


def test_an_update_that_changes_nothing_is_not_written():
    chart, _ = _two_order_chart()
    same = {"cards": [], "systemActions": [
        {"type": "update", "description": "u",
         "resource": {k: v for k, v in chart.orders["ServiceRequest/a"].items()
                      if k != "meta"}}]}
    assert planned_writes(apply_actions(chart.orders, same), chart) == []


def test_service_errors_are_named(service, signer, fhir_server):
    with pytest.raises(ClientError, match="not a service URL"):
        CdsClient(f"{BASE}/somewhere", signer)
    with pytest.raises(ClientError, match="does not describe a service 'nope'"):
        CdsClient(f"{BASE}/cds-services/nope", signer).discover()
    untrusted = Signer(signer.key, "https://stranger.test")
    with pytest.raises(ClientError, match="answered 401: issuer 'https://stranger.test' is "
                                          "not trusted"):
        CdsClient(SERVICE, untrusted).call(hook_fixture("missing-zcode"))
    with pytest.raises(ClientError, match="answered 400: context: Field required"):
        CdsClient(SERVICE, signer).call({"hook": "order-sign", "hookInstance": "x"})
    with pytest.raises(ClientError, match="could not be reached"):
        CdsClient("https://nowhere.test/cds-services/x", signer).discover()


def test_feedback_reports_the_accepted_suggestions(service, signer):
    cds = CdsClient(SERVICE, signer)
    response = cds.call(hook_fixture("missing-zcode"))
    [card] = [c for c in response["cards"] if c.get("suggestions")]
    cds.feedback(response, [card["suggestions"][0]["uuid"]])
    [sent] = _calls(service, "POST", f"{SERVICE}/feedback")
    [item] = json.loads(sent.request.body)["feedback"]
    assert item["card"] == card["uuid"] and item["outcome"] == "accepted"
    assert item["acceptedSuggestions"] == [{"id": card["suggestions"][0]["uuid"]}]
    assert sent.response.status_code == 200


# -- moldx-cds call ----------------------------------------------------------------------------

def _call(capsys, *args: str) -> tuple[int, str, str]:
    status = main(["call", "--service", SERVICE, "--fhir-server", FHIR, "--patient", "pat-1",
                   "--order", "ServiceRequest/sr-1", *args])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def key_file(tmp_path, keys):
    path = tmp_path / "key.pem"
    path.write_bytes(keys.ec.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(path)


def test_call_prints_the_cards_and_what_it_would_write(service, ehr, key_file, capsys,
                                                       monkeypatch, knowledge):
    monkeypatch.setenv("MOLDX_CDS_FHIR_TOKEN", TOKEN)
    status, out, err = _call(capsys, "--key", key_file, "--issuer", ISSUER, "--kid", "ec-1")

    assert status == 0, err
    row = knowledge.catalog.row_on("CMD-LUNG50", TODAY)
    assert f"[warning] {row.test_name}: add the billing codes" in out
    assert f"Add CPT {row.cpt} and Z-code {row.zcode}" in out  # the suggestion's label
    assert "1 system action:\n  update ServiceRequest/sr-1" in out
    assert "Not written (add --apply to write them): PUT ServiceRequest/sr-1" in out
    assert not _calls(service, "PUT", FHIR)
    assert TOKEN not in out + err


def test_call_json_masks_the_token(service, ehr, key_file, capsys, tmp_path):
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    status, out, err = _call(capsys, "--key", key_file, "--issuer", ISSUER, "--kid", "ec-1",
                             "--json", "--fhir-token-file", str(token_file))
    assert status == 0, err
    printed = json.loads(out)
    assert printed["request"]["fhirAuthorization"]["access_token"] == "***"
    assert printed["writes"] == ["PUT ServiceRequest/sr-1"] and printed["written"] == []
    assert TOKEN not in out


@pytest.mark.parametrize("args, status, error", [
    (["--key", "k.pem"], 2, "--key needs --issuer"),
    (["--issuer", ISSUER], 2, "--issuer and --kid go with --key"),
    (["--key", "missing.pem", "--issuer", ISSUER], 2, "cannot read the key missing.pem"),
    (["--fhir-token-file", "missing-token"], 2, "cannot read missing-token"),
    (["--service", "http://localhost/somewhere"], 2, "is not a service URL"),
    ([], 1, f"{BASE}/cds-services could not be reached"),
])
def test_call_errors_are_named_with_their_exit_status(capsys, monkeypatch, tmp_path, args,
                                                      status, error):
    monkeypatch.chdir(tmp_path)
    got, out, err = _call(capsys, *args)
    assert (got, out) == (status, "")
    assert error in err and "Traceback" not in err


def test_call_with_the_demo_key_says_so(service, ehr, capsys, monkeypatch):
    monkeypatch.setenv("MOLDX_CDS_FHIR_TOKEN", TOKEN)
    status, _, err = _call(capsys)
    assert status == 1  # the test settings do not trust the demo issuer
    assert "signing with the public demo key" in err
    assert "issuer 'urn:moldx-cds:demo-client' is not trusted" in err


def test_an_order_select_request_gets_cards_and_no_system_actions(service, ehr, signer):
    info = ServiceInfo(f"{BASE}/cds-services/moldx-order-select", "moldx-order-select",
                       "order-select")
    chart = read_chart(open_fhir_server(FHIR, TOKEN), "pat-1", ["ServiceRequest/sr-1"])
    request = build_request(info, chart, fhir_server=FHIR,
                            fhir_authorization=fhir_authorization(TOKEN, info))
    response = CdsClient(info.url, signer).call(request)
    assert response["cards"][0]["indicator"] == "warning"
    assert "systemActions" not in response  # order-select has none
