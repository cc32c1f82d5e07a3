"""CORS for browser-based clients (the CDS Hooks sandbox is one): an allow-list of origins,
preflight answered on every route, the headers on every response, errors included.

Forty lines of our own rather than flask-cors: the whole policy is visible here, it applies to
error responses and 404s alike, and there is nothing to configure twice.
"""

from __future__ import annotations

from collections.abc import Collection

from flask import Flask, Response, request

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
PREFLIGHT_MAX_AGE = "600"


def init_cors(app: Flask, origins: Collection[str]) -> None:
    """Allow the listed origins (`*`: any) to call every route of `app` from a browser."""
    any_origin = "*" in origins

    @app.after_request
    def _cors(response: Response) -> Response:
        origin = request.headers.get("Origin")
        if not origin or not (any_origin or origin in origins):
            return response
        # Echo the origin rather than `*`, so that credentialed requests work too.
        response.headers["Access-Control-Allow-Origin"] = origin
        response.vary.add("Origin")
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
        return response
