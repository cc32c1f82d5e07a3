"""A CDS Hooks client for an LIS or EHR that wants the codes on its orders: read the patient
and the orders from a FHIR server, build the hook request, sign it, call any CDS service, apply
the actions it answers with (actions.py) and write the changed orders back.

    fhir = open_fhir_server(base, token)
    service = CdsClient(url, Signer(ClientKey.load(pem), issuer))
    done = round_trip(service, fhir, "pat-1", ["ServiceRequest/sr-1"], token=token,
                      apply=True)
    done.response["cards"], done.applied.actions, done.written

or step by step: `discover`, `read_chart`, `build_request`, `call`, `apply_actions`,
`planned_writes`, `write_back`.

Without prefetch, the service reads what it needs from `fhirServer` with the access token in
`fhirAuthorization`; `prefetch_from_server` and `prefetch_from_resources` fill the service's
prefetch templates instead. Tokens are never logged.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from cds_hooks.fhir.rest import FhirClient, FhirError, outcome_text
from cds_hooks.fhir.templates import fill_template

from .actions import Applied, apply_actions
from .keys import ClientKey, client_token

CONNECT_TIMEOUT, READ_TIMEOUT = 5.0, 30.0
_REFERENCE = re.compile(r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$")  # `Type/id`, a FHIR id
TOKEN_LIFETIME = 300  # seconds; what `expires_in` tells the service of the FHIR token


class ClientError(Exception):
    """Something a person must fix: says what failed, where, and (when known) why."""


@dataclass(frozen=True)
class Signer:
    """Signs one JWT per call, as CDS Hooks 2.0 asks: `aud` the exact URL called."""

    key: ClientKey
    issuer: str
    jku: str | None = None

    def token(self, audience: str) -> str:
        return client_token(self.key, self.issuer, audience, jku=self.jku)


@dataclass(frozen=True)
class ServiceInfo:
    """A service as its discovery describes it."""

    url: str
    id: str
    hook: str
    prefetch: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Chart:
    """What the request is built from: the patient and the orders, as the FHIR server has
    them (`Type/id` -> resource), and the version of each order when it was read."""

    patient: dict[str, Any]
    orders: dict[str, dict[str, Any]]

    @property
    def patient_id(self) -> str:
        return self.patient["id"]

    def version(self, reference: str) -> str | None:
        meta = self.orders.get(reference, {}).get("meta")
        version = meta.get("versionId") if isinstance(meta, dict) else None
        return version if isinstance(version, str) else None


# -- the FHIR server -----------------------------------------------------------------------

def open_fhir_server(base: str, token: str | None, *, max_pages: int = 5) -> FhirClient:
    return FhirClient(base, token, connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                      max_pages=max_pages)


def read_chart(fhir: FhirClient, patient_id: str, orders: Iterable[str]) -> Chart:
    """The patient and the orders (`ServiceRequest/id`) from the FHIR server. Every order must
    exist and be the patient's: a request about someone else's order is not built."""
    patient = _read(fhir, f"Patient/{patient_id}")
    read = {}
    for reference in dict.fromkeys(orders):
        order = _read(fhir, reference)
        subject = (order.get("subject") or {}).get("reference")
        if subject not in (f"Patient/{patient_id}", f"{fhir.base}Patient/{patient_id}"):
            raise ClientError(f"{reference} is an order of {subject or 'nobody'}, not of "
                              f"Patient/{patient_id}")
        read[reference] = order
    if not read:
        raise ClientError("name at least one order")
    return Chart(patient, read)


def _read(fhir: FhirClient, reference: str) -> dict[str, Any]:
    if not _REFERENCE.match(reference):
        raise ClientError(f"{reference!r} is not a reference of the form Type/id")
    kind, _, rid = reference.partition("/")
    try:
        page = fhir.get(reference)
    except FhirError as bad:
        raise ClientError(f"reading {reference} from {fhir.base}: {bad.reason}") from None
    if page.resource is None:
        raise ClientError(f"{reference} is not on the FHIR server {fhir.base}")
    if page.resource.get("resourceType") != kind or page.resource.get("id") != rid:
        raise ClientError(f"{fhir.base}{reference} answered with another resource")
    return page.resource


def prefetch_from_server(fhir: FhirClient, info: ServiceInfo,
                         context: Mapping[str, Any]) -> dict[str, Any]:
    """The service's prefetch templates read from the FHIR server. A template that cannot be
    filled, or a read that fails, leaves its key out (the service then reads it itself); a
    resource the server does not have is null."""
    prefetch = {}
    for key, query in _filled(info, context).items():
        try:
            prefetch[key] = fhir.get(query).resource
        except FhirError:
            continue
    return prefetch


def prefetch_from_resources(info: ServiceInfo, context: Mapping[str, Any],
                            resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The service's prefetch templates answered from resources at hand: a read
    (`Patient/{{context.patientId}}`) by the resource with that type and id (else null), a
    search (`Coverage?patient=...`) by a Bundle of every resource of its type (its other
    parameters are not applied: pass only the resources that match)."""
    resources = list(resources)
    prefetch: dict[str, Any] = {}
    for key, query in _filled(info, context).items():
        path, search, _ = query.partition("?")
        kind, _, rid = path.partition("/")
        if search or not rid:
            prefetch[key] = searchset([r for r in resources if r.get("resourceType") == kind])
        else:
            prefetch[key] = next((r for r in resources if r.get("resourceType") == kind
                                  and r.get("id") == rid), None)
    return prefetch


