"""`moldx-cds serve` as it runs in production, in its own process (gunicorn master and two
workers): knowledge reload by `moldx-cds reload` and by `kill -HUP`, a bad knowledge folder
keeping the old one, metrics summed over the workers, structured JSON logs, health routes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
import requests

from cds_hooks.client.keys import demo_token
from tests.conftest import hook_fixture
from tests.mcd_packs import copy_knowledge
from tests.processes import CLI, free_port, moldx_cds, wait_until_up

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """The service on a copy of the demo knowledge, its log in a file."""
    folder = tmp_path_factory.mktemp("production")
    knowledge = copy_knowledge(folder / "knowledge")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOLDX_CDS_")}
    env |= {"PYTHONPATH": str(ROOT), "MOLDX_CDS_KNOWLEDGE_DIR": str(knowledge),
            "XDG_DATA_HOME": str(folder / "data")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    log = open(folder / "service.log", "w")  # noqa: SIM115 (open while the service runs)
    process = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2"],
                               cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(process, base + "/readyz", "moldx-cds serve",
                  (folder / "service.log").read_text)
    yield {"base": base, "folder": folder, "knowledge": knowledge, "env": env,
           "log": folder / "service.log", "pid": process.pid}
    process.terminate()
    process.wait(timeout=30)
    log.close()


def call(service, body: dict, **headers: str) -> requests.Response:
    url = service["base"] + "/cds-services/moldx-order-sign"
    return requests.post(url, json=body, timeout=10, headers={
        "Authorization": f"Bearer {demo_token(url)}", **headers})


def version(service) -> str:
    return requests.get(service["base"] + "/readyz", timeout=5).json()["checks"]["knowledge"][
        "version"]


def waiting_for_version(service, other_than: str, seconds: float = 60) -> str:
    deadline = time.monotonic() + seconds
    while (current := version(service)) == other_than:
        assert time.monotonic() < deadline, "the knowledge was not reloaded"
        time.sleep(0.2)
    return current


def log_lines(service) -> list[dict]:
    return [json.loads(line) for line in service["log"].read_text().splitlines()
            if line.startswith("{")]


def set_zcode(knowledge: Path, old: str, new: str) -> None:
    catalog = knowledge / "catalog.csv"
    catalog.write_text(catalog.read_text().replace(old, new))


def test_reload_by_command_then_by_sighup_picks_up_changed_csvs(service):
    before = version(service)
    [card] = call(service, hook_fixture("zcode-from-cpt")).json()["cards"]
    assert "ZL5H2" in card["detail"]

    set_zcode(service["knowledge"], "ZL5H2", "ZL5H9")
    result = subprocess.run([*CLI, "reload"], cwd=service["folder"], env=service["env"],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    second = waiting_for_version(service, before)
    for _ in range(4):  # whichever worker answers has the new knowledge
        [card] = call(service, hook_fixture("zcode-from-cpt")).json()["cards"]
        assert "ZL5H9" in card["detail"]

    set_zcode(service["knowledge"], "ZL5H9", "ZL5H7")
    os.kill(service["pid"], signal.SIGHUP)  # what `kill -HUP <master>` does
    waiting_for_version(service, second)
    [card] = call(service, hook_fixture("zcode-from-cpt")).json()["cards"]
    assert "ZL5H7" in card["detail"]


def test_a_bad_knowledge_folder_keeps_the_knowledge_serving(service):
    before = version(service)
    catalog = service["knowledge"] / "catalog.csv"
    good = catalog.read_text()
    catalog.write_text(good.replace("2024-04-01", "2024-13-01", 1))
    try:
        os.kill(service["pid"], signal.SIGHUP)
        deadline = time.monotonic() + 60
        while not any(line.get("event") == "reload-failed" for line in log_lines(service)):
            assert time.monotonic() < deadline, "no reload failure logged"
            time.sleep(0.2)
        time.sleep(1)  # the new workers are forked after the failed reload
        assert version(service) == before
        assert call(service, hook_fixture("zcode-from-cpt")).status_code == 200
    finally:
        catalog.write_text(good)
    [failed] = [line for line in log_lines(service) if line.get("event") == "reload-failed"]
    assert "catalog.csv" in failed["message"] and failed["level"] == "ERROR"


def test_reload_waits_for_the_answer_and_fails_with_the_problems(service):
    """`moldx-cds reload` (the installed command, from another folder) on knowledge that does
    not load: exit status 1 with file, line and column; /readyz shows the failed reload
    beside the version still serving. Then a good folder: exit status 0, the new version."""
    before = version(service)
    catalog = service["knowledge"] / "catalog.csv"
    good = catalog.read_text()
    catalog.write_text(good.replace("2024-04-01", "2024-13-01", 1))
    elsewhere = service["folder"] / "elsewhere"
    elsewhere.mkdir()
    try:
        failed = moldx_cds("reload", cwd=elsewhere, env=service["env"])
    finally:
        catalog.write_text(good)
    assert failed.returncode == 1, failed.stderr
    assert f"still serving {before}" in failed.stderr
    assert "catalog.csv, line 2, column effective_from" in failed.stderr
    knowledge = requests.get(service["base"] + "/readyz", timeout=5).json()["checks"][
        "knowledge"]
    assert knowledge["version"] == before
    last = knowledge["last_reload"]
    assert last["result"] == "failed" and last["version"] == before
    assert any("catalog.csv, line 2, column effective_from" in p for p in last["problems"])
    assert datetime.fromisoformat(last["at"]).tzinfo is not None

    catalog.write_text(re.sub(r"\bZL5H\d\b", "ZL5H4", good, count=1))  # a good change
    done = moldx_cds("reload", cwd=elsewhere, env=service["env"])
    assert done.returncode == 0, done.stderr
    after = waiting_for_version(service, before)
    assert f"knowledge reloaded: {before} -> {after}" in done.stderr
    assert requests.get(service["base"] + "/readyz", timeout=5).json()["checks"]["knowledge"][
        "last_reload"]["result"] == "done"


def test_metrics_add_up_the_workers(service):
    def total() -> float:
        text = requests.get(service["base"] + "/metrics", timeout=5).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                   if line.startswith('moldx_cds_requests_total{endpoint="moldx-order-sign"'))

    before = total()
    for _ in range(6):
        assert call(service, hook_fixture("stale-code")).status_code == 200
    assert total() == before + 6  # a scrape reaches one worker and still sees every request
    text = requests.get(service["base"] + "/metrics", timeout=5).text
    assert 'moldx_cds_findings_total{rule="stale-code"}' in text
    assert "moldx_cds_request_seconds_bucket" in text


def test_one_json_log_line_per_request_with_ids_and_no_token(service):
    url = service["base"] + "/cds-services/moldx-order-sign"
    token = demo_token(url)
    body = hook_fixture("not-payable")
    response = requests.post(url, json=body, timeout=10, headers={
        "Authorization": f"Bearer {token}", "X-Request-Id": "req-test-42"})
    assert response.status_code == 200
    assert response.headers["X-Request-Id"] == "req-test-42"
    time.sleep(0.2)
    lines = log_lines(service)
    [line] = [x for x in lines if x.get("request_id") == "req-test-42"
              and x.get("event") == "request"]
    assert (line["hookInstance"], line["service"], line["status"]) == (
        body["hookInstance"], "moldx-order-sign", 200)
    assert line["rules"] == ["not-payable"] and line["ms"] > 0
    text = service["log"].read_text()
    assert token not in text and token.split(".")[1] not in text
    assert any("TRUSTING A TEST-ONLY ISSUER" in x["message"] for x in lines)  # loud, still
    generated = requests.get(service["base"] + "/healthz", timeout=5)
    assert generated.json() == {"status": "alive"}
    assert len(generated.headers["X-Request-Id"]) == 32
