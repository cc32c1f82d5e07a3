"""The order codes that named no test of the lab's catalog: the client EHRs' own codes (an
orderable id, a LOINC or GTR code) on orders that are, or may be, the lab's tests (a
molecular CPT, a billing option, a Z-code or the lab's own code beside them), which no row of
the lab's aliases.csv mapped for that client. The lab's interface analyst adds the missing
rows; `moldx-cds report --aliases-csv` gives them in the file's layout with `test_code`
empty. A code a later call found named (its row was added) leaves the list."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from cds_hooks.store.db import HookCall, OrderCodeRow, Store, utc
from plugin.knowledge.aliases import COLUMNS as ALIAS_COLUMNS

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what spreadsheets read as a formula


@dataclass
class UnnamedCode:
    issuer: str | None  # the client (JWT iss) whose orders carried it
    system: str
    code: str
    display: str | None = None  # the EHR's name of it, as last sent
    orders: set[tuple] = field(default_factory=set)  # (patient, ServiceRequest/id)
    calls: set[int] = field(default_factory=set)
    last_seen: datetime | None = None
    named_since: bool = False  # the latest call that carried it named a test by it

    def as_json(self) -> dict:
        return {"issuer": self.issuer, "system": self.system, "code": self.code,
                "display": self.display, "orders": len(self.orders), "calls": len(self.calls),
                "last_seen": self.last_seen.isoformat() if self.last_seen else None}


def unnamed_codes(store: Store, since: datetime | None = None) -> list[dict]:
    """The codes, most orders first."""
    query = (select(HookCall.id, HookCall.issuer, HookCall.patient, HookCall.received_at,
                    OrderCodeRow.order_ref, OrderCodeRow.system, OrderCodeRow.code,
                    OrderCodeRow.display, OrderCodeRow.named)
             .join(HookCall, HookCall.id == OrderCodeRow.call_id)
             .order_by(HookCall.received_at, HookCall.id, OrderCodeRow.id))
    if since:
        query = query.where(HookCall.received_at >= since)
    with store.session() as session:
        rows = session.execute(query).all()
    found: dict[tuple, UnnamedCode] = {}
    for row in rows:
        code = found.setdefault((row.issuer, row.system, row.code),
                                UnnamedCode(row.issuer, row.system, row.code))
        code.named_since = row.named
        if row.named:
            continue
        code.orders.add((row.patient, row.order_ref))
        code.calls.add(row.id)
        code.last_seen = utc(row.received_at)
        code.display = row.display or code.display
    listed = [c for c in found.values() if not c.named_since]
    return [c.as_json() for c in sorted(listed, key=lambda c: (
        -len(c.orders), c.issuer or "", c.system, c.code))]


def alias_rows(codes: Iterable[dict]) -> Iterable[tuple]:
    """aliases.csv's header and a row per code, `test_code` left for the analyst. A code that
    a spreadsheet would run as a formula is left out rather than changed (no EHR's orderable
    code starts so; changed, it would be a row that names nothing)."""
    yield ALIAS_COLUMNS
    for code in codes:
        if not code["code"].startswith(FORMULA_STARTS):
            yield code["system"], code["code"], "", code["issuer"] or ""
