"""gunicorn settings of the baseline app: the server settings of `moldx-cds serve`
(cds_hooks/gunicorn_conf.py) read from that file, so that a change there moves both sides of
the ratio, without its hooks (they start the service's audit writer, which the baseline has
not)."""

import os
import tempfile

# The serve config picks a metrics folder and a pid file; the baseline's are throwaway ones.
os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", tempfile.mkdtemp(prefix="baseline-metrics-"))
os.environ.setdefault("MOLDX_CDS_PID_FILE", os.path.join(
    os.environ["PROMETHEUS_MULTIPROC_DIR"], "baseline.pid"))

from cds_hooks import gunicorn_conf as _serve  # noqa: E402

workers = _serve.workers
worker_class = _serve.worker_class
preload_app = _serve.preload_app
timeout = _serve.timeout
worker_tmp_dir = _serve.worker_tmp_dir
accesslog = None
errorlog = "-"
loglevel = "warning"
