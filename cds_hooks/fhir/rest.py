"""Reads from the client's FHIR server (`fhirServer`), with the token the hook call brought;
and the writes with which a CDS client (client/cds_client.py) puts the actions it applied back.

The token lives only in the session of one hook call: it is never logged, kept or sent to a
URL outside `fhirServer` (a `next` link pointing elsewhere is not followed, a path that is not
relative is not read). A hook call's reads share one deadline (connect, every read, every
page): a server that trickles its answer is cut off there, not when it stops.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

log = logging.getLogger("moldx_cds.fhir")


class FhirError(Exception):
    """A read that gave no usable answer; `reason` says why in words for a clinician's card."""

    def __init__(self, reason: str):
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Page:
    resource: dict[str, Any] | None  # None: the server has no such resource (404, 410)


class FhirClient:
    def __init__(self, base: str, token: str | None, *, connect_timeout: float,
                 read_timeout: float, max_pages: int, deadline: float | None = None):
        """`deadline`: the time.monotonic() by which every read must be done."""
        self.base = base.rstrip("/") + "/"
        self._timeout = (connect_timeout, read_timeout)
        self._deadline = deadline
        self._max_pages = max_pages
        self._token = token
        self._opened: requests.Session | None = None

    @property
    def _session(self) -> requests.Session:
        # Made on the first read: most calls bring everything prefetched and read nothing,
        # and a Session costs about 50 us to make.
        if self._opened is None:
            self._opened = requests.Session()
            self._opened.headers["Accept"] = "application/fhir+json, application/json"
            if self._token:
                self._opened.headers["Authorization"] = f"Bearer {self._token}"
        return self._opened

    def close(self) -> None:
        if self._opened is not None:
            self._opened.close()

    def get(self, query: str) -> Page:
        """A read (`Patient/1`) or search (`Condition?patient=1`), relative to the base. A
        search's pages are followed and merged into the first Bundle, up to the page cap."""
        if "://" in query or query.startswith(("/", ".")):
            raise FhirError("the service reads only paths under the FHIR server's base")
        first = self._get_json(self.base + query)
        if first is None or first.get("resourceType") != "Bundle":
            return Page(first)
        return self.rest_of(first)

    def rest_of(self, bundle: dict[str, Any]) -> Page:
        """`bundle` with the entries of the pages its `next` links lead to, up to the cap."""
        merged = {**bundle, "entry": list(bundle.get("entry") or [])}
        page, pages = bundle, 1
        while (url := _next_link(page)) is not None:
            if pages >= self._max_pages:
                log.warning("search %s: stopped after %d pages", _path(url), pages)
                break
            if not self.within_server(url):
                log.warning("search: not following a next link outside fhirServer")
                break
            page = self._get_json(url)
            if page is None or page.get("resourceType") != "Bundle":
                raise FhirError("a page of the search results could not be read")
            merged["entry"] += page.get("entry") or []
            pages += 1
        return Page(_without_next(merged))

    def within_server(self, url: str) -> bool:
        return urljoin(self.base, url).startswith(self.base)

    def write(self, method: str, path: str, resource: dict[str, Any] | None = None, *,
              version: str | None = None) -> dict[str, Any] | None:
        """POST `Type` (create), PUT `Type/id` (update; with `version`, only while the server
        still holds that version) or DELETE `Type/id`. The resource the server answers with,
        if any; FhirError with the status and the server's own words when it refuses."""
        headers = {"Content-Type": "application/fhir+json"} if resource is not None else {}
        if version:
            headers["If-Match"] = f'W/"{version}"'
        response = self._send(method, urljoin(self.base, path), headers=headers,
                              data=None if resource is None else json.dumps(resource))
        status = response.status_code
        if status >= 300:
            said = outcome_text(response)
            why = {401: "refused access", 403: "refused access",
                   412: "refused it: the resource changed since it was read"}.get(
                       status, "refused it")
            raise FhirError(f"the FHIR server {why} ({status}{': ' + said if said else ''})")
        try:
            data = response.json()
        except ValueError:
            return None
        return data if isinstance(data, dict) and data.get("resourceType") not in (
            None, "OperationOutcome") else None

    def _send(self, method: str, url: str, **options: Any) -> requests.Response:
        # Only the path goes to the log: a query can carry identifiers, the token never does.
        try:
            response = self._session.request(method, url, timeout=self._time_left(),
                                             allow_redirects=False, stream=True, **options)
            self._read_body(response)
        except requests.Timeout:
            log.warning("FHIR %s %s: timed out", method, _path(url))
            raise FhirError("the FHIR server did not answer in time") from None
        except requests.RequestException as bad:
            log.warning("FHIR %s %s: %s", method, _path(url), type(bad).__name__)
            raise FhirError("the FHIR server could not be reached") from None
        log.info("FHIR %s %s: %d", method, _path(url), response.status_code)
        return response

    def _time_left(self) -> tuple[float, float]:
        if self._deadline is None:
            return self._timeout
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise requests.Timeout("the hook call's deadline for FHIR reads has passed")
        return min(self._timeout[0], left), min(self._timeout[1], left)

    def _read_body(self, response: requests.Response) -> None:
        """The body, read as it comes (read1: whatever one receive brings), until the deadline:
        the read timeout alone never fires on a server sending a byte a second."""
        body = bytearray()
        try:
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                body += chunk
                self._time_left()
        except requests.Timeout:
            response.close()
            raise
        except Exception as bad:  # urllib3's errors while reading: the server's fault
            response.close()
            raise requests.ConnectionError(str(bad)) from None
        response._content = bytes(body)  # what requests would have read, for .json()
        response._content_consumed = True

    def _get_json(self, url: str) -> dict[str, Any] | None:
        response = self._send("GET", url)
        if response.status_code in (404, 410):
            return None
        if response.status_code in (401, 403):
            raise FhirError(f"the FHIR server refused access ({response.status_code})")
        if response.status_code != 200:
            raise FhirError(f"the FHIR server answered {response.status_code}")
        try:
            data = response.json()
        except ValueError:
            raise FhirError("the FHIR server answered with something that is not JSON") \
                from None
        if not isinstance(data, dict) or not isinstance(data.get("resourceType"), str):
            raise FhirError("the FHIR server answered with something that is not a resource")
        if data["resourceType"] == "OperationOutcome":
            raise FhirError("the FHIR server answered with an error (OperationOutcome)")
        return data


def outcome_text(response: requests.Response) -> str:
    """What an OperationOutcome in the answer says, in one line ('' when there is none)."""
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return ""
    said = []
    for issue in data.get("issue") or []:
        if isinstance(issue, dict):
            details = issue.get("details")
            text = issue.get("diagnostics") or (details.get("text")
                                                if isinstance(details, dict) else None)
            if isinstance(text, str) and text:
                said.append(text)
    return "; ".join(said)


def _next_link(bundle: dict[str, Any]) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == "next" and link.get("url"):
            return link["url"]
    return None


def _without_next(bundle: dict[str, Any]) -> dict[str, Any]:
    links = [link for link in bundle.get("link") or [] if link.get("relation") != "next"]
    return {**{k: v for k, v in bundle.items() if k != "link"}, **({"link": links} if links
                                                                    else {})}


def _path(url: str) -> str:
    return url.split("?", 1)[0]
