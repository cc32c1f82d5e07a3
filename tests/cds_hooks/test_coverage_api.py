"""`policy sync`: one article from the CMS Coverage API into the policy store. The API is
mocked with `responses`; every mocked record has exactly the fields the API's OpenAPI spec
(v1.5, tests/data) gives its endpoint, and is built from the demo pack's rows."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
import responses
from responses import matchers

from cds_hooks.cli.main import main
from cds_hooks.coverage_api import BASE_URL, CoverageApi, sync_articles
from plugin.knowledge.mcd_export import import_export, policy_from_export
from plugin.knowledge.policy_store import PolicyError, load_policy_file
from tests.mcd_packs import DEMO_PACK, read

SPEC = json.loads((Path(__file__).parent.parent / "data" /
                   "coverage_api_openapi_v1.5.json").read_text())
TOKEN = "3f1e2d-license-token"
DOS = date(2026, 3, 2)


def _resolve(node):
    while "$ref" in node:
        target = SPEC
        for part in node["$ref"].split("/")[1:]:
            target = target[part]
        node = target
    return node


def spec_fields(path: str) -> set[str]:
    """The fields of one record of `data` in the endpoint's 200 answer."""
    answer = _resolve(SPEC["paths"][path]["get"]["responses"]["200"])
    schema = _resolve(answer["content"]["application/json"]["schema"])
    return set(_resolve(_resolve(schema["properties"]["data"])["items"])["properties"])


def _api_value(column: str, value: str):
    if not value:
        return None
    if column.endswith(("_id", "_version", "_group", "sort_order", "related_num", "_type")) \
            and value.isdigit():
        return int(value)
    if "date" in column or column == "last_updated":
        day = value[:10]
        return f"{day[5:7]}/{day[8:10]}/{day[:4]}"  # the API writes MM/DD/YYYY
    return value


def _records(path: str, csv_name: str, article: str, **extra) -> list[dict]:
    fields = spec_fields(path)
    _, rows = read(DEMO_PACK, csv_name)
    records = []
    for row in rows:
        if row["article_id"] != article:
            continue
        record = {f: _api_value(f.lower(), row.get(f.lower(), "")) for f in fields}
        record.update({k: v for k, v in extra.items() if k in fields})
        assert set(record) == fields
        records.append(record)
    return records


def _answer(data: list[dict]) -> dict:
    return {"meta": {"status": {"id": 200, "message": "OK"}, "notes": "", "fields": [],
                     "children": []}, "data": data}


ENDPOINTS = {
    "icd10-covered": "article_x_icd10_covered.csv",
    "icd10-covered-group": "article_x_icd10_covered_group.csv",
    "icd10-noncovered": "article_x_icd10_noncovered.csv",
    "hcpc-code": "article_x_hcpc_code.csv",
    "contractor": "article_x_contractor.csv",
    "related-documents": "article_related_documents.csv",
}


def mock_article(mock: responses.RequestsMock, article: str = "57901", base: str = BASE_URL):
    bearer = matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})
    mock.get(f"{base}/v1/metadata/license-agreement/",
             json=_answer([{"Token": TOKEN}]))
    [meta] = _records("/v1/data/article/", "article.csv", article)
    version = meta["article_version"]
    mock.get(f"{base}/v1/data/article/", json=_answer([meta]), match=[
        bearer, matchers.query_param_matcher({"articleid": article})])
    for endpoint, csv_name in ENDPOINTS.items():
        path = f"/v1/data/article/{endpoint}"
        mock.get(f"{base}{path}", match=[
            bearer, matchers.query_param_matcher({"articleid": article, "ver": str(version)})],
            json=_answer(_records(path, csv_name, article,
                                  long_description="CPT DESCRIPTOR TEXT")))
    _, contractors = read(DEMO_PACK, "contractor.csv")
    fields = spec_fields("/v1/data/contractor/")
    record = {"contractor_id": 359, "contract_type_id": 12, "subtype_id": 1,
              "contractor_version": 1, "contract_number": contractors[0]["contractor_number"],
              "contractor_name": contractors[0]["contractor_bus_name"]}
    assert set(record) == fields
    mock.get(f"{base}/v1/data/contractor/", json=_answer([record]), match=[
        bearer, matchers.query_param_matcher({"contractor_id": "359",
                                              "contractor_version": "1"})])
    return version


@responses.activate
def test_sync_stores_the_article_as_the_export_would(tmp_path):
    version = mock_article(responses.mock)
    store = tmp_path / "policy.sqlite"
    [synced] = sync_articles(CoverageApi(), ["A57901"], store)
    assert (synced.article, synced.version) == ("A57901", version)
    fetched = load_policy_file(store, ["A57901"]).version_on("A57901", DOS)
    expected = policy_from_export(DEMO_PACK, ["A57901"]).version_on("A57901", DOS)
    assert fetched == expected  # same codes, groups, dates, contract numbers and LCDs
    assert b"CPT DESCRIPTOR TEXT" not in store.read_bytes()


@responses.activate
def test_sync_adds_to_the_versions_already_stored(tmp_path):
    store = tmp_path / "policy.sqlite"
    import_export(DEMO_PACK, store)
    mock_article(responses.mock, "57891")
    sync_articles(CoverageApi(), ["A57891"], store)
    policy = load_policy_file(store, ["A57901", "A57891"])
    assert set(policy.versions) == {"A57901", "A57891"}
    with sqlite3.connect(store) as db:
        [(count,)] = db.execute("SELECT count(*) FROM article WHERE article_id = 57891")
    assert count == 1  # replaced, not doubled


@responses.activate
def test_an_unknown_article_is_an_error_and_the_store_is_untouched(tmp_path):
    responses.get(f"{BASE_URL}/v1/metadata/license-agreement/", json=_answer([{"Token": TOKEN}]))
    responses.get(f"{BASE_URL}/v1/data/article/", json=_answer([]))
    store = tmp_path / "policy.sqlite"
    with pytest.raises(PolicyError, match="A12345: the Coverage API has no such article"):
        sync_articles(CoverageApi(), ["A12345"], store)
    assert not store.exists()


@responses.activate
def test_http_errors_name_the_call(tmp_path, capsys):
    responses.get(f"{BASE_URL}/v1/metadata/license-agreement/",
                  json={"message": "Service Unavailable", "code": 503}, status=503)
    code = main(["policy", "sync", "--article", "A57901", "--store",
                 str(tmp_path / "p.sqlite")])
    assert code == 2
    assert "license-agreement/ (): HTTP 503 Service Unavailable" in capsys.readouterr().err


@responses.activate
def test_the_cli_syncs_into_the_store(tmp_path, capsys):
    base = "https://coverage.example.org"
    version = mock_article(responses.mock, base=base)
    store = tmp_path / "p.sqlite"
    code = main(["policy", "sync", "--article", "A57901", "--store", str(store),
                 "--base-url", base])
    assert code == 0
    assert f"A57901 version {version}" in capsys.readouterr().err
    assert load_policy_file(store, ["A57901"]).has("A57901")