def _filled(info: ServiceInfo, context: Mapping[str, Any]) -> dict[str, str]:
    filled = {key: fill_template(template, context.get) for key, template in
              info.prefetch.items()}
    # `{{userPractitionerId}}` and other tokens this client does not fill: left out.
    return {key: query for key, query in filled.items() if query and "{{" not in query}


def searchset(resources: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "searchset",
            "entry": [{"resource": r} for r in resources]}


_DONE = {"DELETE": "deleted", "POST": "created", "PUT": "updated"}


@dataclass(frozen=True)
class Write:
    method: str  # DELETE, POST, PUT
    path: str  # `Type/id`, or `Type` for a create
    resource: dict[str, Any] | None = None
    version: str | None = None  # PUT only while the server holds this version

    def __str__(self) -> str:
        return f"{self.method} {self.path}"

    def done(self, answer: dict[str, Any] | None) -> str:
        """What was written, from the server's answer: `updated ServiceRequest/1 (version
        2)`."""
        path = self.path
        if self.method == "POST" and answer and answer.get("id"):
            path = f"{path}/{answer['id']}"
        meta = (answer or {}).get("meta") or {}
        version = f" (version {meta['versionId']})" if meta.get("versionId") else ""
        return f"{_DONE[self.method]} {path}{version}"


def planned_writes(applied: Applied, chart: Chart) -> list[Write]:
    """What the applied actions need written to the FHIR server: deletes, then creates, then
    updates, an update only if it changes the order (else it would only add a version)."""
    return [*(Write("DELETE", ref) for ref in applied.deleted),
            *(Write("POST", r["resourceType"], r) for r in applied.created),
            *(Write("PUT", ref, applied.orders[ref], chart.version(ref))
              for ref in applied.updated
              if _content(applied.orders[ref]) != _content(chart.orders[ref]))]


def write_back(fhir: FhirClient, writes: list[Write]) -> list[str]:
    """Run the writes in turn; an update only while the order still has the version it was
    read at (If-Match), so a change made meanwhile is not overwritten. What was written, one
    line each; ClientError at the first write that fails, saying what was written before it
    and what was not."""
    done: list[str] = []
    for index, write in enumerate(writes):
        try:
            answer = fhir.write(write.method, write.path, write.resource,
                                version=write.version)
        except FhirError as bad:
            left = ", ".join(map(str, writes[index + 1:]))
            raise ClientError(
                f"{write} failed: {bad.reason}."
                f" Written before it: {', '.join(done) or 'nothing'}."
                f"{' Not written: ' + left + '.' if left else ''}") from None
        done.append(write.done(answer))
    return done


def _content(resource: dict[str, Any]) -> dict[str, Any]:
    """A resource without its `meta`, which the server sets, not the content."""
    return {k: v for k, v in resource.items() if k != "meta"}


