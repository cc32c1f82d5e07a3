"""Order-sign calls as an Epic and an Oracle Health site send them (their own orderable codes,
CRD billing options, the Coverage's payer by its payer id), answered over HTTP by
`moldx-cds serve` in its own process; and every fixture's coverage information valid against
the CRD 2.0.1 rules and FHIR R4."""

from __future__ import annotations

import pytest
import requests
from fhir.resources.R4B.servicerequest import ServiceRequest as R4BServiceRequest

from cds_hooks.client.keys import demo_token
from tests import conformance
from tests.cds_hooks.service.test_service import coverage_parts
from tests.conftest import FIXTURES, hook_fixture
from tests.processes import command_env, running_service

CPT = "http://www.ama-assn.org/go/cpt"
ZCODE = "urn:moldx-cds:dex-z-code"
SIGNED = sorted(p.stem for p in (FIXTURES / "hooks").glob("*.json")
                if hook_fixture(p.stem)["hook"] == "order-sign")


@pytest.fixture(scope="module")
def call(tmp_path_factory):
    with running_service(tmp_path_factory.mktemp("ehr"), command_env()) as service:
        url = service.base + "/cds-services/moldx-order-sign"

        def post(body: dict) -> dict:
            response = requests.post(url, json=body, timeout=10,
                                     headers={"Authorization": f"Bearer {demo_token(url)}"})
            assert response.status_code == 200, response.text
            return response.json()

        yield post


def _codes(resource: dict) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource["code"]["coding"]}


def test_an_epic_sites_orderable_gets_its_codes_and_covered(call):
    request = hook_fixture("epic-order-sign")
    response = call(request)
    # the demo client's own compendium row names the test for sure: its codes are applied by
    # the LIS as a system action, and the clinician is not interrupted for them
    assert response["cards"] == []
    [action] = response["systemActions"]
    assert {(CPT, "81445"), (ZCODE, "ZL5H2")} <= _codes(action["resource"])
    parts = coverage_parts(action["resource"])
    assert parts["coverage"] == [{"reference": "Coverage/eCv5Xq8Rz2Mn4Tb"}]  # payer id on the
    assert parts["covered"] == ["covered"]  # Organization; Medicare under A57901, C34.90
    assert {c["code"] for c in parts["billingCode"]} == {"81445", "ZL5H2"}


def test_an_oracle_health_order_for_unitedhealthcare_says_its_policy_is_not_held(call):
    request = {**hook_fixture("oracle-order-sign"),
               "extension": {"davinci-crd.requestedVersion": "2.2"}}
    response = call(request)
    [action] = response["systemActions"]
    assert {(CPT, "81445"), (ZCODE, "ZL5H2")} <= _codes(action["resource"])
    parts = coverage_parts(action["resource"])
    assert parts["covered"] == ["indeterminate"] and parts["pa-needed"] == ["conditional"]
    assert any("UnitedHealthcare" in r["text"] for r in parts["reason"])
    # a billing option agreeing with the test confirms it: no card about it
    assert not [c for c in response["cards"] if "billing code the order expects" in
                c["summary"]]
    assert conformance.problems(response, request) == []


@pytest.mark.parametrize("name", SIGNED)
def test_every_fixtures_coverage_information_is_valid_crd_201_and_fhir(call, name):
    request = hook_fixture(name)
    response = call(request)
    assert conformance.problems(response, request) == []
    for action in response.get("systemActions", []):
        R4BServiceRequest.model_validate(action["resource"])
