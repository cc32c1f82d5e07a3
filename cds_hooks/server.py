"""Serving the Flask app with gunicorn, configured from the command line."""

from __future__ import annotations

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def run(app: Flask, *, host: str, port: int, workers: int) -> None:
    """Serve `app` with sync workers forked from this process, so the knowledge loaded here
    is shared copy-on-write instead of being loaded again by each worker."""
    _Gunicorn(app, {"bind": f"{host}:{port}", "workers": workers, "preload_app": True,
                    "accesslog": "-", "errorlog": "-"}).run()