# -- the hook request ----------------------------------------------------------------------

def fhir_authorization(token: str, info: ServiceInfo, *,
                       expires_in: int = TOKEN_LIFETIME) -> dict[str, Any]:
    """`fhirAuthorization` for the service: the token, and read scopes for the resource types
    its prefetch templates name (what it will read when nothing is prefetched)."""
    kinds = sorted({template.split("?")[0].split("/")[0] for template in info.prefetch.values()
                    if template[:1].isalpha()})
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in,
            "scope": " ".join(f"patient/{kind}.read" for kind in kinds) or "patient/*.read",
            "subject": info.id}


def build_request(info: ServiceInfo, chart: Chart, *, fhir_server: str | None = None,
                  fhir_authorization: Mapping[str, Any] | None = None,
                  prefetch: Mapping[str, Any] | None = None, user: str | None = None,
                  performer: str | None = None, hook_instance: str | None = None
                  ) -> dict[str, Any]:
    """A CDS Hooks 2.0 request of the service's hook about the chart's orders. `user` is the
    context's userId (default: the first order's requester when that is a Practitioner)."""
    context = hook_context(info.hook, chart, user=user, performer=performer)
    request: dict[str, Any] = {"hook": info.hook,
                               "hookInstance": hook_instance or str(uuid.uuid4())}
    if fhir_server:
        request["fhirServer"] = fhir_server
    if fhir_authorization:
        if not fhir_server:
            raise ClientError("fhirAuthorization needs the fhirServer it is for")
        request["fhirAuthorization"] = dict(fhir_authorization)
    request["context"] = context
    if prefetch:
        request["prefetch"] = dict(prefetch)
    return request


def hook_context(hook: str, chart: Chart, *, user: str | None = None,
                 performer: str | None = None) -> dict[str, Any]:
    """The context of order-select, order-sign or order-dispatch (1.1) for the chart."""
    references = list(chart.orders)
    user = user or _requester(chart)
    base = {**({"userId": user} if user else {}), "patientId": chart.patient_id}
    drafts = {"resourceType": "Bundle", "type": "collection",
              "entry": [{"resource": copy.deepcopy(r)} for r in chart.orders.values()]}
    if hook == "order-sign":
        return {**base, "draftOrders": drafts}
    if hook == "order-select":
        return {**base, "selections": references, "draftOrders": drafts}
    if hook == "order-dispatch":
        if not performer:
            raise ClientError("order-dispatch needs the performer the orders go to "
                              "(--performer Organization/ID)")
        return {"patientId": chart.patient_id, "dispatchedOrders": references,
                "performer": performer}
    raise ClientError(f"this client builds order-select, order-sign and order-dispatch "
                      f"requests, not {hook}")


def masked(request: Mapping[str, Any]) -> dict[str, Any]:
    """The request with its access token replaced, for printing or logging."""
    authorization = request.get("fhirAuthorization")
    if not authorization:
        return dict(request)
    return {**request, "fhirAuthorization": {**authorization, "access_token": "***"}}


def _requester(chart: Chart) -> str | None:
    for order in chart.orders.values():
        requester = (order.get("requester") or {}).get("reference")
        if isinstance(requester, str) and requester.startswith("Practitioner/"):
            return requester
    return None


# -- the CDS service -----------------------------------------------------------------------

