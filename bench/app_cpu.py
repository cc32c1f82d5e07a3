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
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from .request import build

SERVICE_PATH = "/cds-services/moldx-order-sign"
BASE_URL = "http://127.0.0.1:8080"


def _bodies(count: int, start: int) -> list[bytes]:
    request = build()
    bodies = []
    for n in range(start, start + count):
        request["hookInstance"] = f"00000000-0000-4000-8000-{n:012x}"
        bodies.append(json.dumps(request).encode())
    return bodies


def _environ(body: bytes, token: str | None) -> dict:
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": SERVICE_PATH, "SCRIPT_NAME": "",
               "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8080",
               "SERVER_PROTOCOL": "HTTP/1.0", "CONTENT_TYPE": "application/json",
               "CONTENT_LENGTH": str(len(body)), "wsgi.input": io.BytesIO(body),
               "wsgi.url_scheme": "http", "wsgi.errors": sys.stderr,
               "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
               "wsgi.version": (1, 0), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_HOST": "127.0.0.1:8080"}
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return environ


def _app_caller(app) -> Callable[[bytes, str | None], None]:
    def call(body: bytes, token: str | None) -> None:
        status = []
        answer = b"".join(app(_environ(body, token), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200"):
            raise SystemExit(f"the app answered {status[0]}: {answer[:300]!r}")
    return call


def _evaluation_caller():
    from cds_hooks.common.settings import Settings
    from cds_hooks.service.body import decode, too_deep
    from cds_hooks.service.cards.renderer import Renderer
    from cds_hooks.service.crd import Configuration
    from cds_hooks.service.models import HookRequest
    from cds_hooks.service.prefetch import resolve
    from cds_hooks.service.services import SERVICES_BY_ID
    from plugin.decision import decide
    from plugin.knowledge import load_knowledge

    settings = Settings()
    knowledge = load_knowledge(settings.knowledge_dir, settings.policy_store)
    systems = settings.code_systems(knowledge.lab)
    service = SERVICES_BY_ID["moldx-order-sign"]

    def call(body: bytes, token: str | None) -> None:
        value = decode(body)
        assert too_deep(body, value) is None
        request = HookRequest.model_validate(value)
        resolved = resolve(request, service.needs, service.required, None)
        decision = decide(request.orders(resolved.resources), resolved.resources, knowledge,
                          systems, settings.today(), service.rules)
        Renderer(knowledge, systems, settings.source_label, system_actions=True,
                 hook_instance=request.hookInstance,
                 config=Configuration.from_extension(request.extension),
                 today=settings.today()).response(decision, resolved.gaps) \
            .model_dump_json(exclude_none=True)
    return call


def _baseline_caller(size: int):
    os.environ["BASELINE_RESPONSE_BYTES"] = str(size)
    from .baseline_app import create

    call = _app_caller(create())
    return call


class _KeepsNothing:
    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        return True


def _token_callers(app):
    """(signature and claims, replay guard): the app's own verifier, and the same verifier
    with a guard that keeps nothing."""
    from cds_hooks.service.auth import Verifier

    runtime = app.extensions["moldx_cds"]
    audience = BASE_URL + SERVICE_PATH
    unguarded = Verifier(runtime.settings.issuers, _KeepsNothing())
    store = runtime.store

    def signature(body: bytes, token: str | None) -> None:
        unguarded.verify(f"Bearer {token}", audience)

    def replay_guard(body: bytes, token: str | None) -> None:
        store.first_use("bench", token[-40:], time.time() + 300)
    return signature, replay_guard


def _cpu_per_call_ms(call, bodies: list[bytes], tokens: list[str | None],
                     settle: Callable[[], None]) -> float:
    before = time.process_time()
    for body, token in zip(bodies, tokens, strict=True):
        call(body, token)
    settle()  # the writer's work for these calls belongs to them
    return (time.process_time() - before) * 1000 / len(bodies)


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
    size = len(b"".join(apps["off"](_environ(_bodies(1, 0)[0], None),
                                    lambda *a: None)))
    signature, replay_guard = _token_callers(apps["on"])
    layers = {"baseline app": (_baseline_caller(size), False, lambda: None),
              "evaluation": (_evaluation_caller(), False, lambda: None)}
    for name, auth in (("app", "off"), ("app, JWT", "on")):
        recorder = apps[auth].extensions["moldx_cds"].recorder
        layers[name] = (_app_caller(apps[auth]), auth == "on", recorder.flush)
    layers["JWT: signature and claims"] = (signature, True, lambda: None)
    layers["JWT: replay guard"] = (replay_guard, True, lambda: None)

    results: dict[str, list[float]] = {name: [] for name in layers}
    serial = 0
    for round_ in range(args.rounds + 1):  # the first round warms up
        for name, (call, signed, settle) in layers.items():
            bodies = _bodies(args.calls, serial)
            serial += args.calls
            tokens = [demo_token(BASE_URL + SERVICE_PATH) if signed else None
                      for _ in bodies]
            cpu = _cpu_per_call_ms(call, bodies, tokens, settle)
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
