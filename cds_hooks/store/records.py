"""The audit records as the writer reads them back from the spool: the shape of the dicts
cds_hooks/service/audit.py makes (call_record, feedback_record), decoded by msgspec into
typed structs.

Why msgspec and not orjson here: a call record's line (about 4 KB) took 20-25 us to parse into
dicts, and its fourteen JSON-column values (orders, rules, actions, the rules evaluated) were
then serialized again, one orjson.dumps each. Decoded into these structs it takes about 7 us,
and each JSON-column value is kept as the text it has in the line (msgspec.Raw, not parsed):
the spool line was written by orjson, so that text is what orjson.dumps of the value gives.
The structs are left out of the garbage collector (gc=False: they hold no cycles).
Fields the store does not keep are skipped; a line missing a field the store needs does not
decode, and the Recorder sets it aside (rejected.jsonl) as it does a line that is not JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec
import orjson
from msgspec import Raw, Struct

EMPTY = Raw(b"[]")


class Finding(Struct, gc=False):
    order: str
    rule: str
    severity: str
    test: str | None = None
    list_price: str | None = None
    card: str | None = None


class OrderCode(Struct, gc=False):
    system: str
    code: str
    display: str | None = None
    named: bool = False


class OrderFacts(Struct, gc=False):
    order: str
    test: str | None = None
    list_price: str | None = None
    expected_payment: str | None = None
    test_name: str | None = None
    cpt: str | None = None
    date: str | None = None
    payer: str | None = None
    requester: str | None = None
    evaluated: Raw = EMPTY
    codes: list[OrderCode] = []  # spooled before the EHR's codes were recorded: none


class Suggestion(Struct, gc=False):
    uuid: str
    label: str | None = None
    actions: Raw = EMPTY


class Card(Struct, gc=False):
    uuid: str
    orders: Raw
    rules: Raw
    indicator: str
    type: str
    suggestions: list[Suggestion]
    summary: str | None = None


class CallRecord(Struct, tag="call", tag_field="kind", gc=False):
    id: str
    at: str
    service: str
    hook: str
    hook_instance: str
    orders: Raw
    knowledge_version: str
    ms: float
    findings: list[Finding]
    cards: list[Card]
    issuer: str | None = None
    patient: str | None = None
    order_facts: list[OrderFacts] = []  # records spooled before orders were recorded: none
    actions: Raw = EMPTY


class FeedbackRecord(Struct, tag="feedback", tag_field="kind"):
    id: str
    at: str
    service: str
    items: list[dict[str, Any]]
    issuer: str | None = None


Record = CallRecord | FeedbackRecord
_DECODER = msgspec.json.Decoder(Record)


def from_line(line: bytes) -> Record:
    """One spool line; msgspec.DecodeError (a ValueError) when it is not a record."""
    return _DECODER.decode(line)


def as_record(record: Record | dict[str, Any]) -> Record:
    """A record given as the service's dict (feedback the spool could not take, tests) read as
    the spool's line of it would be."""
    return record if isinstance(record, Struct) else from_line(orjson.dumps(record, default=str))


def column_text(value: Raw) -> str:
    """A JSON column's text."""
    return str(value, "utf-8")


def to_line(record: Record) -> str:
    return msgspec.json.encode(record).decode()
