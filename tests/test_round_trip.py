"""The LIS round trip, over real HTTP between real processes: a FHIR R4 server on loopback
(Medplum's router, bearer token required), `moldx-cds serve` trusting a key made by
`moldx-cds keys new`, and `moldx-cds call`, which reads the orders from the FHIR server, sends a
hook request without prefetch (the service reads the rest from the FHIR server with the
token in fhirAuthorization), applies the actions and with --apply writes the orders back."""

from __future__ import annotations

import json
import subprocess
from datetime import date

import pytest
import requests

from cds_hooks.client.actions import apply_actions
from cds_hooks.client.cds_client import (
    CdsClient,
    ClientError,
    Signer,
    build_request,
    open_fhir_server,
    planned_writes,
    read_chart,
    write_back,
)
from cds_hooks.client.keys import ClientKey
from cds_hooks.service.crd import COVERAGE_INFORMATION
from plugin.codes import CPT_SYSTEM, DEFAULT_ZCODE_SYSTEM

from .conftest import load_fixture
from .processes import CLI, command_env, running_service

ISSUER = "https://lis.test/cds-client"
PATIENT = "lis-pat-1"
DATE = date(2026, 3, 2)  # the fixture orders' date of service
LUNG, MSI = "ServiceRequest/lis-sr-1", "ServiceRequest/lis-sr-2"


