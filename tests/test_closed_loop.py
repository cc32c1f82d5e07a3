"""The closed loop end to end, between real processes: a signed order with a warning, the
warning overridden, the payer's 835 denying that line with CO-252, the report counting one
warned-overridden denial with its amount, and the worklist saying to correct and resubmit."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from decimal import Decimal

import requests

from bench.x12_835 import Paid, PaidClaim, remittance
from tests.conftest import hook_fixture
from tests.processes import CLI, command_env, running_service

WHEN = "2026-03-02T15:04:05Z"


def _run(*args: str, env: dict, folder) -> subprocess.CompletedProcess:
    return subprocess.run([*CLI, *args], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=60)


def _post(url: str, body: dict, env: dict, folder) -> requests.Response:
    token = _run("token", "--aud", url, env=env, folder=folder).stdout.strip()
    return requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"},
                         timeout=10)


def _report(env: dict, folder) -> dict:
    run = _run("report", "--json", env=env, folder=folder)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_an_overridden_warning_denied_with_co_252_is_counted_with_its_amount(tmp_path):
    env = {**command_env(), "XDG_DATA_HOME": str(tmp_path / "data")}
    with running_service(tmp_path, env) as service:
        sign = service.base + "/cds-services/moldx-order-sign"
        body = {**hook_fixture("zcode-from-cpt"), "hookInstance": str(uuid.uuid4())}
        answer = _post(sign, body, env, tmp_path)
        assert answer.status_code == 200
        [card] = answer.json()["cards"]
        assert card["indicator"] == "warning"
        feedback = _post(sign + "/feedback", {"feedback": [{
            "card": card["uuid"], "outcome": "overridden", "outcomeTimestamp": WHEN,
            "overrideReason": {"userComment": "ordering as is"}}]}, env, tmp_path)
        assert feedback.status_code == 200
        deadline = time.monotonic() + 30  # the writer thread keeps the spool in the store
        while _report(env, tmp_path)["feedback"] < 1:
            assert time.monotonic() < deadline, "the call and feedback never reached the store"
            time.sleep(0.5)

    order = body["context"]["draftOrders"]["entry"][0]["resource"]
    denied = tmp_path / "denial.835"
    denied.write_text(remittance([PaidClaim("CLM-1", [Paid(
        "81445", charge="1200", adjustments=(("CO", "252", "1200"),), remarks=("N706",),
        control=order["id"])], patient=body["context"]["patientId"])]))
    imported = _run("remit", str(denied), "--json", env=env, folder=tmp_path)
    assert imported.returncode == 0, imported.stderr
    [line] = json.loads(imported.stdout)["lines"]
    assert (line["category"], line["outcome"]) == ("zcode", "warned-overridden")

    report = _report(env, tmp_path)
    outcomes = report["remittances"]["outcomes"]
    assert outcomes["warned-overridden"] == {"lines": 1, "amount": "1200.00"}
    assert sum(o["lines"] for o in outcomes.values()) == 1
    assert report["remittances"]["categories"]["zcode"]["amount"] == "1200.00"
    assert (report["orders_flagged"], report["orders_fixed"]) == (1, 0)
    assert Decimal(report["at_risk"]) > 0 and Decimal(report["avoided"]) == 0
    assert report["money"]["buckets"]["denied_after_override"] == {
        "orders": 1, "amount": "1200.00"}

    worklist = _run("worklist", "--json", env=env, folder=tmp_path)
    assert worklist.returncode == 0, worklist.stderr
    [item] = json.loads(worklist.stdout)
    assert (item["claim"], item["action"], item["decision"]) == (
        "CLM-1", "correct and resubmit", "warned-overridden")
