"""Structured logs: one JSON object a line, for the service's own lines and gunicorn's.

Every line logged while a request is handled carries its request id and, for hook calls, the
hookInstance (service/request_log.py sets both). Never logged: the Authorization header, FHIR
access tokens, request bodies, patient names; only resource ids.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from flask import g, has_request_context
from gunicorn.glogging import Logger as _GunicornLogger

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
    # Alembic's INFO lines (plugins set up as it is imported, the context, each revision run:
    # up to seventeen a start) tell an operator nothing that the store's one line
    # (cds_hooks/store/migrate.py) does not; its warnings still show.
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))


class GunicornLogger(_GunicornLogger):
    """gunicorn's own lines (workers booting, exiting, signals) in the same JSON format; its
    access log stays off: the app logs each request itself, with more in it."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for stream in self.error_log.handlers:
            stream.setFormatter(JsonFormatter())
