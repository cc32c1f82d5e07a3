"""Slim pydantic models of the FHIR R4 elements this service reads.

fhir.resources builds full models at about 0.4 ms per ServiceRequest (measured when this module
was written); these read only the fields the rules use, ignore the rest, and keep each
resource's JSON as received so that an update action can return the whole resource with only our
codes changed.
Validation is structural and lenient where real clients are sloppy (the CDS Hooks sandbox sends
`code.coding: [{}]` on its first call), strict where a wrong type would break a rule.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    GetPydanticSchema,
    Tag,
    TypeAdapter,
)
from pydantic_core import core_schema


def _checked(pattern: str, message: str) -> core_schema.CoreSchema:
    """A string that must match `pattern`, refused with `message` (Python's words for the same
    failure, so that a 400 reads as it did when Python checked it)."""
    return core_schema.custom_error_schema(
        core_schema.str_schema(pattern=pattern), custom_error_type="value_error",
        custom_error_context={"error": message})


_YEAR = "[0-9]{4}"
_LEAP_YEAR = ("(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])"  # divisible by 4, not by 100
              "|(?:0[48]|[2468][048]|[13579][26])00)")  # or by 400 (proleptic Gregorian)
_SHORT = f"{_YEAR}|{_YEAR}-[0-9]{{2}}"  # a year or a month: no day to check
# A FHIR date or dateTime (R4 `dateTime`, partial dates allowed), then, for a full date, the
# checks datetime.date makes, in its order and with its words (a year, month and day that
# exist), done by pydantic-core's regular expressions: one Python call per date cost more than
# validating the order that holds it.
_DATE_TIME_STEPS = (
    _checked(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?"
             r"(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?$",
             "is not a FHIR date or dateTime (YYYY, YYYY-MM, YYYY-MM-DD or "
             "YYYY-MM-DDThh:mm:ss+zz:zz)"),
    _checked(f"^(?:{_SHORT}|(?:[0-9]{{3}}[1-9]|[0-9]{{2}}[1-9]0|[0-9][1-9]00|[1-9]000)-.*)$",
             "year 0 is out of range"),
    _checked(f"^(?:{_SHORT}|{_YEAR}-(?:0[1-9]|1[0-2])-.*)$", "month must be in 1..12"),
    _checked(f"^(?:{_SHORT}|(?:{_YEAR}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])"
             f"|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))"
             f"|{_LEAP_YEAR}-02-29).*)$", "day is out of range for month"),
)

DateTime = Annotated[str, GetPydanticSchema(lambda _, handler: core_schema.chain_schema(
    [handler(str), *_DATE_TIME_STEPS]))]


def day_of(value: DateTime | None) -> date | None:
    """The calendar day of a FHIR dateTime as written, or None when it is absent or partial."""
    return date.fromisoformat(value[:10]) if value and len(value) >= 10 else None


class Element(BaseModel):
    """Only the elements the rules read are declared: each one declared costs validation time
    on every request, and the rest of the JSON is kept as received where it matters. Lists
    default through a factory: pydantic deep-copies a `[]` default for every instance, which
    cost more than the rest of an order's validation. Strict: a JSON number must be a number
    (lax, pydantic reads `false` as 0.0 and "2" as 2)."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Coding(Element):
    system: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(Element):
    coding: list[Coding] = Field(default_factory=list)
    text: str | None = None

    @property
    def label(self) -> str | None:
        """What a person would call it: its text, else the first coding's display."""
        return self.text or next((c.display for c in self.coding if c.display), None)


BILLING_OPTIONS = "http://hl7.org/fhir/us/davinci-crd/StructureDefinition/ext-billing-options"


class Extension(Element):
    url: str | None = None
    valueCodeableConcept: CodeableConcept | None = None


class OrderCode(CodeableConcept):
    """ServiceRequest.code, with its extensions: Da Vinci CRD 2.2 puts the likely billing codes
    in `ext-billing-options` on it (not in `coding`: they need not mean the same test)."""

    extension: list[Extension] = Field(default_factory=list)

    @property
    def billing_options(self) -> list[Coding]:
        return [coding for e in self.extension
                if e.url == BILLING_OPTIONS and e.valueCodeableConcept
                for coding in e.valueCodeableConcept.coding]


