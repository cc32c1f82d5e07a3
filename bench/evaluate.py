"""In-process cost of one evaluation of a 3-order order-sign request, stage by stage.

Stages: parse (JSON, its depth and the models), facts, rules, cards (with JSON out). The
baseline is the least any service must do with the same bytes: json.loads of the request and
json.dumps of a response of the same size. Run: python -m bench.evaluate [--iterations N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from itertools import pairwise

from cds_hooks.service.app import freeze_long_lived
from cds_hooks.service.body import decode, too_deep
from cds_hooks.service.cards.renderer import Renderer
from cds_hooks.service.crd import Configuration
from cds_hooks.service.models import HookRequest
from cds_hooks.service.prefetch import resolve
from plugin import fhir
from plugin.decision import Decision
from plugin.orders import facts_for
from plugin.rules import evaluate

from .order_sign import OrderSign
from .request import build

TARGET_P99_MS = 1.0  # the p99 budget per order check, in milliseconds
STAGES = ("parse", "resolve", "facts", "rules", "cards", "total")


def _percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def measure(iterations: int) -> dict[str, list[float]]:
    """The stages of cds_hooks.service.app.call_service for order-sign, with everything prefetched
    (no FHIR read), timed one by one; authentication and the store are not included."""
    order_sign = OrderSign()
    freeze_long_lived()  # as create_app does
    settings, knowledge, systems, service = (order_sign.settings, order_sign.knowledge,
                                             order_sign.systems, order_sign.service)
    body = json.dumps(build()).encode()
    today = settings.today()
    times: dict[str, list[float]] = {stage: [] for stage in STAGES}
    response_size = 0
    for i in range(iterations + iterations // 10):
        t0 = time.perf_counter_ns()
        value = decode(body)  # as the route reads a body
        assert too_deep(body, value) is None
        request = HookRequest.model_validate(value)
        t1 = time.perf_counter_ns()
        resolved = resolve(request, service.needs, service.required, None)
        t2 = time.perf_counter_ns()
        orders = request.orders(resolved.resources)
        facts, patient = facts_for(orders, fhir.ResourceIndex(resolved.resources), knowledge,
                                   systems, today)
        t3 = time.perf_counter_ns()
        findings = tuple(f for f in evaluate(facts, patient, knowledge)
                         if service.rules is None or f.rule in service.rules)
        t4 = time.perf_counter_ns()
        decision = Decision({f.order: sr for f, sr in zip(facts, orders, strict=True)}, facts,
                            findings, knowledge.version)
        renderer = Renderer(knowledge, systems, settings.source_label, system_actions=True,
                            hook_instance=request.hookInstance,
                            config=Configuration.from_extension(request.extension), today=today)
        out = renderer.response(decision, resolved.gaps).model_dump_json(exclude_none=True)
        t5 = time.perf_counter_ns()
        assert not resolved.gaps, resolved.gaps  # everything was prefetched
        response_size = len(out)
        if i >= iterations // 10:  # the first tenth warms up
            marks = (t0, t1, t2, t3, t4, t5)
            for stage, (a, b) in zip(STAGES, [*pairwise(marks), (t0, t5)], strict=True):
                times[stage].append((b - a) / 1e6)
    filler = {"cards": [], "padding": "x" * max(0, response_size - 30)}
    times["baseline"] = _timed(lambda: json.dumps(filler) and json.loads(body), iterations)
    return times


def _timed(work: Callable[[], object], iterations: int) -> list[float]:
    samples = []
    for _ in range(iterations):
        t0 = time.perf_counter_ns()
        work()
        samples.append((time.perf_counter_ns() - t0) / 1e6)
    return samples


def report(times: dict[str, list[float]]) -> str:
    base = statistics.median(times["baseline"])
    lines = ["| stage | p50 ms | p99 ms | p50 / baseline p50 |", "| --- | --- | --- | --- |"]
    for stage, samples in times.items():
        p50, p99 = _percentile(samples, 0.5), _percentile(samples, 0.99)
        lines.append(f"| {stage} | {p50:.3f} | {p99:.3f} | {p50 / base:.1f}x |")
    p99 = _percentile(times["total"], 0.99)
    verdict = "meets" if p99 < TARGET_P99_MS else "MISSES"
    lines.append(f"\nEvaluation p99 {p99:.3f} ms {verdict} the {TARGET_P99_MS} ms target "
                 f"({len(times['total'])} runs).")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=2000)
    args = parser.parse_args()
    print(report(measure(args.iterations)))


if __name__ == "__main__":
    main()
