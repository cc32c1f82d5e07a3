"""The data a hook call needs: from its prefetch, else from the client's FHIR server.

CDS Hooks gives each prefetch key five shapes that mean different things: absent (the client
did not try: ask the FHIR server), `null` (it tried and there is nothing), a resource or an
empty Bundle (the data, maybe none), an OperationOutcome (it tried and failed: ask the FHIR
server ourselves) and a Bundle with a `next` link (read the other pages). What cannot be had
is a Gap: a required one makes the call fail with 412, an optional one becomes one info card.

A read that fails says so in the same words whatever the cause (the server is down, refuses,
times out, or has no such resource): what the caller sees must not tell it which hosts and
ports answer (a port scan through the service). The log has the cause.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from pydantic import ValidationError

from cds_hooks.fhir.rest import FhirClient, FhirError, Page
from cds_hooks.fhir.templates import fill_template
from plugin import fhir

from .models import HookRequest

NOT_READ = "it could not be read from the FHIR server"
PARALLEL_READS = 8
CONDITION_REFERENCE = re.compile(r"Condition/[A-Za-z0-9\-.]{1,64}")


@dataclass(frozen=True)
class Need:
    """A prefetch key the service declares in discovery and reads when it is not sent."""

    key: str
    template: str  # a CDS Hooks 2.0 prefetch template (context tokens only)
    about: str  # what it is, for people: "the patient's coverage"
    check: str  # what cannot be checked without it
    # Not sent: only the resources the orders reference are read, not the whole search.
    by_reference: bool = False


PATIENT = Need("patient", "Patient/{{context.patientId}}", "the patient's record",
               "coverage criteria that depend on the patient's sex or age")
CONDITIONS = Need("conditions", "Condition?patient={{context.patientId}}&clinical-status=active",
                  "the patient's active conditions",
                  "diagnoses recorded as conditions rather than on the order")
COVERAGE = Need("coverage", "Coverage?patient={{context.patientId}}&status=active",
                "the patient's coverage",
                "the payer's rules (Z-code requirement, payability) and coverage information")
SERVICE_REQUESTS = Need("serviceRequests", "ServiceRequest?patient={{context.patientId}}",
                        "the patient's earlier orders",
                        "the rules per specimen (one comprehensive genomic profile per "
                        "specimen, no single-gene test of a gene a panel already tests)")
SPECIMENS = Need("specimens", "Specimen?patient={{context.patientId}}",
                 "the specimens of the orders",
                 "the date of service from the day the specimen was collected (the order's "
                 "own date was used instead)", by_reference=True)
DISPATCHED_ORDER = Need("order", "{{context.order}}", "the dispatched order",
                        "every check of the dispatched order")


@dataclass(frozen=True)
class Gap:
    about: str
    check: str
    reason: str
    required: bool


@dataclass(frozen=True)
class Resolved:
    resources: list[fhir.Resource]  # the draft orders, prefetched and fetched resources
    gaps: list[Gap]


def resolve(request: HookRequest, needs: Iterable[Need], required: frozenset[str],
            connect: Callable[[], FhirClient | None] | None = None,
            deadline: float | None = None) -> Resolved:
    """Every resource the call needs; `required` names the keys without which it cannot be
    answered. Reads run in parallel; the orders' referenced Conditions are read after the
    rest, once the orders (dispatched ones are read too) are known. A read not done by
    `deadline` (time.monotonic()) is given up. `connect` gives the client of the call's FHIR
    server (None: none may be read), asked only when something is to be read."""
    needs = tuple(needs)
    resolution = _Resolution(request, connect or (lambda: None), required, deadline)
    for need in needs:
        if not need.by_reference:
            resolution.want(need)
    # Only order-dispatch dispatches: another hook's stray `order` member is no order to read.
    for reference in request.context.dispatched if request.hook == "order-dispatch" else ():
        resolution.want_reference(reference, DISPATCHED_ORDER, required=True)
    resolution.run()
    orders = request.orders(resolution.resources)  # the reads below add none before run()
    if CONDITIONS in needs:
        for order in orders:
            for reason in order.reasonReference:
                target = reason.reference or ""
                if CONDITION_REFERENCE.fullmatch(target) and target.split("/")[1] not in (
                        ".", ".."):
                    resolution.want_reference(target, CONDITIONS, required=False)
    # The orders' specimens give the date of service; `null` says the client has none.
    if SPECIMENS in needs and (SPECIMENS.key not in request.prefetch
                               or request.prefetch[SPECIMENS.key] is not None):
        for order in orders:
            for specimen in order.specimen:
                target = specimen.reference or ""
                if target.startswith("Specimen/"):
                    resolution.want_reference(target, SPECIMENS, required=False)
    resolution.run()
    return Resolved(resolution.resources, resolution.gaps)


class _Resolution:
    def __init__(self, request: HookRequest, connect: Callable[[], FhirClient | None],
                 required: frozenset[str], deadline: float | None):
        self._request = request
        self._deadline = deadline
        self._connect = connect
        self._client: FhirClient | None = None
        self._connected = False
        self._required = required
        self._pending: list[tuple[Need, bool, Callable[[], Page]]] = []
        self._wanted: set[str] = set()
        drafts = request.context.draftOrders
        self.resources: list[fhir.Resource] = drafts.resources() if drafts else []
        for value in request.prefetch.values():
            if _complete(value):
                self.resources += fhir.resources_in(value)
        self.gaps: list[Gap] = []
        self._known: set[str | None] = set()
        self._known_count = -1

    def known(self, reference: str) -> bool:
        # Asked for every reference of every order (about 80 a 3-order call): a set, made
        # again only when resources were added (they are never removed).
        if self._known_count != len(self.resources):
            self._known = {r.reference for r in self.resources}
            self._known_count = len(self.resources)
        return reference in self._known

    def want(self, need: Need) -> None:
        required = need.key in self._required
        if need.key not in self._request.prefetch:
            query = _fill(need.template, self._request)
            if query is not None:  # else the call lacks the context member: nothing to ask
                self._fetch(need, required, lambda: self._client.get(query),
                            "was not prefetched")
            return
        value = self._request.prefetch[need.key]
        if value is None or _complete(value):
            return  # null: the client looked and found nothing
        if value.resourceType == "OperationOutcome":
            query = _fill(need.template, self._request)
            self._fetch(need, required, lambda: self._client.get(query),
                        "the client could not prefetch it")
        else:
            raw = value.raw
            self._fetch(need, required, lambda: self._client.rest_of(raw),
                        "only its first page was prefetched")

    def want_reference(self, reference: str, need: Need, *, required: bool) -> None:
        if not self.known(reference) and reference not in self._wanted:
            self._wanted.add(reference)
            self._fetch(need, required, lambda: self._client.get(reference), "was not sent")

    def _fetch(self, need: Need, required: bool, read: Callable[[], Page], why: str) -> None:
        if not self._connected:  # only once a read is wanted: most calls want none
            self._client, self._connected = self._connect(), True
        if self._client is None:
            self.gaps.append(Gap(need.about, need.check, f"it {why} and the call names no "
                                 "FHIR server the service may read it from", required))
        else:
            self._pending.append((need, required, read))

    def run(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        # One daemon thread per read (a call makes a handful): a read still going at the
        # deadline (a server trickling its headers) is left to end by itself, and holds up
        # neither the answer nor the worker's exit.
        results: list = [NOT_READ] * len(pending)

        def attempt(index: int, read: Callable[[], Page]) -> None:
            results[index] = _attempt(read)

        threads = [threading.Thread(target=attempt, args=(i, read), daemon=True)
                   for i, (_, _, read) in enumerate(pending)]
        for start in range(0, len(threads), PARALLEL_READS):
            batch = threads[start:start + PARALLEL_READS]
            for thread in batch:
                thread.start()
            for thread in batch:
                left = None if self._deadline is None \
                    else max(0.0, self._deadline - time.monotonic())
                thread.join(left)
        for (need, required, _), thread, result in zip(pending, threads, list(results),
                                                       strict=True):
            if thread.is_alive():
                result = NOT_READ
            if isinstance(result, str):
                self.gaps.append(Gap(need.about, need.check, NOT_READ, required))
            elif result is None:  # not found: as good as null, unless the call cannot do without
                if required:
                    self.gaps.append(Gap(need.about, need.check, NOT_READ, required))
            else:
                self.resources += result


def _complete(value: fhir.Resource | None) -> bool:
    """A prefetch value that is the data itself: not an error, not a first page of several."""
    if value is None or value.resourceType == "OperationOutcome":
        return False
    return not (isinstance(value, fhir.Bundle)
                and any(link.relation == "next" for link in value.link))


def _attempt(read: Callable[[], Page]) -> list[fhir.Resource] | str | None:
    """The resources a read yields, None when there is no such resource, or why it failed."""
    try:
        page = read()
    except FhirError as bad:
        return bad.reason
    if page.resource is None:
        return None
    try:
        return fhir.resources_in(fhir.parse_resource(page.resource))
    except ValidationError:
        return "the FHIR server's answer is not a usable FHIR resource"


def _fill(template: str, request: HookRequest) -> str | None:
    return fill_template(template, lambda name: getattr(request.context, name, None))