class Identifier(Element):
    system: str | None = None
    value: str | None = None


class Reference(Element):
    reference: str | None = None
    identifier: Identifier | None = None


class Quantity(Element):
    value: float | None = None


class Period(Element):
    start: DateTime | None = None


class Resource(Element):
    resourceType: str
    id: str | None = None

    @property
    def reference(self) -> str | None:
        """`Type/id`, the form actions and references use."""
        return f"{self.resourceType}/{self.id}" if self.id else None


class KeepsRaw(Resource):
    """A resource with its JSON kept as received (`raw`). Orders keep it so that an update
    action returns the whole resource with only our codes changed, Bundles so that the rest of
    a paginated search can be read. `attach_raw` sets it after validation: a wrap validator on
    each resource cost more than validating it, and a slot is free where a pydantic private
    attribute costs a Python call on every instance built (1 us of an order's 3)."""

    __slots__ = ("_raw",)

    @property
    def raw(self) -> dict[str, Any]:
        raw = getattr(self, "_raw", None)
        return raw if raw is not None else self.model_dump(exclude_none=True)


class ServiceRequest(KeepsRaw):
    resourceType: Literal["ServiceRequest"]
    status: str | None = None
    code: OrderCode | None = None
    reasonCode: list[CodeableConcept] = Field(default_factory=list)
    reasonReference: list[Reference] = Field(default_factory=list)
    insurance: list[Reference] = Field(default_factory=list)
    specimen: list[Reference] = Field(default_factory=list)
    quantityQuantity: Quantity | None = None
    occurrenceDateTime: DateTime | None = None
    occurrencePeriod: Period | None = None
    authoredOn: DateTime | None = None
    contained: list[AnyResource] = Field(default_factory=list)


class Coverage(Resource):
    resourceType: Literal["Coverage"]
    status: str | None = None
    payor: list[Reference] = Field(default_factory=list)
    order: int | None = None
    contained: list[AnyResource] = Field(default_factory=list)


class Condition(Resource):
    resourceType: Literal["Condition"]
    code: CodeableConcept | None = None
    clinicalStatus: CodeableConcept | None = None


class SpecimenCollection(Element):
    collectedDateTime: DateTime | None = None
    collectedPeriod: Period | None = None


class Specimen(Resource):
    resourceType: Literal["Specimen"]
    type: CodeableConcept | None = None
    collection: SpecimenCollection | None = None

    @property
    def collected(self) -> date | None:
        """The day the specimen was collected: the date of service of a lab test."""
        collection = self.collection
        if collection is None:
            return None
        return day_of(collection.collectedDateTime or (
            collection.collectedPeriod.start if collection.collectedPeriod else None))


class Organization(Resource):
    resourceType: Literal["Organization"]
    identifier: list[Identifier] = Field(default_factory=list)


class BundleEntry(Element):
    resource: AnyResource | None = None


class BundleLink(Element):
    relation: str | None = None
    url: str | None = None


class Bundle(KeepsRaw):
    resourceType: Literal["Bundle"]
    type: str | None = None
    entry: list[BundleEntry] = Field(default_factory=list)
    link: list[BundleLink] = Field(default_factory=list)

    def resources(self) -> list[Resource]:
        return [e.resource for e in self.entry if e.resource is not None]


class OtherResource(Resource):
    """Any resource type this service does not read (MedicationRequest, OperationOutcome...)."""

    model_config = ConfigDict(extra="ignore", frozen=True,
                              json_schema_extra=lambda schema: _not_a_typed_resource(schema))


def _not_a_typed_resource(schema: dict[str, Any]) -> None:
    """In JSON Schema the typed union is a oneOf: "other" must not also match the typed ones."""
    schema["properties"]["resourceType"]["not"] = {"enum": sorted(_MODELS)}


