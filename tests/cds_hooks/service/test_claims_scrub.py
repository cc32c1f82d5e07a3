"""POST /claims/scrub: the 837P a clearinghouse sends before submission, answered with the
JSON of `moldx-cds scrub --json`, behind the hooks' client JWT."""

from __future__ import annotations

import json

import pytest

from tests.cds_hooks.claims.conftest import X12, x12_text
from tests.processes import moldx_cds


def test_the_answer_is_the_json_of_the_scrub_command(client, settings, tmp_path):
    response = client.post("/claims/scrub", data=x12_text("rules.837"),
                           content_type="application/edi-x12")
    assert response.status_code == 200
    command = moldx_cds("scrub", str(X12 / "rules.837"), "--json", "--store-url",
                        settings.store_url, cwd=tmp_path)
    assert response.get_json() == json.loads(command.stdout)


def test_no_token_is_a_401(client):
    response = client.post("/claims/scrub", data=x12_text("clean.837"), sign=False)
    assert response.status_code == 401


@pytest.mark.parametrize(("body", "expression"), [
    (b"not x12 at all", "ISA"),
    (x12_text("clean.837").replace("*UN*1***1", "*XX*1***1", 1).encode(), "SV103"),
    (b"", "ISA"),
    (bytes(range(256)), "ISA"),
])
def test_bad_x12_is_a_400_operation_outcome_naming_the_place(client, body, expression):
    response = client.post("/claims/scrub", data=body, content_type="application/edi-x12")
    assert response.status_code == 400
    outcome = response.get_json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["expression"] == [expression]




def test_a_claim_file_over_the_limit_is_a_413_before_it_is_read(client_for, knowledge):
    """A worker is held about 0.6 s per 1,000 lines: the service takes a bounded file and
    sends larger ones to the command, which has no such limit."""
    body = x12_text("clean.837").encode()
    at_limit = client_for(knowledge, max_claim_bytes=len(body))
    assert at_limit.post("/claims/scrub", data=body,
                         content_type="application/edi-x12").status_code == 200
    over = client_for(knowledge, max_claim_bytes=len(body) - 1)
    response = over.post("/claims/scrub", data=body, content_type="application/edi-x12")
    assert response.status_code == 413
    [issue] = response.get_json()["issue"]
    assert issue["code"] == "too-costly"
    assert "MOLDX_CDS_MAX_CLAIM_BYTES" in issue["diagnostics"]
    assert "moldx-cds scrub" in issue["diagnostics"]


def test_the_default_limit_refuses_the_10000_line_benchmark_file(client):
    from bench.x12_837p import load_file

    response = client.post("/claims/scrub", data=load_file(10_000),
                           content_type="application/edi-x12")
    assert response.status_code == 413
