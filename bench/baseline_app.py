"""The baseline for the load benchmark: a Flask app under the same gunicorn settings that
parses the same request JSON and returns a fixed response of the same size as the service's.
"""

from __future__ import annotations

import json
import os

from flask import Flask, Response, request


def create() -> Flask:
    size = int(os.environ.get("BASELINE_RESPONSE_BYTES", "3000"))
    body = json.dumps({"cards": [], "padding": "x" * max(0, size - 30)}).encode()
    app = Flask(__name__)

    @app.post("/cds-services/<service_id>")
    def answer(service_id: str) -> Response:
        json.loads(request.get_data())
        return Response(body, content_type="application/json")

    @app.get("/cds-services")
    def discovery() -> Response:
        return Response(b'{"services": []}', content_type="application/json")

    return app
