"""docs/sandbox.md as a user follows it: the pick-list entries its script adds, sent as the
CDS Hooks sandbox sends an order, get the answers its table shows; what
MOLDX_CDS_LEGACY_SYSTEM_ACTIONS does and does not change; and how the sandbox stops being
trusted."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cds_hooks.common.settings import Settings
from cds_hooks.service.app import create_app
from tests.conftest import SignedClient, hook_fixture, load_fixture, stored
from tests.processes import ROOT, moldx_cds

GUIDE = (ROOT / "docs" / "sandbox.md").read_text()
SANDBOX = "https://sandbox.cds-hooks.org"
PAMA_JSX = "        <h1>PAMA Imaging</h1>\n        <br />\n        <CardList\n"


@pytest.fixture(scope="module")
def pick_lists(tmp_path_factory) -> dict:
    """The guide's script, run on a copy of the sandbox's three files in their shape."""
    tree = tmp_path_factory.mktemp("sandbox")
    (tree / "src/assets").mkdir(parents=True)
    (tree / "src/components/Pama").mkdir(parents=True)
    stock = {"system": "http://www.ama-assn.org/go/cpt", "code": "70450", "display": "CT"}
    for name in ("procedure", "reason"):
        (tree / f"src/assets/pama-{name}-codes.json").write_text(
            json.dumps({"expansion": {"contains": [stock]}}))
    (tree / "src/components/Pama/pama.jsx").write_text(PAMA_JSX)
    [script] = re.findall(r"python3 - <<'EOF'\n(.*?)\nEOF\n", GUIDE, re.S)
    subprocess.run([sys.executable, "-"], input=script, text=True, cwd=tree, check=True)
    def read(name: str) -> list[dict]:
        return json.loads((tree / f"src/assets/pama-{name}-codes.json").read_text())[
            "expansion"]["contains"]

    return {"tests": read("procedure"), "reasons": read("reason"),
            "screen": (tree / "src/components/Pama/pama.jsx").read_text()}


def sandbox_request(hook: str, test: dict, reasons: list[dict]) -> dict:
    """An order as the sandbox's PAMA screen sends it (seen on its commit 3b7e255): intent
    plan, the chosen entry as the only coding, one coding per reason, no date, prefetch
    filled from the chart of docs/sandbox.md."""
    chart = {e["resource"]["resourceType"]: e["resource"]
             for e in load_fixture("fhir/sandbox-chart.json")["entry"]}
    order = {"resourceType": "ServiceRequest", "id": "example-request-id", "status": "draft",
             "intent": "plan", "code": {"coding": [test], "text": test["display"]},
             "subject": {"reference": "Patient/sandbox-pat-1"},
             "reasonCode": [{"coding": [r], "text": r["display"]} for r in reasons]}
    def search(found: dict | None) -> dict:
        return {"resourceType": "Bundle", "type": "searchset",
                "entry": [{"resource": found}] if found else []}

    prefetch = {"coverage": search(chart["Coverage"])}
    if hook == "order-sign":
        prefetch |= {"patient": chart["Patient"], "conditions": search(chart["Condition"]),
                     "serviceRequests": search(None)}
    return {"hookInstance": str(uuid.uuid4()), "hook": hook,
            "fhirServer": "http://127.0.0.1:8103/fhir/R4",
            "context": {"patientId": "sandbox-pat-1", "userId": "Practitioner/COREPRACTITIONER1",
                        "selections": ["ServiceRequest/example-request-id"],
                        "draftOrders": {"resourceType": "Bundle",
                                        "entry": [{"resource": order}]}},
            "prefetch": prefetch}


def rules_shown(app, client, request: dict) -> set[str]:
    service = {"order-select": "moldx-order-select", "order-sign": "moldx-order-sign"}
    response = client.post(f"/cds-services/{service[request['hook']]}", json=request)
    assert response.status_code == 200, response.json
    return {rule for card in stored(app).cards(request["hookInstance"]) for rule in card.rules}


def test_the_script_puts_the_entries_first_and_adds_a_sign_button(pick_lists):
    assert [t["code"] for t in pick_lists["tests"]][-1] == "70450"  # the stock list follows
    for entry in pick_lists["tests"] + pick_lists["reasons"]:
        assert set(entry) == {"system", "code", "display"} and all(entry.values())
    assert "onClick={() => this.props.signOrder()}>Sign order</MuiButton>" in \
        pick_lists["screen"]
    assert pick_lists["screen"].index("Sign order") < pick_lists["screen"].index("<CardList")


def test_the_lab_tests_of_the_pick_list_are_the_catalogs(pick_lists, knowledge):
    lab = [t for t in pick_lists["tests"] if t["system"] == knowledge.lab.test_code_system]
    assert len(lab) >= 3
    for test in lab:
        assert knowledge.catalog.rows(test["code"])


@pytest.mark.parametrize(("code", "rules"), [
    ("CMD-LUNG50", {"missing-zcode"}),
    ("CMD-FUS55", {"missing-zcode", "not-payable"}),
    ("CMD-EGFR", {"missing-zcode"}),
    ("81445", {"missing-zcode"}),
])
def test_each_test_entry_on_order_select_gets_the_cards_the_guide_shows(
        app, client, pick_lists, code, rules):
    [test] = [t for t in pick_lists["tests"] if t["code"] == code]
    # order-select runs no diagnosis check: a reason that is not covered changes nothing
    assert rules_shown(app, client, sandbox_request(
        "order-select", test, [pick_lists["reasons"][2]])) == rules


@pytest.mark.parametrize(("code", "reason", "rules"), [
    ("CMD-LUNG50", "C34.90", {"missing-zcode"}),
    ("CMD-LUNG50", "C34.9", {"missing-zcode", "invalid-diagnosis",
                             "diagnosis-not-covered"}),
    ("CMD-FUS55", "R05.9", {"missing-zcode", "not-payable", "diagnosis-not-covered"}),
])
def test_order_sign_with_the_reasons_gets_the_cards_the_guide_shows(
        app, client, pick_lists, code, reason, rules):
    [test] = [t for t in pick_lists["tests"] if t["code"] == code]
    [chosen] = [r for r in pick_lists["reasons"] if r["code"] == reason]
    assert rules_shown(app, client, sandbox_request("order-sign", test, [chosen])) == rules


def test_the_sandbox_hook_name_on_the_other_service_is_a_400_naming_the_hook(client,
                                                                             pick_lists):
    request = sandbox_request("order-select", pick_lists["tests"][0], [])
    response = client.post("/cds-services/moldx-order-sign", json=request)
    assert response.status_code == 400
    assert response.json["issue"][0]["expression"] == ["hook"]


def responses(settings, knowledge, keys, legacy: bool) -> dict[str, dict]:
    app = create_app(replace(settings, legacy_system_actions=legacy), knowledge)
    app.test_client_class = SignedClient
    SignedClient.keys = keys
    client = app.test_client()
    answers = {}
    for hook, service in (("order-sign", "moldx-order-sign"),
                          ("order-select", "moldx-order-select")):
        request = hook_fixture("missing-zcode") | {"hook": hook}
        if hook == "order-select":
            request["context"]["selections"] = ["ServiceRequest/sr-1"]
        answers[hook] = client.post(f"/cds-services/{service}", json=request).json
    app.extensions["moldx_cds"].recorder.close()
    return answers


def test_legacy_system_actions_add_a_copy_and_change_nothing_else(settings, knowledge, keys,
                                                                   tmp_path):
    plain = responses(replace(settings, spool_dir=tmp_path / "a"), knowledge, keys, False)
    legacy = responses(replace(settings, spool_dir=tmp_path / "b"), knowledge, keys, True)
    sign = legacy["order-sign"]
    assert sign["systemActions"] and sign["extension"]["systemActions"] == sign["systemActions"]
    assert {k: v for k, v in sign.items() if k != "extension"} == plain["order-sign"]
    assert "extension" not in plain["order-sign"]
    assert legacy["order-select"] == plain["order-select"]  # no actions, nothing to copy
    assert "systemActions" not in json.dumps(legacy["order-select"])


def test_trusting_your_own_issuers_file_stops_trusting_the_sandbox(tmp_path, settings,
                                                                    knowledge):
    made = moldx_cds("keys", "new", "--issuer", "https://lis.example.org/cds-client",
                     "--out", "keys", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    own = Settings.from_env({"MOLDX_CDS_TRUSTED_ISSUERS": str(tmp_path / "keys" /
                                                            "trusted-issuers.json")})
    assert SANDBOX in {i.iss for i in Settings.from_env({}).issuers}
    assert SANDBOX not in {i.iss for i in own.issuers} and own.startup_warnings() == []
    app = create_app(replace(settings, issuers=own.issuers), knowledge)
    url = "http://localhost/cds-services/moldx-order-sign"
    now = int(time.time())
    token = jwt.encode({"iss": SANDBOX, "aud": url, "iat": now, "exp": now + 300,
                        "jti": str(uuid.uuid4())}, ec.generate_private_key(ec.SECP384R1()),
                       algorithm="ES384", headers={"kid": "44823f3d-0b01-4a6c-a80e-b9d3e8a7226f",
                                                   "typ": "JWT"})
    response = app.test_client().post(url, json=hook_fixture("missing-zcode"),
                                      headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert SANDBOX in response.json["issue"][0]["diagnostics"]
    app.extensions["moldx_cds"].recorder.close()
