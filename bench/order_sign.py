"""The order-sign service as its route runs a fully prefetched call, without the app around
it (no authentication, request log, metrics or store): for the benchmarks that need its
decision and answer."""

from __future__ import annotations

from cds_hooks.common.settings import Settings
from cds_hooks.service.cards.renderer import Renderer
from cds_hooks.service.crd import Configuration
from cds_hooks.service.models import HookRequest, HookResponse
from cds_hooks.service.prefetch import resolve
from cds_hooks.service.services import SERVICES_BY_ID
from plugin.decision import Decision, decide
from plugin.knowledge import load_knowledge


class OrderSign:
    """moldx-order-sign over the embedded knowledge (loaded once)."""

    def __init__(self) -> None:
        self.settings = Settings()
        self.knowledge = load_knowledge(self.settings.knowledge_dir, self.settings.policy_store)
        self.systems = self.settings.code_systems(self.knowledge.lab)
        self.service = SERVICES_BY_ID["moldx-order-sign"]

    def answer(self, request: HookRequest) -> tuple[Decision, HookResponse]:
        resolved = resolve(request, self.service.needs, self.service.required)
        decision = decide(request.orders(resolved.resources), resolved.resources,
                          self.knowledge, self.systems, self.settings.today(),
                          self.service.rules)
        renderer = Renderer(self.knowledge, self.systems, self.settings.source_label,
                            system_actions=True, hook_instance=request.hookInstance,
                            config=Configuration.from_extension(request.extension),
                            today=self.settings.today())
        return decision, renderer.response(decision, resolved.gaps)
