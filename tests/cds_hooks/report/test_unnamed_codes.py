"""The report's order codes that named no test of the lab's catalog: calls posted over the
service's HTTP API with EHR order codes, read back by `moldx-cds report` on SQLite and
PostgreSQL, and the `--aliases-csv` rows filled in and loaded as the lab's aliases.csv."""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from cds_hooks.cli.main import main
from cds_hooks.common.trust import TrustedIssuer
from cds_hooks.service.app import create_app
from cds_hooks.store import migrate
from cds_hooks.store.db import Store
from plugin.knowledge import DEMO_DIR, load_knowledge
from tests.cds_hooks.service.test_ehr_orders import _recode
from tests.conftest import BASE, FHIR_SERVERS, ISSUER, SignedClient, hook_fixture

SIGN = "/cds-services/moldx-order-sign"
OTHER = "https://other-site.test/cds-client"  # a second client, its own Epic build
EPIC = "urn:oid:1.2.840.114350.1.13.7777.2.7.2.696580"
ORACLE = "https://fhir.cerner.com/ec2458f2-1e24-41c8-b71b-0e701af7583d/codeSet/200"
DISPLAY = "Lung NGS panel <send out> & MSI"


def order(patient: str, *codings: dict, options: tuple[str, ...] = ()) -> dict:
    """missing-zcode's order for `patient`, coded as an EHR codes it."""
    body = _recode(hook_fixture("missing-zcode"), *codings, options=options)
    body["context"]["patientId"] = patient
    return body


EPIC_ORDERABLE = {"system": EPIC, "code": "41000001", "display": DISPLAY}


