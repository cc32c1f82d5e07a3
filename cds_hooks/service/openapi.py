"""The OpenAPI 3.1 document of the service, built from the same pydantic models that validate
requests and serialize responses, so that it cannot drift from what the service does."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic.json_schema import models_json_schema

from .feedback import FeedbackRequest
from .models import REQUIRED_CONTEXT, HookRequest, HookResponse, Service
from .services import SERVICES, ServiceDefinition

_REF = "#/components/schemas/{model}"

_OPERATION_OUTCOME = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {
        "resourceType": {"const": "OperationOutcome"},
        "issue": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["severity", "code", "diagnostics"],
            "properties": {
                "severity": {"const": "error"},
                "code": {"type": "string"},
                "diagnostics": {"type": "string"},
                "expression": {"type": "array", "items": {"type": "string"}}}}}},
}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {
        "schema": {"$ref": _REF.format(model="OperationOutcome")}}}}


def _json(model: str, description: str) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}}


_UNAUTHORIZED = _error("No valid client JWT (CDS Hooks 2.0 security); the WWW-Authenticate "
                       "header says why")
@cache
def document() -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(HookRequest, "validation"), (FeedbackRequest, "validation"),
         (HookResponse, "serialization"), (Service, "serialization")], ref_template=_REF)
    components = schemas["$defs"]
    for name in ("HookResponse", "Card", "Suggestion", "Action", "Link", "Source",
                 "Coding-Output", "Service"):
        components[name] = _without_nulls(components[name])  # responses omit empty members
    components["OperationOutcome"] = _OPERATION_OUTCOME
    return {
        "openapi": "3.1.0",
        "info": {"title": "moldx-cds", "version": "1",
                 "description": "CDS Hooks 2.0 service that checks molecular lab orders for "
                 "the right CPT, DEX Z-code and coverage (Da Vinci CRD coverage information)."},
        "components": {
            "schemas": components,
            "securitySchemes": {"clientJwt": {"type": "http", "scheme": "bearer",
                                              "bearerFormat": "JWT"}}},
        "paths": {
            "/cds-services": {"get": {
                "summary": "Discovery", "security": [],
                "responses": {"200": {"description": "The services", "content": {
                    "application/json": {"schema": {
                        "type": "object", "required": ["services"],
                        "properties": {"services": {"type": "array", "items": {
                            "$ref": _REF.format(model="Service")}}}}}}}}}},
            **{path: item for service in SERVICES for path, item in _service_paths(service)},
            "/claims/scrub": {"post": {
                "summary": "Check an 837P (005010X222A1) before submission",
                "security": [{"clientJwt": []}],
                "requestBody": {"required": True, "content": {"application/edi-x12": {
                    "schema": {"type": "string"}}}},
                "responses": {
                    "200": {"description": "Per claim and line, the claim edits (the JSON of "
                                           "`moldx-cds scrub --json`)",
                            "content": {"application/json": {"schema": {
                                "type": "object", "required": ["claims"]}}}},
                    "400": _error("Not valid 5010; the issue's expression names the segment "
                                  "or element"),
                    "401": _UNAUTHORIZED,
                    "413": _error("Over MOLDX_CDS_MAX_CLAIM_BYTES (1 MiB; refused before it "
                                  "is read), or more HL and LX loops than "
                                  "MOLDX_CDS_MAX_CLAIM_LOOPS (1,000; reading stops there)"),
                    "429": _error("MOLDX_CDS_SCRUB_CONCURRENCY scrubs (1) are under way "
                                  "already, over all workers; retry after Retry-After "
                                  "seconds")}}},
            "/healthz": {"get": {
                "summary": "Liveness: the process answers", "security": [],
                "responses": {"200": _status("alive")}}},
            "/readyz": {"get": {
                "summary": "Readiness: knowledge loaded, store reachable", "security": [],
                "responses": {"200": _status("ready, with each check"),
                              "503": _status("not ready, with the failing check")}}},
            "/metrics": {"get": {
                "summary": "Prometheus metrics", "security": [],
                "responses": {"200": {"description": "Prometheus text format",
                                      "content": {"text/plain": {}}}}}},
            "/openapi.json": {"get": {
                "summary": "This document", "security": [],
                "responses": {"200": {"description": "OpenAPI 3.1",
                                      "content": {"application/json": {}}}}}},
        },
    }


def _service_paths(service: ServiceDefinition) -> list[tuple[str, dict[str, Any]]]:
    """The hook and feedback endpoints of one service. Each has its own path so that the
    document can say which hook and which context members the service requires; any other
    service id is a 404."""
    call = {"allOf": [{"$ref": _REF.format(model="HookRequest")}, {
        "properties": {"hook": {"const": service.hook},
                       "context": _required_context(service.hook)}}]}
    return [
        (f"/cds-services/{service.id}", {"post": {
            "summary": f"Call {service.id} ({service.hook})", "security": [{"clientJwt": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": call}}},
            "responses": {
                "200": _json("HookResponse", "Cards and system actions"),
                "400": _error("The body is not JSON, or not a valid call of this hook; "
                              "the issue's expression names the field"),
                "401": _UNAUTHORIZED,
                "412": _error("Data the call cannot be answered without is neither "
                              "prefetched nor readable from fhirServer"),
                "413": _error("More orders than MOLDX_CDS_MAX_ORDERS (50) in one call, or a "
                              "body over MOLDX_CDS_MAX_BODY_BYTES (10 MiB)")}}}),
        (f"/cds-services/{service.id}/feedback", {"post": {
            "summary": f"Feedback on cards of {service.id}", "security": [{"clientJwt": []}],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": {"$ref": _REF.format(model="FeedbackRequest")}}}},
            "responses": {
                "200": {"description": "Accepted: on disk in the spool or in the store "
                                       "(an unknown card is kept and flagged); the body is `{}`",
                        "content": {"application/json": {"schema": {"type": "object"}}}},
                "400": _error("The body breaks the CDS Hooks feedback rules, or an "
                              "overrideReason.userComment is longer than "
                              "MOLDX_CDS_MAX_COMMENT_CHARS (1,000)"),
                "401": _UNAUTHORIZED,
                "413": _error("Over MOLDX_CDS_MAX_FEEDBACK_BYTES (64 KiB)"),
                "429": _error("More than MOLDX_CDS_FEEDBACK_PER_MINUTE posts (60) from this "
                              "client in this minute; retry after Retry-After seconds"),
                "503": _error("Neither the spool nor the store can keep it; retry later "
                              "(Retry-After)")}}}),
    ]


def _required_context(hook: str) -> dict[str, Any]:
    """REQUIRED_CONTEXT as JSON Schema: each member present and not null, an alternative of
    several as anyOf."""
    def present(name: str) -> dict[str, Any]:
        return {"required": [name], "properties": {name: {"not": {"type": "null"}}}}

    members = REQUIRED_CONTEXT[hook]
    return {"allOf": [present(m) if isinstance(m, str) else {"anyOf": [present(n) for n in m]}
                      for m in members]}


def _status(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": {
        "type": "object", "required": ["status"],
        "properties": {"status": {"type": "string"}}}}}}


def _without_nulls(schema: Any) -> Any:
    """The schema with `null` alternatives and `null` defaults removed."""
    if isinstance(schema, list):
        return [_without_nulls(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    cleaned = {k: _without_nulls(v) for k, v in schema.items()
               if not (k == "default" and v is None)}
    options = [s for s in cleaned.get("anyOf", []) if s != {"type": "null"}]
    if "anyOf" in cleaned and len(options) == 1:
        del cleaned["anyOf"]
        cleaned.update(options[0])
    elif "anyOf" in cleaned:
        cleaned["anyOf"] = options
    return cleaned
