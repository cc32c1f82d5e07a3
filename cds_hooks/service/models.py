"""CDS Hooks 2.0 request and response models (pydantic).

Requests ignore members they do not know (CDS Hooks 2.0 and CRD ask services to). Responses
omit empty members: optional lists are None rather than [], and `dump` drops the Nones.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from plugin import fhir


class _Request(BaseModel):
    # Strict: a JSON number must be a number (lax, pydantic reads `true` as 1 and "2" as 2).
    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


def _no_dot_segment(value: str) -> str:
    """Ids go into the paths the service reads from the client's FHIR server, where `.` and
    `..` (valid FHIR ids by the pattern) would climb out of the resource type."""
    if any(part in (".", "..") for part in value.split("/")):
        raise PydanticCustomError("string_pattern_mismatch", "may not be . or ..")
    return value


# A FHIR id (R4 `id`).
FhirId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9\-.]{1,64}$"),
                   AfterValidator(_no_dot_segment)]
# `Type/id`, as hook contexts name orders (CDS Hooks library invariant ord-1).
LocalReference = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]+/[A-Za-z0-9\-.]{1,64}$"),
                           AfterValidator(_no_dot_segment)]


class Context(_Request):
    """The context of order-select, order-sign and order-dispatch (1.0 and 1.1 shapes); which
    members a hook requires is checked per hook (REQUIRED_CONTEXT)."""

    userId: str | None = None
    patientId: FhirId  # it goes into the FHIR reads' paths and queries
    encounterId: FhirId | None = None
    selections: list[LocalReference] | None = None  # order-select: the newly selected orders
    draftOrders: fhir.Bundle | None = None
    dispatchedOrders: list[LocalReference] | None = None  # order-dispatch 1.1
    order: LocalReference | None = None  # order-dispatch 1.0
    performer: str | None = None
    fulfillmentTasks: list[dict[str, Any]] | None = None
    task: dict[str, Any] | None = None

    @property
    def dispatched(self) -> list[str]:
        return list(self.dispatchedOrders or ([self.order] if self.order else []))


# Members each hook needs in its context, beyond patientId; a tuple means "one of".
REQUIRED_CONTEXT: dict[str, tuple[str | tuple[str, ...], ...]] = {
    "order-select": ("selections", "draftOrders"),
    "order-sign": ("draftOrders",),
    "order-dispatch": ("performer", ("dispatchedOrders", "order")),
}


class FhirAuthorization(_Request):
    access_token: SecretStr  # kept out of reprs, logs and error messages
    token_type: Literal["Bearer", "bearer"]
    expires_in: int
    scope: str
    subject: str
    patient: str | None = None


def _base_url(value: str) -> str:
    """A URL the FHIR client can join paths to ("https://[x" passes the pattern, then made
    urljoin raise: a 500 found by schemathesis)."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises for a port that is not a number)
    except ValueError as bad:
        raise PydanticCustomError("url_parsing", "is not a usable URL: {why}",
                                  {"why": str(bad)}) from None
    if not parts.hostname:
        raise PydanticCustomError("url_parsing", "names no host")
    return value


class HookRequest(_Request):
    # The rule of _server_for_token, for the OpenAPI document (CDS Hooks cds-r-1).
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra={
        "dependentSchemas": {"fhirAuthorization": {
            "required": ["fhirServer"], "properties": {"fhirServer": {"type": "string"}}}}})

    hook: str = Field(min_length=1)
    hookInstance: str = Field(min_length=1)
    fhirAuthorization: FhirAuthorization | None = None
    fhirServer: Annotated[str, StringConstraints(pattern=r"^https?://\S+$"),
                          AfterValidator(_base_url)] | None = Field(
        None, validate_default=True)
    context: Context
    prefetch: dict[str, fhir.AnyResource | None] = Field(default_factory=dict)
    extension: dict[str, Any] | None = None

    @model_validator(mode="wrap")
    @classmethod
    def _keep_raw_orders(cls, data: Any, handler: Any) -> Any:
        """The draft orders and prefetched Bundles keep their JSON (see fhir.KeepsRaw)."""
        request = handler(data)
        if isinstance(data, dict):
            context = data.get("context")
            if isinstance(context, dict):
                fhir.attach_raw(request.context.draftOrders, context.get("draftOrders"))
            prefetch = data.get("prefetch")
            for key, value in request.prefetch.items():
                fhir.attach_raw(value, prefetch.get(key))
        return request

    @field_validator("fhirServer")
    @classmethod
    def _server_for_token(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("fhirAuthorization") is not None:
            raise PydanticCustomError("missing", "fhirServer is required with fhirAuthorization")
        return value

    def drafts(self) -> list[fhir.ServiceRequest]:
        bundle = self.context.draftOrders
        return [r for r in bundle.resources() if isinstance(r, fhir.ServiceRequest)] \
            if bundle else []

    def orders(self, known: list[fhir.Resource] | None = None) -> list[fhir.ServiceRequest]:
        """The ServiceRequests to comment on: the selections on order-select, the dispatched
        orders (among `known`, the resolved resources) on order-dispatch, every draft order
        otherwise (order-sign comments on all; the sandbox sends selections there too)."""
        if self.hook == "order-dispatch":
            wanted = self.context.dispatched
            found = {r.reference: r for r in known or [] if isinstance(r, fhir.ServiceRequest)}
            return [found[ref] for ref in wanted if ref in found]
        drafts = self.drafts()
        if self.hook == "order-select":
            selected = set(self.context.selections or ())
            return [sr for sr in drafts if sr.reference in selected]
        return drafts

    def resources(self) -> list[fhir.Resource]:
        """Every resource the request brings: the draft orders and the prefetched data."""
        prefetched = [r for value in self.prefetch.values() for r in fhir.resources_in(value)]
        drafts = self.context.draftOrders.resources() if self.context.draftOrders else []
        return [*drafts, *prefetched]


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
    _rules: tuple[str, ...] = PrivateAttr(default=())  # the rules behind it, for the store


class HookResponse(_Response):
    cards: list[Card]
    systemActions: list[Action] | None = None
    extension: dict[str, Any] | None = None


class Service(_Response):
    hook: str
    id: str
    title: str
    description: str
    prefetch: dict[str, str] | None = None
    usageRequirements: str | None = None
    extension: dict[str, Any] | None = None


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_none=True)