def sign_orders(settings, knowledge, keys, *bodies: dict) -> None:
    """Each body posted to order-sign by an app on `settings`, its records then written."""
    app = create_app(settings, knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    for body in bodies:
        assert app.test_client().post(SIGN, json=body).status_code == 200
    app.extensions["moldx_cds"].recorder.close()  # writes everything first


@dataclass
class Traffic:
    store_url: str
    last_seen: dict[str, tuple[datetime, datetime]]  # issuer -> around its last call


@pytest.fixture
def traffic(store_url, settings, knowledge, keys) -> Traffic:
    settings = replace(settings, store_url=store_url, issuers=(
        *settings.issuers,
        TrustedIssuer(OTHER, jwks_file=keys.jwks_file, fhir_servers=FHIR_SERVERS)))
    app = create_app(settings, knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    client = app.test_client()

    def post(body: dict, iss: str = ISSUER) -> tuple[datetime, datetime]:
        before = datetime.now(UTC)
        token = keys.sign(BASE + SIGN, iss=iss)
        response = client.post(SIGN, json=body, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.json
        return before, datetime.now(UTC)

    # An Epic orderable no alias names, with the billing option Epic sends: twice for one
    # order, once for another, and once from the second client.
    post(order("pat-1", EPIC_ORDERABLE, options=("81445",)))
    post(order("pat-2", EPIC_ORDERABLE, options=("81445",)))
    ours = post(order("pat-2", EPIC_ORDERABLE, options=("81445",)))
    theirs = post(order("pat-3", EPIC_ORDERABLE, options=("81445",)), iss=OTHER)
    # An Oracle Health code the demo aliases name for every client, and an imaging order
    # whose SNOMED CT code no alias names: neither is listed.
    post(order("pat-4", {"system": ORACLE, "code": "2823941", "display": "Lung Hotspot"}))
    post(order("pat-5", {"system": "http://snomed.info/sct", "code": "726551006"},
               options=("77065",)))
    app.extensions["moldx_cds"].recorder.close()  # writes everything first
    return Traffic(store_url, {ISSUER: ours, OTHER: theirs})


def report_json(url: str, capsys) -> dict:
    assert main(["report", "--store-url", url, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_an_epic_code_no_alias_names_is_listed_with_its_orders_and_last_call(traffic,
                                                                              capsys):
    found = report_json(traffic.store_url, capsys)["unnamed_codes"]
    assert [(c["issuer"], c["system"], c["code"], c["display"], c["orders"], c["calls"])
            for c in found] == [(ISSUER, EPIC, "41000001", DISPLAY, 2, 3),
                                (OTHER, EPIC, "41000001", DISPLAY, 1, 1)]
    for code in found:
        earliest, latest = traffic.last_seen[code["issuer"]]
        assert earliest <= datetime.fromisoformat(code["last_seen"]) <= latest


def test_the_terminal_and_the_html_page_list_the_same_codes(traffic, capsys, tmp_path):
    assert main(["report", "--store-url", traffic.store_url]) == 0
    table = capsys.readouterr().out
    lines = [line for line in table.splitlines() if "41000001" in line]
    assert len(lines) == 2 and all(EPIC in line and DISPLAY in line for line in lines)
    assert "2823941" not in table and "726551006" not in table
    page = tmp_path / "report.html"
    assert main(["report", "--store-url", traffic.store_url, "--html", str(page)]) == 0
    html = page.read_text()
    assert 'id="unnamed-codes"' in html and html.count("<td>41000001</td>") == 2
    assert "Lung NGS panel &lt;send out&gt; &amp; MSI" in html and DISPLAY not in html


def test_the_aliases_csv_rows_filled_in_load_as_the_labs_aliases(traffic, capsys, tmp_path):
    assert main(["report", "--store-url", traffic.store_url, "--aliases-csv"]) == 0
    text = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(text)))
    assert rows == [["system", "code", "test_code", "issuer"],
                    [EPIC, "41000001", "", ISSUER], [EPIC, "41000001", "", OTHER]]
    folder = tmp_path / "knowledge"
    shutil.copytree(DEMO_DIR, folder)
    filled = [rows[0], *([system, code, "CMD-LUNG50", issuer]
                         for system, code, _, issuer in rows[1:])]
    with open(folder / "aliases.csv", "w", newline="") as out:
        csv.writer(out).writerows(filled)
    aliases = load_knowledge(folder).aliases
    assert aliases.tests_for(EPIC, "41000001", ISSUER) == ("CMD-LUNG50",)
    assert aliases.tests_for(EPIC, "41000001", OTHER) == ("CMD-LUNG50",)
    assert aliases.tests_for(EPIC, "41000001", "https://a-third-site.test") == ()


def test_a_code_named_since_by_a_new_alias_leaves_the_list(traffic, capsys, settings,
                                                           keys, tmp_path):
    folder = tmp_path / "knowledge"
    shutil.copytree(DEMO_DIR, folder)
    with open(folder / "aliases.csv", "a") as out:
        out.write(f"{EPIC},41000001,CMD-LUNG50,{ISSUER}\n")
    sign_orders(replace(settings, store_url=traffic.store_url), load_knowledge(folder), keys,
                order("pat-1", EPIC_ORDERABLE))
    found = report_json(traffic.store_url, capsys)["unnamed_codes"]
    assert [(c["issuer"], c["code"]) for c in found] == [(OTHER, "41000001")]


def test_a_store_at_0004_upgrades_and_keeps_the_codes_of_new_calls(store_url, capsys,
                                                                   settings, knowledge, keys):
    store = Store(store_url)
    migrate.upgrade(store, "0004")
    with store.engine.begin() as connection:  # a call the code before kept: no codes
        connection.exec_driver_sql(
            "INSERT INTO hook_calls (hook_instance, service, hook, orders, knowledge_version, "
            "received_at, duration_ms) VALUES ('h-1', 'moldx-order-sign', 'order-sign', "
            "'[\"ServiceRequest/sr-1\"]', 'v1', '2026-01-01 00:00:00', 1.5)")
    assert main(["db", "upgrade", "--store-url", store_url]) == 0
    assert report_json(store_url, capsys)["unnamed_codes"] == []
    sign_orders(replace(settings, store_url=store_url), knowledge, keys,
                order("pat-1", EPIC_ORDERABLE, options=("81445",)))
    report = report_json(store_url, capsys)
    assert report["total_calls"] == 2
    assert [(c["code"], c["orders"]) for c in report["unnamed_codes"]] == [("41000001", 1)]


@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_a_clients_code_is_never_a_formula_or_a_terminal_escape(store_url, capsys, settings,
                                                               knowledge, keys):
    formula = '=HYPERLINK("https://attacker.test","x")'
    sign_orders(replace(settings, store_url=store_url), knowledge, keys, order(
        "pat-1", {"system": EPIC, "code": formula, "display": "\x1b[2Jcleared"},
        options=("81445",)))
    assert [c["code"] for c in report_json(store_url, capsys)["unnamed_codes"]] == [formula]
    assert main(["report", "--store-url", store_url, "--aliases-csv"]) == 0
    assert capsys.readouterr().out == "system,code,test_code,issuer\n"  # left out, not changed
    assert main(["report", "--store-url", store_url]) == 0
    table = capsys.readouterr().out
    assert "[2Jcleared" in table and "\x1b" not in table