@pytest.fixture(scope="module")
def client_keys(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lis") / "client-keys"
    made = subprocess.run([*CLI, "keys", "new", "--issuer", ISSUER, "--out", str(folder)],
                          capture_output=True, text=True, env=command_env(), timeout=60)
    assert made.returncode == 0, made.stderr
    return folder


@pytest.fixture(scope="module")
def service(client_keys, tmp_path_factory, live_fhir_server):
    """`moldx-cds serve` trusting only the client key just made, its calls naming the FHIR
    server (the operator lists it in the issuers file `keys new` wrote)."""
    folder = tmp_path_factory.mktemp("service")
    issuers = client_keys / "trusted-issuers.json"
    trusted = json.loads(issuers.read_text())
    trusted["issuers"][0]["fhir_servers"] = [live_fhir_server[0]]
    issuers.write_text(json.dumps(trusted))
    env = command_env(MOLDX_CDS_TRUSTED_ISSUERS=str(client_keys / "trusted-issuers.json"),
                      MOLDX_CDS_STORE_URL=f"sqlite:///{folder / 'store.sqlite'}")
    with running_service(folder, env, workers=1) as running:
        yield running.base + "/cds-services/moldx-order-sign"
    assert "TEST-ONLY" not in running.output  # the demo issuers are not trusted


@pytest.fixture
def fhir(live_fhir_server):
    """The FHIR server loaded with the fixture patient, coverage, condition and orders (PUT
    with their ids, so every test starts from the same orders)."""
    base, token = live_fhir_server
    for entry in load_fixture("fhir/lis-orders.json")["entry"]:
        put = requests.put(f"{base}/{entry['request']['url']}", json=entry["resource"],
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert put.status_code in (200, 201), put.text
    return base, token


def call(service, fhir, client_keys, *args, token=None):
    base, fhir_token = fhir
    return subprocess.run(
        [*CLI, "call", "--service", service, "--fhir-server", base, "--patient", PATIENT,
         "--key", str(client_keys / "private-key-es384.pem"), "--issuer", ISSUER, *args],
        capture_output=True, text=True, timeout=60,
        env=command_env(MOLDX_CDS_FHIR_TOKEN=token or fhir_token))


def read(fhir, reference):
    base, token = fhir
    response = requests.get(f"{base}/{reference}", timeout=10,
                            headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    return response.json()


def codes(order, system):
    return [c["code"] for c in order["code"]["coding"] if c.get("system") == system]


def coverage_information(order):
    """Each coverage-information extension of the order, as {sub-extension url: [values]}."""
    found = []
    for extension in order.get("extension", []):
        if extension["url"] == COVERAGE_INFORMATION:
            parts: dict[str, list] = {}
            for part in extension["extension"]:
                value = next(v for k, v in part.items() if k.startswith("value"))
                parts.setdefault(part["url"], []).append(value)
            found.append(parts)
    return found


def test_call_apply_writes_the_codes_and_coverage_information_back(service, fhir, client_keys,
                                                                   knowledge):
    done = call(service, fhir, client_keys, "--order", LUNG, "--order", MSI, "--apply")

    assert done.returncode == 0, done.stderr
    lung = knowledge.catalog.row_on("CMD-LUNG50", DATE)
    msi = knowledge.catalog.row_on("CMD-MSI", DATE)
    assert f"updated {LUNG}" in done.stdout and f"updated {MSI}" in done.stdout
    assert f"Z-code {lung.zcode}" in done.stdout  # the card, as printed
    assert "could not be read" not in done.stdout  # the service had all the data it needed
    for reference, row in ((LUNG, lung), (MSI, msi)):
        order = read(fhir, reference)  # re-read from the FHIR server
        assert codes(order, CPT_SYSTEM) == [row.cpt]
        assert codes(order, DEFAULT_ZCODE_SYSTEM) == [row.zcode]
        [information] = coverage_information(order)
        assert information["coverage"] == [{"reference": "Coverage/lis-cov-1"}]
        assert {c["code"] for c in information["billingCode"]} == {row.cpt, row.zcode}
    # covered (not conditional): the service read the coverage and the condition itself, and
    # the panel's article covers it; the MSI test names no article, so no policy was read
    [lung_information] = coverage_information(read(fhir, LUNG))
    assert lung_information["covered"] == ["covered"]
    [msi_information] = coverage_information(read(fhir, MSI))
    assert msi_information["covered"] == ["conditional"]
    assert any("names no coverage article" in r["text"] for r in msi_information["reason"])
    _, token = fhir
    assert token not in done.stdout + done.stderr


def test_the_request_has_no_prefetch_and_a_refused_token_is_named(
        service, fhir, client_keys):
    done = call(service, fhir, client_keys, "--order", LUNG, "--json")

    assert done.returncode == 0, done.stderr
    sent = json.loads(done.stdout)["request"]
    assert "prefetch" not in sent
    assert sent["fhirServer"] == fhir[0]
    assert sent["fhirAuthorization"]["access_token"] == "***"  # masked when printed
    # Without --apply nothing is written.
    assert codes(read(fhir, LUNG), CPT_SYSTEM) == []
    # With a token the FHIR server refuses, the service cannot read the coverage it needs.
    refused = call(service, fhir, client_keys, "--order", LUNG, token="not-the-token")
    assert refused.returncode == 1
    assert "reading Patient/lis-pat-1" in refused.stderr and "401" in refused.stderr


def test_the_service_answers_412_when_the_fhir_server_refuses_its_token(
        service, fhir, client_keys):
    base, token = fhir
    signer = Signer(ClientKey.load(client_keys / "private-key-es384.pem"), ISSUER)
    cds = CdsClient(service, signer)
    chart = read_chart(open_fhir_server(base, token), PATIENT, [LUNG])
    info = cds.discover()
    authorization = {"access_token": "not-the-token", "token_type": "Bearer",
                     "expires_in": 300, "scope": "patient/Coverage.read", "subject": info.id}

    with pytest.raises(ClientError, match=r"412.*coverage.*could not be read"):
        cds.call(build_request(info, chart, fhir_server=base,
                               fhir_authorization=authorization))
    good = dict(authorization, access_token=token)
    assert cds.call(build_request(info, chart, fhir_server=base,
                                  fhir_authorization=good))["systemActions"]


def test_calling_again_keeps_the_codes_and_one_coverage_information(service, fhir, client_keys):
    first = call(service, fhir, client_keys, "--order", LUNG, "--apply")
    assert first.returncode == 0, first.stderr
    after_first = read(fhir, LUNG)

    second = call(service, fhir, client_keys, "--order", LUNG, "--apply")

    assert second.returncode == 0, second.stderr
    assert "0 cards" in second.stdout
    after_second = read(fhir, LUNG)
    assert after_second["code"] == after_first["code"]
    assert len(coverage_information(after_second)) == 1  # replaced, not added


def test_an_accepted_suggestion_is_applied_after_the_system_actions(service, fhir, client_keys,
                                                                    knowledge):
    shown = call(service, fhir, client_keys, "--order", "ServiceRequest/lis-sr-3", "--json")
    assert shown.returncode == 0, shown.stderr
    shown = json.loads(shown.stdout)
    # The CPT fits several tests: the card offers each; the user picks the 3-gene panel.
    choice = knowledge.catalog.row_on("CMD-KNB3", DATE)
    [suggestion] = [s for card in shown["response"]["cards"]
                    for s in card.get("suggestions", []) if choice.test_code in s["label"]]

    done = call(service, fhir, client_keys, "--order", "ServiceRequest/lis-sr-3", "--apply",
                "--hook-instance", shown["request"]["hookInstance"],
                "--accept", suggestion["uuid"])

    assert done.returncode == 0, done.stderr
    assert "feedback" not in done.stderr  # the service took the feedback
    stored = read(fhir, "ServiceRequest/lis-sr-3")
    assert choice.test_code in {c["code"] for c in stored["code"]["coding"]}
    assert codes(stored, DEFAULT_ZCODE_SYSTEM) == [choice.zcode]
    # Named by a CPT alone, the order may have been any of four tests: its coverage was
    # conditional on the test. The next call, on the test the user chose, asserts it in place
    # of that (docs/lis.md).
    [before] = coverage_information(stored)
    assert before["covered"] == ["conditional"]
    again = call(service, fhir, client_keys, "--order", "ServiceRequest/lis-sr-3", "--apply")
    assert again.returncode == 0, again.stderr
    [after] = coverage_information(read(fhir, "ServiceRequest/lis-sr-3"))
    assert not any("fits" in r["text"] for r in after.get("reason", []))


def test_a_change_made_meanwhile_is_not_overwritten(service, fhir, client_keys):
    base, token = fhir
    server = open_fhir_server(base, token)
    cds = CdsClient(service, Signer(ClientKey.load(client_keys / "private-key-es384.pem"),
                                    ISSUER))
    chart = read_chart(server, PATIENT, [LUNG])
    info = cds.discover()
    response = cds.call(build_request(info, chart, fhir_server=base, fhir_authorization={
        "access_token": token, "token_type": "Bearer", "expires_in": 300,
        "scope": "patient/*.read", "subject": info.id}))
    meanwhile = dict(read(fhir, LUNG), note=[{"text": "specimen relabelled"}])
    assert requests.put(f"{base}/{LUNG}", json=meanwhile, timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).status_code == 200

    with pytest.raises(ClientError, match="changed since it was read"):
        write_back(server, planned_writes(apply_actions(chart.orders, response), chart))
    assert read(fhir, LUNG)["note"] == [{"text": "specimen relabelled"}]
