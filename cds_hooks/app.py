"""The Flask application: discovery and one endpoint per service."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass

from flask import Blueprint, Flask, current_app, jsonify, request
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from plugin.codes import CodeSystems
from plugin.knowledge import Knowledge, load_knowledge

from .cards import Renderer
from .decision import decide
from .errors import Issue, RequestError, operation_outcome
from .models import HookRequest, dump
from .services import SERVICES, SERVICES_BY_ID, ServiceDefinition
from .settings import Settings

log = logging.getLogger("moldx_cds")
routes = Blueprint("cds_hooks", __name__)


@dataclass(frozen=True)
class Runtime:
    """What every request reads and none changes: settings and the loaded knowledge."""

    settings: Settings
    knowledge: Knowledge
    systems: CodeSystems


def create_app(settings: Settings | None = None, knowledge: Knowledge | None = None) -> Flask:
    settings = settings or Settings.from_env()
    knowledge = knowledge or load_knowledge(settings.knowledge_dir, settings.policy_store)
    app = Flask(__name__)
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes  # larger bodies get a 413
    app.extensions["moldx_cds"] = Runtime(settings, knowledge, settings.code_systems(knowledge.lab))
    app.register_blueprint(routes)
    app.register_error_handler(RequestError, _request_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected_error)
    return app


def _runtime() -> Runtime:
    return current_app.extensions["moldx_cds"]


@routes.get("/cds-services")
def discovery():
    return jsonify(services=[dump(s.discovery()) for s in SERVICES])


@routes.post("/cds-services/<service_id>")
def call_service(service_id: str):
    started = time.perf_counter()
    service = SERVICES_BY_ID.get(service_id)
    if service is None:
        raise RequestError(404, [Issue("not-found", f"no service {service_id!r}; see "
                                       "GET /cds-services")])
    hook_request = _hook_request(service)
    runtime = _runtime()
    decision = decide(hook_request.orders(), hook_request.resources(), runtime.knowledge,
                      runtime.systems, runtime.settings.today())
    renderer = Renderer(runtime.knowledge, runtime.systems, runtime.settings.source_label,
                        system_actions=service.system_actions)
    response = dump(renderer.response(decision))
    log.info("hook answered", extra={
        "service": service.id, "hookInstance": hook_request.hookInstance,
        "orders": list(decision.orders), "rules": [f.rule for f in decision.findings],
        "cards": len(response["cards"]),
        "ms": round((time.perf_counter() - started) * 1000, 2)})
    return jsonify(response)


def _hook_request(service: ServiceDefinition) -> HookRequest:
    """The body as a HookRequest for `service`, or a 400 naming what is wrong."""
    try:
        body = json.loads(request.get_data(cache=False) or b"")
    except (ValueError, UnicodeDecodeError) as bad:
        raise RequestError.invalid(None, f"not JSON ({bad})") from None
    except RecursionError:
        raise RequestError.invalid(None, "JSON nested too deeply") from None
    if not isinstance(body, dict):
        raise RequestError.invalid(None, "must be a JSON object")
    try:
        hook_request = HookRequest.model_validate(body)
    except ValidationError as bad:
        raise RequestError.from_validation(bad) from None
    if hook_request.hook != service.hook:
        raise RequestError.invalid(
            "hook", f"service {service.id} answers {service.hook!r}, not {hook_request.hook!r}")
    entries = hook_request.context.draftOrders.entry
    for index, entry in enumerate(entries):
        if entry.resource is not None and entry.resource.resourceType == "ServiceRequest" \
                and not entry.resource.id:
            raise RequestError.invalid(
                f"context.draftOrders.entry[{index}].resource.id",
                "a draft ServiceRequest needs an id for actions to refer to it", "required")
    return hook_request


def _request_error(error: RequestError):
    return jsonify(operation_outcome(error.issues)), error.status


def _http_error(error: HTTPException):
    issue = Issue("not-found" if error.code == 404 else "processing",
                  f"{error.code} {error.name}: {error.description}")
    return jsonify(operation_outcome([issue])), error.code


def _unexpected_error(error: Exception):
    log.exception("unexpected error")
    issue = Issue("exception", "internal error; the service log has the details")
    return jsonify(operation_outcome([issue])), 500
