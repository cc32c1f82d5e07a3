"""Production gunicorn settings of moldx-cds. `moldx-cds serve` runs with them behind its own
nginx (cds_hooks/cli/front.py), and so can gunicorn itself:

    MOLDX_CDS_PUBLIC_BASE_URL=https://cds.example.org \
        gunicorn -c python:cds_hooks.gunicorn_conf -b unix:/run/moldx-cds/gunicorn.sock \
        -w 4 cds_hooks.wsgi:app

behind a proxy that buffers whole requests (nginx with `proxy_request_buffering on`, as
docs/security.md shows): a gunicorn worker reads its request itself, so a client that trickles
one holds that worker. A bare gunicorn does not check its address as `serve` does: set your
issuers and the public base URL, which the tokens' audience is, yourself.

Sync workers, one request at a time each: the proxy in front hands them only whole requests,
so a worker is never waiting on a client, and a free worker is the one that accepts (no
balancing of our own). Forked from a master that loaded the knowledge once (preload:
copy-on-write sharing, ~2 s of start-up paid once). Each worker starts its audit writer after
the fork; the master never has one. SIGHUP to the master reloads the knowledge in the master
(on_reload) and then replaces the workers with forks that have it; a folder that does not
load keeps the old knowledge. Metrics: prometheus_client's multiprocess mode, summing all
workers.
"""

import os
import shutil
import tempfile
from pathlib import Path

# Before anything imports prometheus_client: it picks its mode at import.
_own_metrics_dir = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if _own_metrics_dir:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="moldx-cds-metrics-")

from cds_hooks.common import logs  # noqa: E402
from cds_hooks.common.metrics import prepare_multiprocess_dir  # noqa: E402
from cds_hooks.common.settings import Settings  # noqa: E402

prepare_multiprocess_dir(Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]))

_settings = Settings.from_env()
logs.configure(_settings.log_format)

bind = "127.0.0.1:8080"
workers = 2
worker_class = "sync"
preload_app = True
timeout = 30  # seconds a worker may take over one request before it is replaced
graceful_timeout = 20
max_requests = 20000  # recycle workers now and then (a fork of the master: cheap)
max_requests_jitter = 2000
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # heartbeats off disk
# gunicorn's control socket (version 24 on) is one path in the user's home for every service
# of that user: two services would take each other's. Nothing here uses it.
control_socket_disable = True
accesslog = None  # the app logs each request itself, with its request id and hookInstance
errorlog = "-"
logger_class = "cds_hooks.common.logs.GunicornLogger" if _settings.log_format == "json" \
    else "gunicorn.glogging.Logger"
pidfile = str(_settings.pid_file) if _settings.pid_file else None
if _settings.pid_file:  # by default in the user's data folder, which may not exist yet
    _settings.pid_file.parent.mkdir(parents=True, exist_ok=True)


def _app(server):
    return server.app.wsgi()


def post_fork(server, worker):
    _app(server).extensions["moldx_cds"].recorder.start()


def worker_exit(server, worker):
    _app(server).extensions["moldx_cds"].recorder.close()


def child_exit(server, worker):
    from cds_hooks.common.metrics import worker_exited

    worker_exited(worker.pid)


def on_reload(server):
    from cds_hooks.cli.reloading import write_outcome
    from cds_hooks.service.app import reload_knowledge

    # Beside the pid file, for `moldx-cds reload`, which waits for it.
    write_outcome(server.cfg.pidfile, reload_knowledge(_app(server)))


def on_exit(server):
    if _own_metrics_dir:  # a folder of this run only
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
