"""CDS Hooks 2.0 request and response models (pydantic).

Requests ignore members they do not know (CDS Hooks 2.0 and CRD ask services to). Responses
omit empty members: optional lists are None rather than [], and `dump` drops the Nones.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from plugin import fhir


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class OrderContext(_Request):
    """The context of order-select and order-sign."""

    userId: str | None = None
    patientId: str = Field(min_length=1)
    encounterId: str | None = None
    selections: list[str] | None = None  # order-select: `Type/id` of the newly selected orders
    draftOrders: fhir.Bundle


class HookRequest(_Request):
    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirServer: str | None = None
    context: OrderContext
    prefetch: dict[str, fhir.AnyResource | None] = {}

    def orders(self) -> list[fhir.ServiceRequest]:
        """The ServiceRequests to comment on: the selected ones when the hook names selections
        (order-select), otherwise every draft order."""
        drafts = [r for r in self.context.draftOrders.resources()
                  if isinstance(r, fhir.ServiceRequest)]
        selected = set(self.context.selections or ())
        return [sr for sr in drafts if sr.reference in selected] if selected else drafts

    def resources(self) -> list[fhir.Resource]:
        """Every resource the request brings: the draft orders and the prefetched data."""
        prefetched = [r for value in self.prefetch.values() for r in fhir.resources_in(value)]
        return [*self.context.draftOrders.resources(), *prefetched]


class _Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Coding(_Response):
    system: str
    code: str
    display: str | None = None


class Source(_Response):
    label: str
    url: str | None = None
    topic: Coding | None = None


class Action(_Response):
    type: Literal["create", "update", "delete"]
    description: str = Field(min_length=1)
    resource: dict[str, Any] | None = None
    resourceId: str | None = None


class Suggestion(_Response):
    label: str
    uuid: str
    isRecommended: bool | None = None
    actions: list[Action] | None = None


class Link(_Response):
    label: str
    url: str
    type: Literal["absolute", "smart"] = "absolute"


class Card(_Response):
    uuid: str
    summary: str = Field(min_length=1, max_length=139)  # the spec says under 140 characters
    detail: str | None = None
    indicator: Literal["info", "warning", "critical"]
    source: Source
    suggestions: list[Suggestion] | None = None
    selectionBehavior: Literal["at-most-one", "any"] | None = None
    overrideReasons: list[Coding] | None = None
    links: list[Link] | None = None
    extension: dict[str, Any] | None = None


class HookResponse(_Response):
    cards: list[Card]
    systemActions: list[Action] | None = None


class Service(_Response):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)
