"""Serving the Flask app with gunicorn, with the production settings of
cds_hooks/gunicorn_conf.py and the command line's address and worker count."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, app: Flask, options: dict):
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._app


def run(app: Flask, *, host: str, port: int, workers: int, pid_file: Path | None) -> None:
    """Serve `app` with the threaded, buffering workers of gunicorn_conf, forked from this
    process, so the knowledge loaded here is shared copy-on-write instead of being loaded
    again by each worker."""
    from cds_hooks import gunicorn_conf

    options = {name: value for name, value in vars(gunicorn_conf).items()
               if not name.startswith("_")}
    options |= {"bind": f"{host}:{port}", "workers": workers,
                "pidfile": str(pid_file) if pid_file else None}
    _Gunicorn(app, options).run()
