"""One log line per request, and the request id every line of a request carries.

Every line logged while a request is handled carries its request id (the client's
X-Request-Id when it is a sane token, else a new one, echoed in the response) and, for hook
calls, the hookInstance. The request line adds the service, status, latency and the rule ids
found. Never logged: the Authorization header, FHIR access tokens, request bodies, patient
names; only resource ids.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from cds_hooks.common import metrics

from . import operations
from .services import SERVICES_BY_ID

log = logging.getLogger("moldx_cds.request")

REQUEST_ID_HEADER = "X-Request-Id"
_SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


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
    service = (request.view_args or {}).get("service_id")
    if service is not None:
        name = service if service in SERVICES_BY_ID else "unknown-service"
        return f"{name}/feedback" if request.path.endswith("/feedback") else name
    return (request.endpoint or "unrouted").rpartition(".")[2]
