"""CPU per hook call, layer by layer, in one process: where a served call's CPU goes before
the server's own share (which bench.load measures, nginx and gunicorn included).

Layers, each measured as CPU time of the whole process (every thread: the audit writer's
too) over the same 3-order order-sign request (bench/request.py), each call with its own
hookInstance, alternated in rounds so that a busy machine weighs on all of them:
- baseline app: bench.load's baseline (bench/baseline_app.py: Flask parses the request and
  answers a fixed response of the same size), called the same way: the floor of any Flask app
  with this request;
- evaluation: the route's stages (parse, resolve, facts, rules, cards, JSON out), as
  bench.evaluate times them;
- app: the Flask app called as a WSGI server calls it (routing, the request log line, metrics,
  the audit record, its spool write and the writer thread storing it in SQLite), with
  authentication off;
- app, JWT: the same with a fresh ES384 client token per call (the demo issuer);
- and the two parts of that token's check alone: its signature and claims (the verifier with
  a replay guard that keeps nothing), and the replay guard (the token id's INSERT and commit).
The app rows are also given as CPU above the evaluation's.

    python -m bench.app_cpu [--calls N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from .request import build

SERVICE_PATH = "/cds-services/moldx-order-sign"
BASE_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class Layer:
    """What a layer does with one call: `prepare` (not timed) turns the body and its token into
    the call's input, `call` is timed on it, and `settle` ends a batch of calls (waits for the
    audit writer, whose work for them belongs to them)."""

    call: Callable[[Any], object]
    prepare: Callable[[bytes, str | None], Any] = lambda body, token: body
    signed: bool = False
    settle: Callable[[], object] = lambda: None


def _bodies(count: int, start: int) -> list[bytes]:
    request = build()
    bodies = []
    for n in range(start, start + count):
        request["hookInstance"] = f"00000000-0000-4000-8000-{n:012x}"
        bodies.append(json.dumps(request).encode())
    return bodies


def _environ(body: bytes, token: str | None) -> dict:
    """The WSGI environ of the hook call, as a server hands it to the app."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return EnvironBuilder(path=SERVICE_PATH, base_url=BASE_URL, method="POST", data=body,
                          content_type="application/json", headers=headers).get_environ()


def _app_layer(app, settle: Callable[[], object] = lambda: None, signed: bool = False) -> Layer:
    def call(environ: dict) -> None:
        status = []
        answer = b"".join(app(environ, lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"the app answered {status[0]}: {answer[:300]!r}")
    return Layer(call, _environ, signed, settle)


def _evaluation_layer() -> Layer:
    from cds_hooks.service.body import decode, too_deep
    from cds_hooks.service.models import HookRequest

    from .order_sign import OrderSign

    order_sign = OrderSign()

    def call(body: bytes) -> None:
        value = decode(body)
        assert too_deep(body, value) is None
        _, response = order_sign.answer(HookRequest.model_validate(value))
        response.model_dump_json(exclude_none=True)
    return Layer(call)


def _baseline_layer(size: int) -> Layer:
    os.environ["BASELINE_RESPONSE_BYTES"] = str(size)
    from .baseline_app import create

    return _app_layer(create())


class _KeepsNothing:
    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        return True


def _token_layers(app) -> tuple[Layer, Layer]:
    """(signature and claims, replay guard): the app's own verifier with a guard that keeps
    nothing, and the app's store recording a token id."""
    from cds_hooks.service.auth import Verifier

    runtime = app.extensions["moldx_cds"]
    audience = BASE_URL + SERVICE_PATH
    unguarded = Verifier(runtime.settings.issuers, _KeepsNothing())
    store = runtime.store
    return (Layer(lambda token: unguarded.verify(f"Bearer {token}", audience),
                  lambda body, token: token, signed=True),
            Layer(lambda token: store.first_use("bench", token[-40:], time.time() + 300),
                  lambda body, token: token, signed=True))


def _cpu_per_call_ms(layer: Layer, inputs: list[Any]) -> float:
    before = time.process_time()
    for given in inputs:
        layer.call(given)
    layer.settle()
    return (time.process_time() - before) * 1000 / len(inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000, help="calls per layer and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="moldx-app-cpu-"))
    (workdir / "metrics").mkdir()
    os.environ.update({
        "MOLDX_CDS_STORE_URL": f"sqlite:///{workdir}/store.sqlite",
        "MOLDX_CDS_SPOOL_DIR": str(workdir / "spool"), "MOLDX_CDS_LOG_FORMAT": "json",
        "MOLDX_CDS_PUBLIC_BASE_URL": BASE_URL,
        "PROMETHEUS_MULTIPROC_DIR": str(workdir / "metrics")})
    import logging

    from cds_hooks.client.keys import demo_token
    from cds_hooks.common import logs
    from cds_hooks.common.settings import Settings
    from cds_hooks.service.app import create_app

    logs.configure("json")
    for handler in logging.getLogger().handlers:  # the lines are made, not shown
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115
    apps = {}
    for auth in ("off", "on"):
        os.environ["MOLDX_CDS_AUTH"] = auth
        app = create_app(Settings.from_env())
        app.extensions["moldx_cds"].recorder.start()
        apps[auth] = app
    size = len(b"".join(apps["off"](_environ(_bodies(1, 0)[0], None), lambda *a: None)))
    signature, replay_guard = _token_layers(apps["on"])
    layers = {"baseline app": _baseline_layer(size), "evaluation": _evaluation_layer(),
              "app": _app_layer(apps["off"], apps["off"].extensions["moldx_cds"].recorder.flush),
              "app, JWT": _app_layer(apps["on"], apps["on"].extensions["moldx_cds"].recorder.flush,
                                     signed=True),
              "JWT: signature and claims": signature, "JWT: replay guard": replay_guard}

    results: dict[str, list[float]] = {name: [] for name in layers}
    serial = 1  # 0 was the call above
    for round_ in range(args.rounds + 1):  # the first round warms up
        for name, layer in layers.items():
            bodies = _bodies(args.calls, serial)
            serial += args.calls
            inputs = [layer.prepare(body, demo_token(BASE_URL + SERVICE_PATH)
                                    if layer.signed else None) for body in bodies]
            cpu = _cpu_per_call_ms(layer, inputs)
            if round_:
                results[name].append(cpu)
    for app in apps.values():
        app.extensions["moldx_cds"].recorder.close()

    evaluation = statistics.median(results["evaluation"])
    print(f"CPU per call, in process: {args.rounds} rounds of {args.calls} calls per layer "
          "(median; min-max)\n")
    print("| layer | CPU ms/call | above the evaluation |\n| --- | --- | --- |")
    for name, found in results.items():
        median = statistics.median(found)
        above = f"{median - evaluation:+.3f}" if name.startswith("app") else ""
        print(f"| {name} | {median:.3f} ({min(found):.3f}-{max(found):.3f}) | {above} |")


if __name__ == "__main__":
    main()
