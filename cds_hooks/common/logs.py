"""Structured logs: one JSON object a line, and one line per request.

Every line logged while a request is handled carries its request id (the client's
X-Request-Id when it is a sane token, else a new one, echoed in the response) and, for hook
calls, the hookInstance. The request line adds the service, status, latency and the rule ids
found. Never logged: the Authorization header, FHIR access tokens, request bodies, patient
names; only resource ids.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, Response, g, has_request_context, request
from gunicorn.glogging import Logger as _GunicornLogger

from cds_hooks.service import operations

from . import metrics

log = logging.getLogger("moldx_cds.request")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# The attributes every LogRecord has; anything else was passed in `extra` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = {"time": datetime.fromtimestamp(record.created, UTC).isoformat(
                    timespec="milliseconds"),
                "level": record.levelname, "logger": record.name,
                "message": record.getMessage(), "pid": record.process}
        line.update((k, v) for k, v in vars(record).items()
                    if k not in _STANDARD and not k.startswith("_"))
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class RequestContext(logging.Filter):
    """Adds the request id and hookInstance of the request being handled, if any."""

    def filter(self, record: logging.LogRecord) -> bool:
        if has_request_context():
            if not hasattr(record, "request_id") and "request_id" in g:
                record.request_id = g.request_id
            if not hasattr(record, "hookInstance") and g.get("hook_instance"):
                record.hookInstance = g.hook_instance
        return True


def handler(log_format: str = "json") -> logging.Handler:
    stream = logging.StreamHandler(sys.stderr)
    stream.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(
        "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"))
    stream.addFilter(RequestContext())
    return stream


def configure(log_format: str = "json", level: int = logging.INFO) -> None:
    """The root logger of `moldx-cds serve`: every module's lines, and gunicorn's below."""
    root = logging.getLogger()
    root.handlers = [handler(log_format)]
    root.setLevel(level)


class GunicornLogger(_GunicornLogger):
    """gunicorn's own lines (workers booting, exiting, signals) in the same JSON format; its
    access log stays off: the app logs each request itself, with more in it."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for stream in self.error_log.handlers:
            stream.setFormatter(JsonFormatter())


def init_request_logging(app: Flask) -> None:
    app.before_request(_start)
    app.after_request(_finish)


def _start() -> None:
    given = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex
    g.started = time.perf_counter()


def _finish(response: Response) -> Response:
    if "started" not in g:  # a request refused before our before_request ran
        return response
    seconds = time.perf_counter() - g.started
    response.headers[REQUEST_ID_HEADER] = g.request_id
    endpoint = _endpoint()
    metrics.REQUESTS.labels(endpoint, str(response.status_code)).inc()
    metrics.LATENCY.labels(endpoint).observe(seconds)
    fields = {"event": "request", "method": request.method, "path": request.path,
              "status": response.status_code, "ms": round(seconds * 1000, 2),
              "endpoint": endpoint, **g.get("audit", {})}
    # Probes and scrapes come every few seconds: not worth a line each.
    level = logging.DEBUG if request.endpoint in operations.OPEN_ENDPOINTS else logging.INFO
    log.log(level, "%s %s %d", request.method, request.path, response.status_code,
            extra=fields)
    return response


def _endpoint() -> str:
    """A label of bounded variety: the service id only when it is one of ours."""
    from cds_hooks.service.services import SERVICES_BY_ID

    service = (request.view_args or {}).get("service_id")
    if service is not None:
        name = service if service in SERVICES_BY_ID else "unknown-service"
        return f"{name}/feedback" if request.path.endswith("/feedback") else name
    return (request.endpoint or "unrouted").rpartition(".")[2]
