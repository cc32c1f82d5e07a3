"""Routes for whoever runs the service: liveness, readiness and metrics. Public (no JWT):
they carry no patient data; expose them to the monitoring network only."""

from __future__ import annotations

import threading
import time
import weakref

from flask import Blueprint, Response, current_app, jsonify

from cds_hooks.common import metrics
from cds_hooks.store.db import StoreError

routes = Blueprint("operations", __name__)
OPEN_ENDPOINTS = frozenset({"operations.healthz", "operations.readyz", "operations.metrics"})
PING_CACHE_SECONDS = 2.0  # probes from several balancers must not each hit the database


@routes.get("/healthz")
def healthz():
    """Alive: the process answers HTTP. Nothing else is checked, so a restart never follows
    from a database outage."""
    return jsonify(status="alive")


@routes.get("/readyz")
def readyz():
    """Ready for traffic: the knowledge is loaded and, unless MOLDX_CDS_READY_REQUIRES_STORE
    is off, the store answers."""
    runtime = current_app.extensions["moldx_cds"]
    knowledge = runtime.knowledge
    checks = {"knowledge": {"ok": knowledge is not None,
                            "version": knowledge.version if knowledge else None,
                            "catalog_rows": len(knowledge.catalog) if knowledge else 0,
                            # a failed reload leaves the version above serving: say so here
                            **({"last_reload": runtime.last_reload}
                               if runtime.last_reload else {})}}
    reachable, problem = _store_reachable(runtime.store)
    if reachable and (failing := runtime.recorder.outage()):
        reachable, problem = False, f"records cannot be written: {failing}"
    checks["store"] = {"ok": reachable, "url": runtime.store.display_url(),
                       "spooled_bytes": runtime.recorder.pending(),
                       **({"error": problem} if problem else {})}
    ready = checks["knowledge"]["ok"] and (reachable or not runtime.settings.ready_requires_store)
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503


@routes.get("/metrics", endpoint="metrics")
def metrics_page():
    body, content_type = metrics.exposition()
    return Response(body, content_type=content_type)


_pings: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # store -> last answer
_pings_lock = threading.Lock()


def _store_reachable(store) -> tuple[bool, str | None]:
    now = time.monotonic()
    with _pings_lock:
        cached = _pings.get(store)
    if cached and now - cached[0] < PING_CACHE_SECONDS:
        return cached[1], cached[2]
    try:
        store.ping()
        result = (True, None)
    except StoreError as bad:
        result = (False, str(bad))
    with _pings_lock:
        _pings[store] = (now, *result)
    return result
