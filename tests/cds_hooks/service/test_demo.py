"""The README demo, for real: `moldx-cds serve` in its own process with the default settings,
called over HTTP like curl and the CDS Hooks sandbox would, with a `moldx-cds token`."""

from __future__ import annotations

import subprocess

import pytest
import requests

from cds_hooks.cli.main import main
from tests.conftest import hook_fixture
from tests.processes import CLI, command_env, running_service


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The service as the README starts it, in a scratch folder (its store file lands there)."""
    with running_service(tmp_path_factory.mktemp("demo"), command_env()) as service:
        yield service.base
    assert "TRUSTING A TEST-ONLY ISSUER" in service.output  # the loud warning at start


def token(aud: str) -> str:
    result = subprocess.run([*CLI, "token", "--aud", aud], capture_output=True, text=True,
                            check=True)
    return result.stdout.strip()


def test_curl_with_a_demo_token_gets_cards(demo):
    url = demo + "/cds-services/moldx-order-sign"
    response = requests.post(url, json=hook_fixture("zcode-from-cpt"),
                             headers={"Authorization": f"Bearer {token(url)}"}, timeout=10)
    assert response.status_code == 200
    assert response.json()["cards"][0]["indicator"] == "warning"


def test_the_readme_order_gets_its_codes_as_a_system_action_and_no_card(demo):
    """The demo client applies system actions (its issuer entry does not say otherwise)."""
    url = demo + "/cds-services/moldx-order-sign"
    body = requests.post(url, json=hook_fixture("missing-zcode"), timeout=10,
                         headers={"Authorization": f"Bearer {token(url)}"}).json()
    assert body["cards"] == []
    [action] = body["systemActions"]
    assert action["description"].startswith("ServiceRequest/sr-1: add CPT 81445 and Z-code")


def test_without_a_token_the_demo_answers_401(demo):
    response = requests.post(demo + "/cds-services/moldx-order-sign",
                             json=hook_fixture("missing-zcode"), timeout=10)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_browser_preflight_is_answered(demo):
    response = requests.options(demo + "/cds-services/moldx-order-select", timeout=10, headers={
        "Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://127.0.0.1:8000"


def test_token_command_prints_a_jwt(capsys):
    assert main(["token", "--aud", "http://127.0.0.1:8080/cds-services"]) == 0
    assert capsys.readouterr().out.count(".") == 2


def test_discovery_over_http_is_json_and_public(demo):
    response = requests.get(demo + "/cds-services", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    assert {s["hook"] for s in response.json()["services"]} == {
        "order-select", "order-sign", "order-dispatch"}


def test_the_fixtures_get_their_codes_over_http(demo, knowledge):
    url = demo + "/cds-services/moldx-order-sign"

    def post(body):
        return requests.post(url, json=body, headers={"Authorization": f"Bearer {token(url)}"},
                             timeout=10).json()

    assert post(hook_fixture("all-correct"))["cards"] == []
    [action] = post(hook_fixture("missing-zcode"))["systemActions"]
    row = knowledge.catalog.rows("CMD-LUNG50")[0]
    assert {row.cpt, row.zcode} <= {c["code"] for c in action["resource"]["code"]["coding"]}


def test_bad_input_over_http_is_a_400_not_a_500(demo):
    url = demo + "/cds-services/moldx-order-sign"
    response = requests.post(url, data="{", timeout=10, headers={
        "Content-Type": "application/json", "Authorization": f"Bearer {token(url)}"})
    assert response.status_code == 400
    assert response.json()["resourceType"] == "OperationOutcome"
