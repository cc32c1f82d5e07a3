"""The answer of a primary hook call the service failed to check: rather than no answer, each
order of the lab billed to a known Coverage gets coverage information saying the assertion could
not be made for a technical reason (Da Vinci CRD STU 2.2, cards.md: indeterminate with reason
technical). Without such an order there is nothing to assert, and the call fails as any other
(500 with an OperationOutcome)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from plugin import fhir
from plugin.codes import CodeSystems
from plugin.knowledge import Knowledge
from plugin.orders import may_name_a_lab_test, primary_coverage

from .crd import technical_failure, with_coverage_information
from .models import Action, HookResponse


def technical_response(orders: Sequence[fhir.ServiceRequest],
                       resources: Sequence[fhir.Resource], knowledge: Knowledge,
                       systems: CodeSystems, issuer: str | None, *, hook_instance: str,
                       today: date, version: str) -> HookResponse | None:
    """The system actions recording the failure, or None when no order has a Coverage."""
    known = fhir.ResourceIndex(list(resources))
    actions = []
    for order in orders:
        coverage = primary_coverage(order, known)
        if coverage is None or coverage.reference is None or order.reference is None or \
                not may_name_a_lab_test(order, knowledge, systems, issuer):
            continue
        extension = technical_failure(coverage.reference, hook_instance=hook_instance,
                                      today=today, version=version)
        actions.append(Action(
            type="update", resource=with_coverage_information(order.raw, extension),
            description=f"{order.reference}: record that coverage could not be checked"))
    return HookResponse(cards=[], systemActions=actions) if actions else None