_MODELS: dict[str, type[Resource]] = {
    m.model_fields["resourceType"].annotation.__args__[0]: m
    for m in (ServiceRequest, Coverage, Condition, Specimen, Organization, Bundle)
}


RESOURCE_TAGS = frozenset({*_MODELS, "other"})  # the tags of the typed union below


def _resource_tag(value: Any) -> str:
    kind = value.get("resourceType") if isinstance(value, dict) else getattr(
        value, "resourceType", None)
    # Not a string (`"resourceType": {}`) goes to "other", whose str field then refuses it.
    return kind if isinstance(kind, str) and kind in _MODELS else "other"


AnyResource = Annotated[
    Annotated[ServiceRequest, Tag("ServiceRequest")]
    | Annotated[Coverage, Tag("Coverage")]
    | Annotated[Condition, Tag("Condition")]
    | Annotated[Specimen, Tag("Specimen")]
    | Annotated[Organization, Tag("Organization")]
    | Annotated[Bundle, Tag("Bundle")]
    | Annotated[OtherResource, Tag("other")],
    Discriminator(_resource_tag),
    Field(description="A FHIR resource, typed by its resourceType"),
]

for _model in (ServiceRequest, Coverage, BundleEntry, Bundle):
    _model.model_rebuild()

_ANY_RESOURCE = TypeAdapter(AnyResource)
R = TypeVar("R", bound=Resource)


def parse_resource(data: Any) -> Resource:
    """Validate one resource of any type (raises pydantic.ValidationError)."""
    resource = _ANY_RESOURCE.validate_python(data)
    attach_raw(resource, data)
    return resource


def attach_raw(resource: Resource | None, data: Any) -> None:
    """Give a validated Bundle or order, and the Bundle's entries, the JSON it came from."""
    if not isinstance(resource, KeepsRaw) or not isinstance(data, dict):
        return
    object.__setattr__(resource, "_raw", data)  # frozen: pydantic refuses plain assignment
    if isinstance(resource, Bundle):
        for entry, raw_entry in zip(resource.entry, data.get("entry") or (), strict=False):
            if isinstance(raw_entry, dict):
                attach_raw(entry.resource, raw_entry.get("resource"))


class ResourceIndex:
    """The resources known for one request, found by their `Type/id` reference, and by type.
    Built once per request; the facts read it for every order, so each lookup is a dict's."""

    def __init__(self, resources: list[Resource]):
        # `Type/id` written out rather than read from Resource.reference: the property's call
        # is most of the cost of indexing a large prefetch.
        self._by_reference = {f"{r.resourceType}/{r.id}": r for r in resources if r.id}
        self._by_type: dict[type[Resource], list[Resource]] = {}
        for resource in self._by_reference.values():  # a reference known twice counts once
            self._by_type.setdefault(type(resource), []).append(resource)

    def resolve(self, reference: Reference, within: Resource | None = None) -> Resource | None:
        """The resource a Reference points at: contained (`#id`) in `within`, or known here."""
        target = reference.reference
        if not target:
            return None
        if target.startswith("#"):
            contained = getattr(within, "contained", [])
            return next((r for r in contained if r.id == target[1:]), None)
        return self._by_reference.get(target) or self._by_reference.get(local_reference(target))

    def of_type(self, kind: type[R]) -> list[R]:
        """The resources of `kind`, in the order known (for a base class, type by type)."""
        return [r for model, found in self._by_type.items() if issubclass(model, kind)
                for r in found]


def local_reference(reference: str) -> str:
    """`Type/id` of a reference, also of an absolute URL, so both spellings name one resource."""
    if reference.count("/") < 2:
        return reference  # already `Type/id` (the common spelling): nothing to cut
    return "/".join(reference.rsplit("/", 2)[-2:])


def resources_in(value: Resource | None) -> list[Resource]:
    """The resources a prefetch value or search result holds: a Bundle's entries, or itself."""
    if value is None:
        return []
    if isinstance(value, Bundle):
        return value.resources()
    return [value]
