"""Serving the Flask app: nginx on the command line's address (cds_hooks/cli/front.py), in
front of gunicorn's workers on a Unix socket, with the production settings of
cds_hooks/gunicorn_conf.py. One command starts both and stops both."""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter

from . import front


class _Arbiter(Arbiter):
    """gunicorn's master, which also starts nginx once the workers' socket is bound, and
    stops it first."""

    def __init__(self, app: BaseApplication, start_front: Callable[[], front.Front]):
        self._start_front = start_front
        self.front: front.Front | None = None
        super().__init__(app)

    def start(self) -> None:
        super().start()
        try:
            self.front = self._start_front()
        except front.FrontError:
            self.stop(graceful=False)
            if self.pidfile is not None:
                self.pidfile.unlink()
            raise

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
    arbiter = _Arbiter(_Gunicorn(app, options), functools.partial(
        front.start, nginx, host=host, port=port, run_dir=run_dir, upstream=upstream,
        max_body=app.config["MAX_CONTENT_LENGTH"]))
    master = os.getpid()
    try:
        arbiter.run()  # exits (SystemExit) once stopped
    finally:
        if os.getpid() == master:  # workers leave through here too, being forks of it
            shutil.rmtree(run_dir, ignore_errors=True)
