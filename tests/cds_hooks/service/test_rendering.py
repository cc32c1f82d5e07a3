"""Rendering shares the unchanged parts of an order with the order as received (copy on
write); it must never change the received order itself."""

from __future__ import annotations

import copy
import glob
import json
from pathlib import Path

import pytest

from cds_hooks.service.cards.renderer import Renderer
from cds_hooks.service.models import HookRequest, dump
from plugin.decision import decide
from tests.conftest import FIXTURES, TODAY

FIXTURE_NAMES = sorted(Path(p).stem for p in glob.glob(str(FIXTURES / "hooks" / "*.json")))


@pytest.mark.parametrize("name", FIXTURE_NAMES)
def test_rendering_leaves_the_received_orders_as_they_were(name, knowledge, settings):
    body = json.loads((FIXTURES / "hooks" / f"{name}.json").read_text())
    received = copy.deepcopy(body)
    request = HookRequest.model_validate(body)
    systems = settings.code_systems(knowledge.lab)
    decision = decide(request.orders(request.resources()), request.resources(), knowledge,
                      systems, TODAY)
    renderer = Renderer(knowledge, systems, "test", system_actions=True,
                        hook_instance=request.hookInstance, today=TODAY)
    rendered = dump(renderer.response(decision))
    assert body == received
    json.dumps(rendered)  # shared members serialise like any other
