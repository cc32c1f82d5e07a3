"""Serving the Flask app: nginx on the command line's address (cds_hooks/cli/front.py), in
front of gunicorn's workers on a Unix socket, with the production settings of
cds_hooks/gunicorn_conf.py. One command starts both and stops both."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from . import front


class _Arbiter(Arbiter):
    front: front.Front | None = None

    def stop(self, graceful: bool = True) -> None:
        # nginx first: it stops listening and finishes the requests under way, which still
        # have their workers; then the workers go.
        if self.front is not None:
            self.front.quit(self.cfg.graceful_timeout)
        super().stop(graceful)


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
    """Serve `app` until SIGTERM or SIGINT: gunicorn's workers forked from this process (the
    knowledge loaded here is shared copy-on-write instead of being loaded again by each),
    behind nginx. FrontError when nginx is missing or cannot listen there."""
    from cds_hooks import gunicorn_conf

    nginx = front.find_nginx()
    run_dir = Path(tempfile.mkdtemp(prefix="moldx-cds-serve-"))
    upstream = run_dir / "gunicorn.sock"
    options = {name: value for name, value in vars(gunicorn_conf).items()
               if not name.startswith("_")}
    options |= {"bind": f"unix:{upstream}", "workers": workers,
                "pidfile": str(pid_file) if pid_file else None}
    server = _Gunicorn(app, options)
    arbiter = _Arbiter(server)
    arbiter.front = front.start(nginx, host=host, port=port, run_dir=run_dir,
                                upstream=upstream,
                                max_body=app.config["MAX_CONTENT_LENGTH"])
    arbiter.run()