class CdsClient:
    """Calls one CDS service (`https://host/cds-services/{id}`), signing every call."""

    def __init__(self, service_url: str, signer: Signer, *,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.url = service_url.rstrip("/")
        base, _, self.id = self.url.rpartition("/")
        if not base.endswith("/cds-services") or not self.id:
            raise ClientError(f"{service_url} is not a service URL "
                              "(https://HOST/cds-services/ID)")
        self.discovery_url = base
        self._signer = signer
        self._timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        self._session.close()

    def discover(self) -> ServiceInfo:
        """The service's hook and prefetch templates, from the discovery endpoint."""
        body = self._json("GET", self.discovery_url)
        services = body.get("services") if isinstance(body, dict) else None
        for service in services if isinstance(services, list) else []:
            if isinstance(service, dict) and service.get("id") == self.id:
                prefetch = service.get("prefetch") or {}
                if not isinstance(service.get("hook"), str) or not isinstance(prefetch, dict):
                    break
                return ServiceInfo(self.url, self.id, service["hook"], {
                    k: v for k, v in prefetch.items() if isinstance(v, str)})
        raise ClientError(f"{self.discovery_url} does not describe a service {self.id!r}")

    def call(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """The service's response to a hook request."""
        body = self._json("POST", self.url, json=request)
        if not isinstance(body, dict) or not isinstance(body.get("cards"), list):
            raise ClientError(f"{self.url} answered without a list of cards")
        return body

    def feedback(self, response: Mapping[str, Any], accepted: Iterable[str]) -> None:
        """Tell the service which suggestions were accepted (one item per card)."""
        accepted = set(accepted)
        by_card: dict[str, list[str]] = {}
        for card in response.get("cards") or []:
            for suggestion in card.get("suggestions") or []:
                if suggestion.get("uuid") in accepted and card.get("uuid"):
                    by_card.setdefault(card["uuid"], []).append(suggestion["uuid"])
        now = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        items = [{"card": card, "outcome": "accepted", "outcomeTimestamp": now,
                  "acceptedSuggestions": [{"id": s} for s in chosen]}
                 for card, chosen in by_card.items()]
        if items:
            self._json("POST", f"{self.url}/feedback", json={"feedback": items},
                       empty_ok=True)

    def _json(self, method: str, url: str, *, empty_ok: bool = False, **options: Any) -> Any:
        headers = {"Authorization": f"Bearer {self._signer.token(url)}",
                   "Accept": "application/json"}
        try:
            response = self._session.request(method, url, headers=headers,
                                             timeout=self._timeout, **options)
        except requests.Timeout:
            raise ClientError(f"{url} did not answer in time") from None
        except requests.RequestException as bad:
            raise ClientError(f"{url} could not be reached ({type(bad).__name__})") from None
        if response.status_code != 200:
            raise ClientError(f"{method} {url} answered {response.status_code}"
                              f"{': ' + said if (said := outcome_text(response)) else ''}")
        if empty_ok and not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ClientError(f"{url} answered with something that is not JSON") from None


# -- all of it -----------------------------------------------------------------------------

@dataclass
class RoundTrip:
    request: dict[str, Any]  # as sent, access token included: do not log it
    response: dict[str, Any]
    applied: Applied  # what the actions did to the orders, in memory
    writes: list[Write]  # what they need written to the FHIR server
    written: list[str] = field(default_factory=list)  # what was written (with `apply`)
    feedback_error: str | None = None  # the accepted suggestions could not be reported


def round_trip(service: CdsClient, fhir: FhirClient, patient_id: str, orders: Iterable[str],
               *, token: str | None, prefetch: bool = False, accepted: Iterable[str] = (),
               apply: bool = False, user: str | None = None, performer: str | None = None,
               hook_instance: str | None = None) -> RoundTrip:
    """What an LIS runs for one patient's orders: read them from the FHIR server, call the
    service with the server's address and `token` (and, with `prefetch`, the data its
    templates ask for), apply the system actions and the `accepted` suggestions, and with
    `apply` write the changed orders back and tell the service what was accepted."""
    accepted = list(accepted)
    info = service.discover()
    chart = read_chart(fhir, patient_id, orders)
    request = build_request(
        info, chart, fhir_server=fhir.base.rstrip("/"),
        fhir_authorization=fhir_authorization(token, info) if token else None,
        user=user, performer=performer, hook_instance=hook_instance)
    if prefetch:
        request["prefetch"] = prefetch_from_server(fhir, info, request["context"])
    response = service.call(request)
    applied = apply_actions(chart.orders, response, accepted)
    done = RoundTrip(request, response, applied, planned_writes(applied, chart))
    if apply:
        done.written = write_back(fhir, done.writes)
        if accepted:
            try:
                service.feedback(response, accepted)
            except ClientError as bad:
                done.feedback_error = str(bad)
    return done
