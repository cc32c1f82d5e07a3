"""The other orders on an order's specimen: the evidence of the rules per specimen."""

from __future__ import annotations

from ..findings import OtherOrder
from ..orders import OrderFacts, PatientFacts


def billed_cpts(order: OrderFacts) -> tuple[str, ...]:
    """The CPT codes the claim will carry: the order's own, else the catalog's (which the
    missing-code fix adds)."""
    if order.cpts:
        return order.cpts
    return (order.row.cpt,) if order.row and order.row.cpt else ()


def shared_specimen(order: OrderFacts, patient: PatientFacts
                    ) -> list[tuple[str | None, OrderFacts, bool]]:
    """(specimen, other order, whether it came first) for each other order on a specimen of
    `order`. Existing orders and drafts not being checked came first; among the checked drafts,
    the request's order decides. A draft that names no specimen shares one (None: assumed)
    with the request's other drafts that name none: they are signed together for one patient
    (the one-CGP-per-specimen limit of A56518 reads them so)."""
    mine = order.specimen_keys
    position = patient.positions
    own = position.get(order.order, len(position))
    if not mine:
        return [(None, other, position[other.order] < own) for other in patient.orders
                if order.draft and other.draft and not other.specimens
                and other.order != order.order] if order.order in position else []
    found = []
    for other in patient.known_orders:
        if other.order == order.order:
            continue
        for key in other.specimen_keys:
            if key in mine:
                found.append((key, other, position.get(other.order, -1) < own))
                break
    return found


def other_order(facts: OrderFacts) -> OtherOrder:
    return OtherOrder(order=facts.order, row=facts.row, draft=facts.draft)
