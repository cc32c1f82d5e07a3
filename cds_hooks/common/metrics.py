"""Prometheus metrics (GET /metrics).

Under gunicorn every worker is its own process, and a scrape reaches one of them: the counts
must be the sum over all workers. `moldx-cds serve` therefore runs prometheus_client in its
multiprocess mode: it sets PROMETHEUS_MULTIPROC_DIR (a fresh folder per start, or the one the
environment names, emptied) before this module is imported, each worker writes its values to
files there, and /metrics adds them up. Without that variable (tests, `--debug`) the values
live in this process.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client import REGISTRY as DEFAULT_REGISTRY

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

REQUESTS = Counter("moldx_cds_requests", "HTTP requests answered, by endpoint and status",
                   ["endpoint", "status"])
LATENCY = Histogram("moldx_cds_request_seconds", "Time to answer a request, by endpoint",
                    ["endpoint"],
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
FINDINGS = Counter("moldx_cds_findings", "Findings in the answers, by rule", ["rule"])
STORE_ERRORS = Counter("moldx_cds_store_errors",
                       "Store operations that failed, by operation (write: the audit trail, "
                       "token: replay protection, spool: the local spool file)", ["operation"])
RECORDS = Counter("moldx_cds_records", "Audit records by what became of them (accepted: "
                  "spooled; stored: in the database; rejected: refused by the database, "
                  "kept aside; dropped: not kept)", ["outcome"])
SPOOLED = Gauge("moldx_cds_spool_records", "Records accepted and not yet in the database",
                multiprocess_mode="livesum")
RELOADS = Counter("moldx_cds_knowledge_reloads", "Knowledge reloads, by result", ["result"])


def exposition() -> tuple[bytes, str]:
    """The metrics in Prometheus' text format, summed over workers in multiprocess mode."""
    if os.environ.get(MULTIPROC_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = DEFAULT_REGISTRY
    return generate_latest(registry), CONTENT_TYPE_LATEST


def prepare_multiprocess_dir(folder: Path) -> None:
    """An empty folder for the workers' value files: values of an earlier run must not count."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def worker_exited(pid: int) -> None:
    """Gunicorn's child_exit: the live gauges of a dead worker no longer count."""
    if os.environ.get(MULTIPROC_ENV):
        multiprocess.mark_process_dead(pid)
