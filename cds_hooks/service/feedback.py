"""The feedback endpoint (CDS Hooks 2.0): what clinicians did with the cards.

CDS Hooks names no status codes for it; ours: 200 with `{}` (JSON) once the items are
validated and durably accepted (on disk in the spool, or in the store: a database outage does
not change the answer), 400 for a body that breaks the spec's rules, 404 for an unknown
service, 503 (retry later) only when neither the spool nor the store can take the items.
Feedback on a card this service never issued is kept and flagged, not refused: the client may
know better than our store (a card issued before the store was reset, by another instance...).
Feedback on a card the store knows as another client's (another JWT issuer's call, or another
service's) is a 404, as for a card unknown: a client may not speak for another's clinicians. A
card not in the store yet (its call still spooled, or the store down) is kept; the report then
credits feedback only to cards of the same issuer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from cds_hooks.store.db import Store, StoreError
from cds_hooks.store.recorder import Recorder

from . import audit
from .errors import Issue, RequestError


class _Request(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class FeedbackCoding(_Request):
    system: str = Field(min_length=1)
    code: str = Field(min_length=1)
    display: str | None = None


class OverrideReason(_Request):
    # The rule of the validator below, for the OpenAPI document (fb-3).
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra={"anyOf": [
        {"required": ["reason"], "properties": {"reason": {"type": "object"}}},
        {"required": ["userComment"], "properties": {"userComment": {"type": "string",
                                                                     "minLength": 1}}}]})

    reason: FeedbackCoding | None = None
    userComment: str | None = None

    @model_validator(mode="after")
    def _something(self) -> OverrideReason:
        if self.reason is None and not self.userComment:
            raise PydanticCustomError("missing", "overrideReason needs a reason or a userComment")
        return self


class AcceptedSuggestion(_Request):
    id: str = Field(min_length=1)


def _rfc3339_text(value: Any) -> Any:
    """RFC 3339 text only: pydantic would also take a number as a Unix time."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "must be an RFC 3339 timestamp string")
    return value


def _in_utc(value: datetime) -> datetime:
    """The time in UTC; 0001-01-01T00:00:00+01:00 has none (found by schemathesis: a 500)."""
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError("datetime_range", "is out of the range of dates") from None


class FeedbackItem(_Request):
    # The rule of the validator below, for the OpenAPI document (fb-2).
    model_config = ConfigDict(extra="ignore", frozen=True, json_schema_extra={
        "if": {"properties": {"outcome": {"const": "accepted"}}},
        "then": {"required": ["acceptedSuggestions"], "properties": {
            "acceptedSuggestions": {"type": "array", "minItems": 1}}}})

    card: str = Field(min_length=1)
    outcome: Literal["accepted", "overridden"]
    acceptedSuggestions: list[AcceptedSuggestion] | None = Field(None, validate_default=True)
    overrideReason: OverrideReason | None = None
    outcomeTimestamp: Annotated[AwareDatetime, BeforeValidator(_rfc3339_text),
                                AfterValidator(_in_utc)]

    @field_validator("acceptedSuggestions")
    @classmethod
    def _accepted_names_suggestions(cls, value: list | None, info: ValidationInfo):
        if info.data.get("outcome") == "accepted" and not value:
            raise PydanticCustomError("missing", "acceptedSuggestions is required when the "
                                      "outcome is accepted")
        return value


class FeedbackRequest(_Request):
    feedback: list[FeedbackItem] = Field(min_length=1)


COMMENT_NOT_KEPT = "(a comment, not stored: MOLDX_CDS_STORE_OVERRIDE_COMMENTS=off)"


def receive(service: str, body: Any, recorder: Recorder, issuer: str | None,
            store: Store, keep_comments: bool = True, max_comment: int | None = None) -> None:
    """Validate and accept one feedback POST; RequestError(400) names what is wrong (a
    userComment longer than `max_comment` characters too), 404 a card of another client,
    RequestError(503) says it could not be kept."""
    try:
        request = FeedbackRequest.model_validate(body)
    except ValidationError as bad:
        raise RequestError.from_validation(bad) from None
    for index, item in enumerate(request.feedback):
        comment = item.overrideReason.userComment if item.overrideReason else None
        if max_comment is not None and comment and len(comment) > max_comment:
            raise RequestError.invalid(
                f"feedback[{index}].overrideReason.userComment",
                f"{len(comment):,} characters, over MOLDX_CDS_MAX_COMMENT_CHARS ({max_comment})")
    _refuse_others_cards(service, issuer, [item.card for item in request.feedback], store)
    items = [{
        "card": item.card, "outcome": item.outcome,
        "accepted_suggestions": [s.id for s in item.acceptedSuggestions or ()],
        "override_system": reason.reason.system if reason and reason.reason else None,
        "override_code": reason.reason.code if reason and reason.reason else None,
        # Free text a clinician typed: it may hold PHI. Off, only its presence is kept.
        "override_comment": (reason.userComment if keep_comments else COMMENT_NOT_KEPT)
        if reason and reason.userComment else None,
        "outcome_at": item.outcomeTimestamp.astimezone(UTC).isoformat(),
    } for item in request.feedback for reason in [item.overrideReason]]
    if not recorder.accept(audit.feedback_record(service=service, issuer=issuer, items=items)):
        raise RequestError(503, [Issue("transient", "the feedback could not be kept; retry "
                                       "later")], headers={"Retry-After": "30"})


def _refuse_others_cards(service: str, issuer: str | None, cards: list[str],
                         store: Store) -> None:
    try:
        owners = store.card_owners(cards)
    except StoreError:
        return  # kept and sorted out by the report, which checks the issuer too
    for index, card in enumerate(cards):
        if card in owners and owners[card] != (service, issuer):
            raise RequestError(404, [Issue("not-found", f"no card {card!r} of this service "
                                           "for this client", f"feedback[{index}].card")])
