"""The CMS Coverage API (https://api.coverage.cms.gov, its OpenAPI document v1.5): one
article's tables, fetched into the policy store, for when the weekly MCD export is not at hand.

The endpoints under /v1/data/article/ mirror the export's tables and take `articleid` (the
number without the A) and `ver` (latest when omitted). Those that carry AMA/ADA/AHA content
need the Bearer token of /v1/metadata/license-agreement/, valid one hour; it is sent with every
data call. CPT descriptor fields are dropped like in the export import.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

from plugin.knowledge.policy import article_key
from plugin.knowledge.policy_store import (
    TABLES,
    TABLES_BY_NAME,
    PolicyError,
    convert_record,
    insert,
    replace_article_version,
    set_meta,
    updated_store,
)

BASE_URL = "https://api.coverage.cms.gov"
TIMEOUT = 30  # seconds per call; the API answers in well under that when it is up


@dataclass(frozen=True)
class Synced:
    article: str  # A57901
    version: int
    rows: dict[str, int]  # table -> rows stored


class CoverageApi:
    def __init__(self, base_url: str = BASE_URL, session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.session = session or requests.Session()
        self._token: str | None = None

    def _get(self, path: str, **params: Any) -> list[dict[str, Any]]:
        """The `data` list of one endpoint's answer; a PolicyError naming the call otherwise."""
        url = f"{self.base_url}{path}"
        headers = {"Authorization": f"Bearer {self._token}"} if self._token else {}
        try:
            response = self.session.get(url, params=params, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as bad:
            raise PolicyError([f"{url}: {bad}"]) from None
        if response.status_code != 200:
            message = _message(response)
            raise PolicyError([f"{url} ({_query(params)}): HTTP {response.status_code} "
                               f"{message}".rstrip()])
        try:
            data = response.json()["data"]
        except (ValueError, KeyError, TypeError):
            raise PolicyError([f"{url}: the answer is not a Coverage API data list"]) from None
        if not isinstance(data, list):
            raise PolicyError([f"{url}: `data` is not a list"])
        return data

    def accept_license(self) -> None:
        """Get the token that stands for accepting the AMA, ADA and AHA licences."""
        data = self._get("/v1/metadata/license-agreement/")
        token = next((row.get("Token") or row.get("token") for row in data
                      if isinstance(row, dict)), None)
        if not token:
            raise PolicyError([f"{self.base_url}/v1/metadata/license-agreement/: no token"])
        self._token = token

    def article(self, article: str, version: int | None = None) -> dict[str, list[dict]]:
        """Every table of one article version, as the API's records, by store table name."""
        number = int(article_key(article)[1:])
        params = {"articleid": number, **({"ver": version} if version else {})}
        found = self._get("/v1/data/article/", **params)
        if not found:
            raise PolicyError([f"{article_key(article)}: the Coverage API has no such article"
                               + (f" version {version}" if version else "")])
        version = int(found[0]["article_version"])
        records = {"article": found[:1]}
        for table in TABLES:
            if table.endpoint:
                records[table.name] = self._get(f"/v1/data/article/{table.endpoint}",
                                                articleid=number, ver=version)
        records["contractor"] = [
            _as_contractor_row(row) for key in _contractor_keys(records["article_x_contractor"])
            for row in self._get("/v1/data/contractor/", contractor_id=key[0],
                                 contractor_version=key[2])
            if int(row.get("contract_type_id") or 0) == key[1]]
        return records


def sync_articles(api: CoverageApi, articles: list[str], store: Path | str) -> list[Synced]:
    """Fetch the current version of each article into the store (created when missing); the
    store changes only when every article was fetched."""
    api.accept_license()
    fetched = [(article_key(a), api.article(a)) for a in articles]
    digest = hashlib.sha256()
    synced = []
    with updated_store(store) as db:
        for article, records in fetched:
            version = int(records["article"][0]["article_version"])
            replace_article_version(db, int(article[1:]), version)
            rows = {}
            for name, found in records.items():
                table = TABLES_BY_NAME[name]
                converted = [convert_record(table, r, f"{article} {table.endpoint or name}, "
                                            f"record {i + 1}") for i, r in enumerate(found)]
                if name == "contractor":
                    db.executemany("DELETE FROM contractor WHERE contractor_id = ? AND "
                                   "contractor_type_id = ? AND contractor_version = ?",
                                   [row[:3] for row in converted])
                insert(db, table, converted)
                rows[name] = len(converted)
            digest.update(json.dumps(records, sort_keys=True, default=str).encode())
            synced.append(Synced(article, version, rows))
        previous = dict(db.execute("SELECT key, value FROM meta")).get("import_id", "")
        digest.update(previous.encode())
        now = datetime.now(UTC).isoformat(timespec="seconds")
        set_meta(db, import_id=digest.hexdigest()[:12],
                 **{f"synced.{s.article}": f"version {s.version} at {now}" for s in synced})
    return synced


def _contractor_keys(rows: list[dict]) -> list[tuple[int, int, int]]:
    keys = {(int(r["contractor_id"]), int(r["contractor_type_id"]), int(r["contractor_version"]))
            for r in rows if r.get("contractor_id") is not None}
    return sorted(keys)


def _as_contractor_row(row: dict) -> dict:
    """/v1/data/contractor/ names the export's contractor columns differently."""
    return {"contractor_id": row.get("contractor_id"),
            "contractor_type_id": row.get("contract_type_id"),
            "contractor_version": row.get("contractor_version"),
            "contractor_number": row.get("contract_number"),
            "contractor_bus_name": row.get("contractor_name")}


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
        return str(body.get("message", "")) if isinstance(body, dict) else ""
    except ValueError:
        return response.text[:200]


def _query(params: dict[str, Any]) -> str:
    return "&".join(f"{k}={v}" for k, v in params.items())
