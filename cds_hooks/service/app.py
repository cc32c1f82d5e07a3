"""The Flask application: discovery, one endpoint per service, feedback, the OpenAPI document.

A hook call goes: authenticate (before_request) -> validate the body -> resolve the data it
needs (prefetch, else the client's FHIR server) -> decide -> render -> spool its audit record
(the Recorder writes it to the store later) -> answer.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Flask, current_app, g, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from cds_hooks.claims.scrub import scrub
from cds_hooks.claims.x12 import X12Invalid, X12TooCostly
from cds_hooks.common import metrics
from cds_hooks.common.settings import Settings
from cds_hooks.common.trust import TrustedIssuer
from cds_hooks.fhir.rest import FhirClient
from cds_hooks.service.cards.renderer import Renderer
from cds_hooks.store import migrate
from cds_hooks.store.db import Store, StoreError
from cds_hooks.store.recorder import Recorder
from plugin.codes import CodeSystems
from plugin.decision import Decision, decide
from plugin.knowledge import Knowledge, KnowledgeError, load_knowledge
from plugin.orders import may_name_a_lab_test

from . import audit, body, feedback, limits, openapi, operations
from .auth import AuthError, Verifier
from .cors import init_cors
from .crd import Configuration
from .errors import Issue, RequestError, operation_outcome
from .models import REQUIRED_CONTEXT, HookRequest, dump
from .prefetch import Resolved, resolve
from .request_log import init_request_logging
from .services import SERVICES, SERVICES_BY_ID, ServiceDefinition
from .technical import technical_response

log = logging.getLogger("moldx_cds")
routes = Blueprint("cds_hooks", __name__)
OPEN_ENDPOINTS = frozenset({"cds_hooks.discovery", "cds_hooks.openapi_document"}) \
    | operations.OPEN_ENDPOINTS


@dataclass(frozen=True)
class Runtime:
    """What every request reads and none changes: settings, knowledge, and the shared,
    thread-safe services (token verifier, store, recorder). A knowledge reload replaces the
    whole Runtime at once (reload_knowledge), so a request sees one or the other."""

    settings: Settings
    knowledge: Knowledge
    systems: CodeSystems
    verifier: Verifier
    store: Store
    recorder: Recorder
    last_reload: dict[str, Any] | None = None  # the outcome of the latest reload, for /readyz


def create_app(settings: Settings | None = None, knowledge: Knowledge | None = None) -> Flask:
    settings = settings or Settings.from_env()
    knowledge = knowledge or load_knowledge(settings.knowledge_dir, settings.policy_store)
    for warning in settings.startup_warnings():
        log.warning("!!! %s", warning)
    store = _open_store(settings)
    recorder = Recorder(store, settings.spool_dir, max_spool_bytes=settings.spool_max_bytes,
                        prepare=(lambda: migrate.upgrade(store))
                        if settings.store_auto_upgrade else None)
    verifier = Verifier(settings.issuers, store, jwks_timeout=settings.fhir_read_timeout)
    app = Flask(__name__)
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # larger bodies get a 413
    app.extensions["moldx_cds"] = Runtime(settings, knowledge,
                                          settings.code_systems(knowledge.lab), verifier, store,
                                          recorder)
    init_request_logging(app)
    app.register_blueprint(routes)
    app.register_blueprint(operations.routes)
    init_cors(app, settings.cors_origins)
    app.register_error_handler(RequestError, _request_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    freeze_long_lived()
    return app


def _open_store(settings: Settings) -> Store:
    """The store, its schema upgraded unless that is switched off. A store that cannot be
    reached does not stop the service: records wait in the spool until it can."""
    store = Store(settings.store_url, timeout=settings.store_timeout)
    if store.sqlite_file:  # the default one is in the user's data folder, maybe not made yet
        store.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    if settings.store_auto_upgrade:
        try:
            migrate.upgrade(store)
        except StoreError as bad:
            metrics.STORE_ERRORS.labels("schema").inc()
            log.error("the store at %s cannot be set up (%s); answering anyway, records are "
                      "spooled in %s until it can", store.display_url(), bad, settings.spool_dir,
                      extra={"event": "store-error", "operation": "schema"})
    # Connections opened here must not be shared with worker processes forked later.
    store.dispose()
    return store


def freeze_long_lived() -> None:
    """Keep what is loaded now (the knowledge: about a million objects with the ICD-10-CM
    table and the policy) out of the garbage collector's full passes, whose scans of it were
    the evaluation's p99 (bench/evaluate.py: 1.6-2.7 ms, 1.4-1.8 ms frozen). Workers forked
    after --preload inherit the frozen objects and leave their pages unwritten."""
    gc.collect()
    gc.freeze()
    # A hook call allocates a few thousand containers, nearly all freed by reference counts;
    # at the default threshold (700) the young generation was still collected about once a
    # call, 0.1 ms of 3 (bench: in process, 2000 calls); at 10,000, a few times in 2000 calls.
    gc.set_threshold(10_000, 10, 10)


def reload_knowledge(app: Flask) -> dict[str, Any]:
    """Load the knowledge again from the settings' folder and policy store, and swap it in
    at once; a folder that does not load leaves the current knowledge serving (logged). The
    outcome is kept for /readyz and returned: `result` done or failed, `at`, `version` (the
    one serving now), and the `problems` (file, line, column) of a failure."""
    runtime: Runtime = app.extensions["moldx_cds"]
    settings = runtime.settings
    at = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        knowledge = load_knowledge(settings.knowledge_dir, settings.policy_store)
    except (KnowledgeError, OSError, ValueError) as bad:
        problems = [str(p) for p in getattr(bad, "problems", None) or [bad]]
        metrics.RELOADS.labels("failed").inc()
        log.error("knowledge reload failed; still serving %s: %s", runtime.knowledge.version,
                  "; ".join(problems), extra={"event": "reload-failed"})
        outcome = {"result": "failed", "at": at, "version": runtime.knowledge.version,
                   "problems": problems}
        app.extensions["moldx_cds"] = dataclasses.replace(runtime, last_reload=outcome)
        return outcome
    outcome = {"result": "done", "at": at, "version": knowledge.version,
               "previous_version": runtime.knowledge.version}
    app.extensions["moldx_cds"] = dataclasses.replace(
        runtime, knowledge=knowledge, systems=settings.code_systems(knowledge.lab),
        last_reload=outcome)
    gc.unfreeze()  # let the old knowledge go
    freeze_long_lived()
    metrics.RELOADS.labels("done").inc()
    log.warning("knowledge reloaded from %s: %s -> %s, %d catalog rows",
                settings.knowledge_dir, runtime.knowledge.version, knowledge.version,
                len(knowledge.catalog), extra={"event": "reloaded"})
    return outcome


def _runtime() -> Runtime:
    return current_app.extensions["moldx_cds"]


@routes.before_request
def _authenticate() -> None:
    """Every call but discovery and the OpenAPI document (public, no patient data) carries a
    client JWT whose `aud` is the URL called: this service's public base URL (or the address
    it was started on) and the path. Never the Host header: a token minted for another site
    must not be good here because the caller says it is that site."""
    settings = _runtime().settings
    g.issuer = None
    if request.method == "OPTIONS" or not settings.auth or request.endpoint in OPEN_ENDPOINTS:
        return
    audience = settings.base_url + request.path
    try:
        claims = _runtime().verifier.verify(request.headers.get("Authorization"), audience)
    except AuthError as bad:
        log.warning("401 on %s: %s", _ascii(request.path), _ascii(bad.reason))
        raise RequestError(401, [Issue("login", bad.reason)], headers={
            "WWW-Authenticate": 'Bearer realm="moldx-cds", error="invalid_token", '
                                f'error_description="{_ascii(bad.reason)}"'}) from None
    g.issuer = claims["iss"]


def _ascii(text: str) -> str:
    """Printable ASCII only, without quotes: safe in a header and on one log line."""
    return "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in text)


@routes.get("/cds-services")
def discovery():
    return jsonify(services=[dump(s.discovery()) for s in SERVICES])


@routes.get("/openapi.json")
def openapi_document():
    return jsonify(openapi.document())


@routes.post("/cds-services/<service_id>")
def call_service(service_id: str):
    started = time.perf_counter()
    service = _service(service_id)
    hook_request = _hook_request(service)
    g.hook_instance = hook_request.hookInstance
    g.audit = {"service": service.id, "hookInstance": hook_request.hookInstance}
    runtime = _runtime()
    resolved = _resolve(service, hook_request, runtime)
    orders = hook_request.orders(resolved.resources)
    _bound_orders(len(orders), "context.draftOrders.entry", runtime.settings)
    config = Configuration.from_extension(hook_request.extension)
    try:
        decision = decide(orders, resolved.resources, runtime.knowledge, runtime.systems,
                          runtime.settings.today(), service.rules, issuer=g.issuer)
        renderer = Renderer(
            runtime.knowledge, runtime.systems, runtime.settings.source_label,
            system_actions=service.primary, hook_instance=hook_request.hookInstance,
            config=config, today=runtime.settings.today() if service.primary else None,
            legacy_system_actions=runtime.settings.legacy_system_actions,
            actions_applied=_caller_applies_system_actions(runtime.settings))
        response = renderer.response(decision, resolved.gaps)
    except Exception:
        failed = technical_response(
            orders, resolved.resources, runtime.knowledge, runtime.systems, g.issuer,
            hook_instance=hook_request.hookInstance, today=runtime.settings.today(),
            version=config.version) if service.primary else None
        if failed is None:
            raise
        log.exception("checking the orders failed; answered that coverage was not checked")
        response = failed
        decision = Decision(orders={}, facts=(), findings=(),
                            knowledge_version=runtime.knowledge.version)
    # pydantic writes the JSON in one pass (a dict then json.dumps cost four times as much).
    # Before the audit record: the trail keeps the answers that were sent, and no other.
    answer = response.model_dump_json(exclude_none=True)
    ms = round((time.perf_counter() - started) * 1000, 2)
    runtime.recorder.submit(audit.call_record(
        service=service.id, hook=service.hook, hook_instance=hook_request.hookInstance,
        issuer=g.issuer, patient=hook_request.context.patientId, decision=decision,
        response=response, ms=ms, rules=service.rules))
    rules = [f.rule for f in decision.findings]
    for rule in rules:
        metrics.FINDINGS.labels(rule).inc()
    g.audit |= {"orders": list(decision.orders), "rules": rules,
                "cards": [c.uuid for c in response.cards],
                "gaps": [gap.about for gap in resolved.gaps],
                "knowledge": decision.knowledge_version}
    return current_app.response_class(answer, mimetype="application/json")


@routes.post("/cds-services/<service_id>/feedback")
def receive_feedback(service_id: str):
    service = _service(service_id)
    g.audit = {"service": service.id}
    runtime = _runtime()
    settings = runtime.settings
    data = request.get_data(cache=False)
    if len(data) > settings.max_feedback_bytes:
        raise RequestError(413, [Issue("too-costly", (
            f"body: {len(data):,} bytes of feedback, over MOLDX_CDS_MAX_FEEDBACK_BYTES "
            f"({settings.max_feedback_bytes:,})"))])
    limits.within_rate(settings.spool_dir, "feedback", g.issuer or "",
                       settings.feedback_per_minute, "MOLDX_CDS_FEEDBACK_PER_MINUTE")
    feedback.receive(service.id, body.decode(data), runtime.recorder, g.issuer, runtime.store,
                     keep_comments=settings.store_override_comments,
                     max_comment=settings.max_comment_chars)
    return jsonify({})  # CDS Hooks defines no body; an empty JSON object is one to parse


@routes.post("/claims/scrub")
def scrub_claims():
    """An 837P (X12 body) checked as `moldx-cds scrub --json` checks it, for a clearinghouse
    or billing system to call before submission; same client JWT as the hooks."""
    g.audit = {"service": "claims-scrub"}
    runtime = _runtime()
    body = request.get_data(cache=False)
    if len(body) > runtime.settings.max_claim_bytes:
        raise RequestError(413, [Issue("too-costly", (
            f"body: {len(body):,} bytes of X12, over MOLDX_CDS_MAX_CLAIM_BYTES "
            f"({runtime.settings.max_claim_bytes:,}); send the claims in smaller files, or "
            "scrub this one with `moldx-cds scrub FILE --json`"))])
    settings = runtime.settings
    try:
        # Scrubs take few workers however many clients send them: the rest answer hooks.
        with limits.slot(settings.spool_dir, "scrub", settings.scrub_concurrency,
                         "MOLDX_CDS_SCRUB_CONCURRENCY"):
            result = scrub(body.decode("latin-1"), runtime.knowledge, runtime.store,
                           settings.max_claim_loops)
    except X12Invalid as bad:
        expression = bad.element or bad.segment
        raise RequestError.invalid(expression, f"not valid 5010: {bad}") from None
    except X12TooCostly as bad:
        raise RequestError(413, [Issue("too-costly", (
            f"body: {bad}, over MOLDX_CDS_MAX_CLAIM_LOOPS; send the claims in smaller "
            "files, or scrub this one with `moldx-cds scrub FILE --json`"))]) from None
    g.audit |= {"rules": [f.rule for f in result.decision.findings]}
    return jsonify(result.as_json())


def _service(service_id: str) -> ServiceDefinition:
    service = SERVICES_BY_ID.get(service_id)
    if service is None:
        raise RequestError(404, [Issue("not-found", f"no service {service_id!r}; see "
                                       "GET /cds-services")])
    return service


def _bound_orders(count: int, expression: str, settings: Settings) -> None:
    if count > settings.max_orders:
        raise RequestError(413, [Issue("too-costly", (
            f"{expression}: {count:,} orders in one call, over MOLDX_CDS_MAX_ORDERS "
            f"({settings.max_orders}); send them in several calls"), expression)])


def _hook_request(service: ServiceDefinition) -> HookRequest:
    """The body as a HookRequest for `service`, or a 400 naming what is wrong."""
    data = request.get_data(cache=False)
    value = body.decode(data)
    if not isinstance(value, dict):
        raise RequestError.invalid(None, "must be a JSON object")
    context = value.get("context")
    drafts = context.get("draftOrders") if isinstance(context, dict) else None
    entries = drafts.get("entry") if isinstance(drafts, dict) else None
    if isinstance(entries, list):  # before validating every one of them
        _bound_orders(len(entries), "context.draftOrders.entry", _runtime().settings)
    if (deep := body.too_deep(data, value)) is not None:
        raise RequestError.invalid(deep or None, f"nested deeper than {body.MAX_DEPTH} levels")
    try:
        hook_request = HookRequest.model_validate(value)
    except ValidationError as bad:
        raise RequestError.from_validation(bad) from None
    if hook_request.hook != service.hook:
        raise RequestError.invalid(
            "hook", f"service {service.id} answers {service.hook!r}, not {hook_request.hook!r}")
    context = hook_request.context
    for member in REQUIRED_CONTEXT[service.hook]:
        names = member if isinstance(member, tuple) else (member,)
        if all(getattr(context, name) is None for name in names):
            raise RequestError(400, [Issue("required", f"{service.hook} needs context."
                                           f"{' or context.'.join(names)}",
                                           f"context.{names[0]}")])
    drafts = context.draftOrders.entry if context.draftOrders else []
    for index, entry in enumerate(drafts):
        if entry.resource is not None and entry.resource.resourceType == "ServiceRequest" \
                and not entry.resource.id:
            raise RequestError.invalid(
                f"context.draftOrders.entry[{index}].resource.id",
                "a draft ServiceRequest needs an id for actions to refer to it", "required")
    drafted = {r.reference for r in hook_request.drafts()}
    for index, selection in enumerate(context.selections or ()):
        if service.hook == "order-select" and selection.startswith("ServiceRequest/") \
                and selection not in drafted:
            raise RequestError.invalid(f"context.selections[{index}]",
                                       f"{selection} is not among context.draftOrders")
    return hook_request


def _resolve(service: ServiceDefinition, hook_request: HookRequest,
             runtime: Runtime) -> Resolved:
    """The data the call needs; 412 when what it cannot do without cannot be had. Orders that
    name no test yet (the sandbox's first, empty order) and orders that are not the lab's
    (imaging, medication) need nothing: nothing is read, and no card says it could not be."""
    settings = runtime.settings
    labs = any(may_name_a_lab_test(o, runtime.knowledge, runtime.systems, g.issuer)
               for o in hook_request.orders())
    needs = service.needs if labs or service.hook == "order-dispatch" else ()
    deadline = time.monotonic() + settings.fhir_deadline
    clients: list[FhirClient] = []

    def connect() -> FhirClient | None:
        if not (hook_request.fhirServer and _may_read(hook_request.fhirServer, settings)):
            return None
        token = hook_request.fhirAuthorization.access_token.get_secret_value() \
            if hook_request.fhirAuthorization else None
        clients.append(FhirClient(hook_request.fhirServer, token,
                                  connect_timeout=settings.fhir_connect_timeout,
                                  read_timeout=settings.fhir_read_timeout,
                                  max_pages=settings.fhir_max_pages, deadline=deadline))
        return clients[0]

    try:
        resolved = resolve(hook_request, needs, service.required, connect, deadline)
    finally:
        for client in clients:
            client.close()
    missing = [gap for gap in resolved.gaps if gap.required]
    if missing:
        raise RequestError(412, [Issue("incomplete", f"{gap.about}: {gap.reason}")
                                 for gap in missing])
    return resolved


def _may_read(url: str, settings: Settings) -> bool:
    """Whether the caller's issuer lists `url` among its `fhir_servers`. Anything else is
    never read: the EHR's access token would go there (with authentication off, for tests
    only, there is no issuer to ask and every server may be read)."""
    if not settings.auth:
        return True
    issuer = _caller(settings)
    if issuer is not None and issuer.allows_fhir_server(url):
        return True
    log.warning("fhirServer %s is not among the fhir_servers of issuer %s: not read",
                _ascii(url.split("?")[0])[:200], _ascii(g.issuer or ""))
    return False


def _caller(settings: Settings) -> TrustedIssuer | None:
    """The trusted issuer of the call's token (None with authentication off)."""
    return next((i for i in settings.issuers if i.iss == g.issuer), None)


def _caller_applies_system_actions(settings: Settings) -> bool:
    """Whether the caller's EHR applies system actions (its issuer entry says; without an
    issuer, with authentication off, the CDS Hooks 2.0 default: it does)."""
    issuer = _caller(settings)
    return issuer is None or issuer.applies_system_actions


def _request_error(error: RequestError):
    return jsonify(operation_outcome(error.issues)), error.status, error.headers


def _http_error(error: HTTPException):
    issue = Issue("not-found" if error.code == 404 else "processing",
                  f"{error.code} {error.name}: {error.description}")
    # Keep the exception's own headers (a 405's Allow), not its HTML content type.
    headers = [(k, v) for k, v in error.get_headers() if k.lower() != "content-type"]
    return jsonify(operation_outcome([issue])), error.code, headers


def _unexpected_error(error: Exception):
    log.exception("unexpected error")
    issue = Issue("exception", "internal error; the service log has the details")
    return jsonify(operation_outcome([issue])), 500
