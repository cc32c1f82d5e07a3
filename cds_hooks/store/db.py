"""What the service keeps: the audit trail of hook calls (their findings, cards, suggestions and
system actions), feedback on those cards, and the token ids already used (replay protection
shared by every worker process and replica).

SQLAlchemy 2: a SQLite file by default, PostgreSQL by URL; the schema is made and changed by
the Alembic migrations in cds_hooks/migrations (`moldx-cds db upgrade`). Only resource ids of
patients and orders are kept, never names, other identifiers or access tokens.

Hook calls and feedback reach the database through the Recorder (cds_hooks/store/recorder.py), which
writes them from a background thread: `write` takes a batch of plain records and is
idempotent by record id, so a batch replayed after a failure is kept once.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    delete,
    event,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    IntegrityError,
    NoSuchModuleError,
    SQLAlchemyError,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from cds_hooks.common.settings import SettingsError

from .bulk_inserts import BulkInsert, present
from .errors import StoreError
from .records import CallRecord, FeedbackRecord, Record, as_record, column_text
from .replay import MemoryReplayGuard
from .token_ids import TokenInserts

log = logging.getLogger("moldx_cds.store")

TOKEN_SWEEP_SECONDS = 60  # how often expired token ids are deleted (not on every call)
TOKEN_RETRY_SECONDS = 5  # after a failure, token ids are checked in memory for this long


class MissingDriver(SettingsError):
    """The store URL names a database whose Python driver is not installed."""


class Base(DeclarativeBase):
    pass


class HookCall(Base):
    __tablename__ = "hook_calls"
    __table_args__ = (UniqueConstraint("record_id", name="uq_hook_calls_record_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str | None] = mapped_column(String(36))  # idempotent writes
    hook_instance: Mapped[str] = mapped_column(Text, index=True)
    service: Mapped[str] = mapped_column(String(100))
    hook: Mapped[str] = mapped_column(String(50))
    issuer: Mapped[str | None] = mapped_column(Text)  # the caller's JWT iss
    patient: Mapped[str | None] = mapped_column(Text)  # context.patientId: an id, nothing else
    orders: Mapped[str] = mapped_column(Text)  # JSON list of `ServiceRequest/id`
    actions: Mapped[str | None] = mapped_column(Text)  # JSON: the system actions returned
    knowledge_version: Mapped[str] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    duration_ms: Mapped[float] = mapped_column(Float)


class FindingRow(Base):
    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("hook_calls.id"), index=True)
    order_ref: Mapped[str] = mapped_column(Text)
    rule: Mapped[str] = mapped_column(String(100), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    test_code: Mapped[str | None] = mapped_column(Text)
    # The catalog list price of the test when the call was answered: the amount at risk.
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    card_uuid: Mapped[str | None] = mapped_column(String(36), index=True)  # None: no card shown


class CallOrderRow(Base):
    """One order of one call, as the service saw it: its own catalog test and price (the
    amount at risk is this order's test, never another's), the billed CPT, the date of
    service, the payer, the ordering clinician (a resource id) and the rules evaluated on it."""

    __tablename__ = "call_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("hook_calls.id"), index=True)
    order_ref: Mapped[str] = mapped_column(Text, index=True)
    test_code: Mapped[str | None] = mapped_column(Text)
    list_price: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    expected_payment: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    test_name: Mapped[str | None] = mapped_column(Text)  # the catalog's, at the call
    cpt: Mapped[str | None] = mapped_column(Text)
    date_of_service: Mapped[date | None] = mapped_column(Date)
    payer: Mapped[str | None] = mapped_column(Text)  # the payer's name in the knowledge
    requester: Mapped[str | None] = mapped_column(Text)  # `Practitioner/id`
    evaluated: Mapped[str] = mapped_column(Text)  # JSON list of rule ids


class OrderCodeRow(Base):
    """A code of the client EHR's own (an orderable id, a LOINC or GTR code) on one order of
    one call that is, or may be, one of the lab's tests, and whether the lab's aliases named
    a test by it: the report lists those that named none, for the lab's aliases.csv."""

    __tablename__ = "order_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("hook_calls.id"), index=True)
    order_ref: Mapped[str] = mapped_column(Text)
    system: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    display: Mapped[str | None] = mapped_column(Text)  # the EHR's name of the orderable
    named: Mapped[bool] = mapped_column(Boolean)


class RemittanceRow(Base):
    __tablename__ = "remittances"
    __table_args__ = (UniqueConstraint("digest", name="uq_remittances_digest"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the file: imported once
    payer: Mapped[str | None] = mapped_column(Text)  # N1*PR N1-04: the payer's id
    payer_name: Mapped[str | None] = mapped_column(Text)  # N1*PR N1-02
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RemittanceLineRow(Base):
    """One line (or, line_no 0, a claim's own adjustments) of an adjudicated claim, once:
    `line_key` is the same for the same line re-delivered in another file."""

    __tablename__ = "remittance_lines"
    __table_args__ = (UniqueConstraint("line_key", name="uq_remittance_lines_line_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id"), index=True)
    line_key: Mapped[str] = mapped_column(Text)  # payer, CLP01, CLP02, CLP07, line
    claim: Mapped[str] = mapped_column(Text)  # CLP01
    status: Mapped[str | None] = mapped_column(String(4))  # CLP02
    payer_claim: Mapped[str | None] = mapped_column(Text)  # CLP07
    line_no: Mapped[int] = mapped_column(Integer)
    control_number: Mapped[str | None] = mapped_column(Text)  # REF*6R
    patient: Mapped[str | None] = mapped_column(Text)
    cpt: Mapped[str | None] = mapped_column(Text)
    date_of_service: Mapped[date | None] = mapped_column(Date)
    charge: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    carcs: Mapped[str] = mapped_column(Text)  # JSON list of GROUP-CARC
    adjustments: Mapped[str] = mapped_column(Text)  # JSON [[group, CARC, amount], ...]
    rarcs: Mapped[str] = mapped_column(Text)  # JSON list
    category: Mapped[str] = mapped_column(String(30))
    paid_on: Mapped[date | None] = mapped_column(Date)


class ClaimLineRow(Base):
    """A claim line `scrub` has seen (plugin/claim_lines.py ClaimLine)."""

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim: Mapped[str] = mapped_column(Text, index=True)  # CLM01
    line_no: Mapped[str] = mapped_column(Text)  # LX01
    patient: Mapped[str] = mapped_column(Text, index=True)  # SHA-256 of the member id
    payer: Mapped[str | None] = mapped_column(Text)
    billing_npi: Mapped[str | None] = mapped_column(Text)
    cpt: Mapped[str | None] = mapped_column(Text)
    modifiers: Mapped[str] = mapped_column(Text)  # JSON list
    zcode: Mapped[str | None] = mapped_column(Text)  # SV101-7 as written
    units: Mapped[float | None] = mapped_column(Float)
    date_of_service: Mapped[date] = mapped_column(Date)
    diagnoses: Mapped[str] = mapped_column(Text)  # JSON list: the codes SV107 points to
    charge: Mapped[str | None] = mapped_column(Text)
    scrubbed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # The scrub found the claim clean (no warning, every payer check ran); None: scrubbed
    # before the store kept it.
    claim_clean: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class IssuedCardRow(Base):
    __tablename__ = "cards"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("hook_calls.id"), index=True)
    service: Mapped[str] = mapped_column(String(100))
    hook_instance: Mapped[str] = mapped_column(Text)
    orders: Mapped[str] = mapped_column(Text)  # JSON list
    rules: Mapped[str] = mapped_column(Text)  # JSON list of rule ids
    indicator: Mapped[str] = mapped_column(String(20))
    card_type: Mapped[str] = mapped_column(String(50))
    summary: Mapped[str | None] = mapped_column(Text)


class IssuedSuggestionRow(Base):
    __tablename__ = "suggestions"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_uuid: Mapped[str] = mapped_column(ForeignKey("cards.uuid"), index=True)
    label: Mapped[str | None] = mapped_column(Text)
    actions: Mapped[str | None] = mapped_column(Text)  # JSON list of the actions' descriptions


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("record_id", "item_no", name="uq_feedback_record_item"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str | None] = mapped_column(String(36))
    item_no: Mapped[int | None] = mapped_column(Integer)  # its place in the POST
    service: Mapped[str] = mapped_column(String(100))
    card_uuid: Mapped[str] = mapped_column(Text, index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    accepted_suggestions: Mapped[str] = mapped_column(Text)  # JSON list of suggestion uuids
    override_system: Mapped[str | None] = mapped_column(Text)
    override_code: Mapped[str | None] = mapped_column(Text)
    override_comment: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    issuer: Mapped[str | None] = mapped_column(Text)


class TokenUse(Base):
    __tablename__ = "token_uses"

    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    jti: Mapped[str] = mapped_column(String(500), primary_key=True)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


@dataclass(frozen=True)
class IssuedCard:
    uuid: str
    orders: tuple[str, ...]
    rules: tuple[str, ...]
    indicator: str
    card_type: str
    suggestions: tuple[str, ...]  # suggestion uuids


def check_driver(url: str) -> None:
    """Raise MissingDriver, naming the install, when the URL's database driver is missing,
    and SettingsError when SQLAlchemy cannot read the URL: before anything else, so that this
    is the one line an operator sees."""
    try:
        make_url(url).get_dialect().import_dbapi()
    except ModuleNotFoundError as missing:
        raise MissingDriver(_missing_driver(url, missing.name)) from None
    except (ArgumentError, NoSuchModuleError):
        raise SettingsError(_unreadable(url)) from None


def _unreadable(url: str) -> str:
    try:  # a URL that parses may hold a password; one that does not is shown by its scheme
        shown = make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        shown = url.split(":", 1)[0] + ":..."
    return (f"the store URL {shown} is not one SQLAlchemy reads: write sqlite:///PATH (or "
            "just the path) for a SQLite file, postgresql+psycopg://USER:PASSWORD@HOST/DATABASE "
            "for PostgreSQL")


def _missing_driver(url: str, module: str | None) -> str:
    shown = make_url(url).render_as_string(hide_password=True)
    text = f"the store {shown} needs the Python module {module}, which is not installed"
    if make_url(url).get_backend_name() == "postgresql":
        driver = make_url(url).get_driver_name()
        text += ": pip install 'moldx-cds[postgres]'" + (
            "" if driver == "psycopg" else ", and write the URL as postgresql+psycopg://...")
    return text


class Store:
    def __init__(self, url: str, *, timeout: float = 5.0):
        """`timeout`: seconds to wait for a connection (PostgreSQL) or a lock (SQLite)."""
        self.url = url
        check_driver(url)
        self.dialect = make_url(url).get_backend_name()
        self._engine = self._create_engine(url, timeout)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._fallback = MemoryReplayGuard()
        self._tokens = TokenInserts(self._engine) if TokenInserts.supports(self._engine) \
            else None
        self._swept_at = 0.0
        self._token_retry_at = 0.0
        self._bulk: dict[type[Base], BulkInsert] | None = None

    def _create_engine(self, url: str, timeout: float):
        if self.dialect == "sqlite":
            engine = create_engine(url, connect_args={"timeout": timeout})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "checkin", _sqlite_fast_commits)
            event.listen(engine, "handle_error", _sqlite_reopen)
            return engine
        if self.dialect == "postgresql":
            return create_engine(url, pool_pre_ping=True,
                                 connect_args={"connect_timeout": max(1, int(timeout))})
        return create_engine(url, pool_pre_ping=True)

    @property
    def sqlite_file(self) -> Path | None:
        """The file of a SQLite store (None: another database, or SQLite in memory)."""
        database = self._engine.url.database if self.dialect == "sqlite" else None
        return Path(database) if database and database != ":memory:" else None

    @property
    def engine(self):
        return self._engine

    def display_url(self) -> str:
        return self._engine.url.render_as_string(hide_password=True)

    def dispose(self) -> None:
        """Close pooled connections: before a fork, so no worker shares one with another."""
        if self._tokens is not None:
            self._tokens.close()
        self._engine.dispose()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """An ORM transaction; SQLAlchemy's errors come out as StoreError."""
        with _store_errors(), self._sessions.begin() as session:
            yield session

    @contextmanager
    def _connection(self) -> Iterator[Connection]:
        """A Core transaction, for the statement run on every call: a Session around one
        INSERT cost 3x the INSERT itself (240 us against 75 us on SQLite)."""
        with _store_errors(), self._engine.begin() as connection:
            yield connection

    def ping(self) -> None:
        """Raise StoreError unless the database answers, takes writes and its schema is in
        place (a read-only SQLite file answers reads)."""
        with self.session() as session:
            session.execute(text("SELECT 1 FROM hook_calls WHERE 1 = 0"))
            session.execute(text("DELETE FROM token_uses WHERE 1 = 0"))

    # -- writing the audit trail ----------------------------------------------------------

    def write(self, records: Sequence[Record | dict[str, Any]]) -> list[str]:
        """Keep a batch of records (cds_hooks/service/audit.py makes them) in one
        transaction; a record already kept (same id) is skipped. Returns the cards that
        feedback named but this service never issued, for the caller to log."""
        unknown: list[str] = []
        records = [as_record(r) for r in records]
        calls = [r for r in records if isinstance(r, CallRecord)]
        feedback = [r for r in records if isinstance(r, FeedbackRecord)]
        with self.session() as session:
            if self.dialect == "sqlite" and feedback:
                # Feedback was fsync'ed in the spool, which forgets it once this commits: the
                # commit must reach the disk too (see _sqlite_fast_commits).
                session.connection().exec_driver_sql("PRAGMA synchronous=FULL")
            if calls:
                self._add_calls(session.connection(), calls)
            if feedback:
                kept = set(session.scalars(select(FeedbackRow.record_id).where(
                    FeedbackRow.record_id.in_([r.id for r in feedback]))))
                session.flush()  # the calls' cards of this batch count as issued
                for record in feedback:
                    if record.id not in kept:
                        kept.add(record.id)
                        unknown += self._add_feedback(session, record)
        return unknown

    def _add_calls(self, connection: Connection, calls: list[CallRecord]) -> None:
        """Insert the calls not kept yet and their findings, orders, cards and suggestions,
        with one driver executemany a table (see bulk_inserts.py): row by row through the ORM
        this cost about as much CPU (1.3 ms a call, in the writer thread, under the GIL) as
        answering the call, and through Core inserts still twice the driver's own."""
        inserts = self._inserts(connection.dialect)
        kept = set(present(connection, HookCall.__table__, "record_id", [r.id for r in calls]))
        records = list({r.id: r for r in calls if r.id not in kept}.values())
        if not records:
            return
        inserts[HookCall].run(connection, [{
            "record_id": r.id, "hook_instance": r.hook_instance, "service": r.service,
            "hook": r.hook, "issuer": r.issuer, "patient": r.patient,
            "orders": column_text(r.orders), "actions": column_text(r.actions),
            "knowledge_version": r.knowledge_version,
            "received_at": r.at, "duration_ms": r.ms,
        } for r in records])
        ids = dict(present(connection, HookCall.__table__, "record_id",
                           [r.id for r in records], "id"))
        inserts[FindingRow].run(connection, [{
            "call_id": ids[r.id], "order_ref": f.order, "rule": f.rule,
            "severity": f.severity, "test_code": f.test, "card_uuid": f.card,
            "list_price": f.list_price or None,
        } for r in records for f in r.findings])
        inserts[CallOrderRow].run(connection, [{
            "call_id": ids[r.id], "order_ref": o.order, "test_code": o.test,
            "list_price": o.list_price or None,
            "expected_payment": o.expected_payment or None, "test_name": o.test_name,
            "cpt": o.cpt, "payer": o.payer, "requester": o.requester,
            "date_of_service": o.date or None,
            "evaluated": column_text(o.evaluated),
        } for r in records for o in r.order_facts])
        inserts[OrderCodeRow].run(connection, [{
            "call_id": ids[r.id], "order_ref": o.order, "system": c.system, "code": c.code,
            "display": c.display, "named": c.named,
        } for r in records for o in r.order_facts for c in o.codes])
        # A retried call (same hookInstance) gets the same card uuids: keep each once.
        cards = {c.uuid: (r, c) for r in records for c in r.cards}
        known = set(present(connection, IssuedCardRow.__table__, "uuid", list(cards)))
        new_cards = [(r, c) for uuid, (r, c) in cards.items() if uuid not in known]
        inserts[IssuedCardRow].run(connection, [{
            "uuid": c.uuid, "call_id": ids[r.id], "service": r.service,
            "hook_instance": r.hook_instance, "orders": column_text(c.orders),
            "rules": column_text(c.rules), "indicator": c.indicator,
            "card_type": c.type, "summary": c.summary,
        } for r, c in new_cards])
        inserts[IssuedSuggestionRow].run(connection, [{
            "uuid": s.uuid, "card_uuid": c.uuid, "label": s.label,
            "actions": column_text(s.actions),
        } for _, c in new_cards for s in c.suggestions])

    def _inserts(self, dialect: Dialect) -> dict[type[Base], BulkInsert]:
        if self._bulk is None:
            self._bulk = {model: BulkInsert(model.__table__, dialect) for model in (
                HookCall, FindingRow, CallOrderRow, OrderCodeRow, IssuedCardRow,
                IssuedSuggestionRow)}
        return self._bulk

    @staticmethod
    def _add_feedback(session: Session, record: FeedbackRecord) -> list[str]:
        unknown = []
        for number, item in enumerate(record.items):
            card = session.get(IssuedCardRow, item["card"])
            if card is None or card.service != record.service:
                unknown.append(item["card"])
            session.add(FeedbackRow(
                record_id=record.id, item_no=number, service=record.service,
                card_uuid=item["card"], outcome=item["outcome"],
                accepted_suggestions=json.dumps(item["accepted_suggestions"]),
                override_system=item.get("override_system"),
                override_code=item.get("override_code"),
                override_comment=item.get("override_comment"),
                outcome_at=datetime.fromisoformat(item["outcome_at"]),
                received_at=datetime.fromisoformat(record.at), issuer=record.issuer))
        return unknown

    def add_remittance(self, digest: str, payer: str | None, payer_name: str | None,
                       lines: Sequence[dict[str, Any]]) -> int:
        """Keep an imported 835's lines (RemittanceLineRow's columns) that the store does not
        hold yet, by `line_key`; returns how many were new (0 for a file imported before,
        whatever its bytes)."""
        fresh = list({line["line_key"]: line for line in reversed(lines)}.values())[::-1]
        try:
            with self.session() as session:
                known = {key for chunk in _chunks([line["line_key"] for line in fresh])
                         for key in session.scalars(select(RemittanceLineRow.line_key).where(
                             RemittanceLineRow.line_key.in_(chunk)))}
                fresh = [line for line in fresh if line["line_key"] not in known]
                if not fresh or session.scalar(select(RemittanceRow.id).where(
                        RemittanceRow.digest == digest)) is not None:
                    return 0
                remittance = RemittanceRow(digest=digest, payer=payer, payer_name=payer_name,
                                           imported_at=datetime.now(UTC))
                session.add(remittance)
                session.flush()
                session.add_all(RemittanceLineRow(remittance_id=remittance.id, **line)
                                for line in fresh)
        except StoreError as error:
            if isinstance(error.__cause__, IntegrityError):
                return 0  # another import of the same lines committed first
            raise
        return len(fresh)

    # -- reading ------------------------------------------------------------------------

    def cards(self, hook_instance: str) -> list[IssuedCard]:
        with self.session() as session:
            rows = session.scalars(select(IssuedCardRow).where(
                IssuedCardRow.hook_instance == hook_instance)).all()
            return [IssuedCard(
                uuid=r.uuid, orders=tuple(json.loads(r.orders)), rules=tuple(json.loads(r.rules)),
                indicator=r.indicator, card_type=r.card_type,
                suggestions=tuple(session.scalars(select(IssuedSuggestionRow.uuid).where(
                    IssuedSuggestionRow.card_uuid == r.uuid)).all()))
                for r in rows]

    def card_owners(self, cards: Sequence[str]) -> dict[str, tuple[str, str | None]]:
        """(service, issuer of the call) of each of `cards` the store holds."""
        with self.session() as session:
            return {uuid: (service, issuer) for uuid, service, issuer in session.execute(
                select(IssuedCardRow.uuid, IssuedCardRow.service, HookCall.issuer)
                .join(HookCall, HookCall.id == IssuedCardRow.call_id)
                .where(IssuedCardRow.uuid.in_(list(cards))))}

    def feedback(self, card: str) -> list[dict[str, Any]]:
        """The feedback received on a card, oldest first; `known_card` is False when this
        service never issued that card (as far as the store knows now)."""
        with self.session() as session:
            rows = session.execute(
                select(FeedbackRow, IssuedCardRow.service)
                .outerjoin(IssuedCardRow, IssuedCardRow.uuid == FeedbackRow.card_uuid)
                .where(FeedbackRow.card_uuid == card).order_by(FeedbackRow.id)).all()
            return [{"service": r.service, "card": r.card_uuid,
                     "known_card": issued_by == r.service, "outcome": r.outcome,
                     "accepted_suggestions": json.loads(r.accepted_suggestions),
                     "override_system": r.override_system, "override_code": r.override_code,
                     "override_comment": r.override_comment,
                     "outcome_at": utc(r.outcome_at).isoformat()} for r, issued_by in rows]

    # -- token ids --------------------------------------------------------------------------

    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record a token id; False when it is still recorded from an earlier call.

        The database is what every worker and replica shares, so it is asked first. When it
        fails, this process's own memory of token ids stands in (a replay to the same worker
        is still refused; one to another worker is not) for TOKEN_RETRY_SECONDS, so that an
        outage costs one timeout per worker, not one per call. Every id is remembered in
        memory too, so the fallback knows the ids seen before the outage."""
        now = time.time()
        if not self._fallback.first_use(issuer, jti, expires_at):
            return False
        if now < self._token_retry_at:
            return True
        try:
            if now - self._swept_at > TOKEN_SWEEP_SECONDS:
                self._swept_at = now
                with self._connection() as connection:
                    connection.execute(delete(TokenUse).where(TokenUse.expires_at < now))
            if self._tokens is not None:
                self._tokens.insert(issuer, jti, expires_at)
            else:
                with self._connection() as connection:
                    connection.execute(_INSERT_TOKEN, {"issuer": issuer, "jti": jti,
                                                       "expires_at": expires_at})
        except StoreError as bad:
            if not bad.transient:
                # Seen before (IntegrityError), or an id the database will not take (too long
                # for the column): one that cannot be recorded cannot be accepted, or every
                # other worker would accept it again.
                return False
            self._token_retry_at = now + TOKEN_RETRY_SECONDS
            log.error("token ids cannot be stored (%s); replays are checked in this process "
                      "only for %d s", bad, TOKEN_RETRY_SECONDS,
                      extra={"event": "store-error", "operation": "token"})
            from cds_hooks.common import metrics

            metrics.STORE_ERRORS.labels("token").inc()
        return True


_INSERT_TOKEN = insert(TokenUse.__table__)


def _chunks(items: list[str], size: int = 500) -> Iterator[list[str]]:
    """`items` in lists short enough for an IN (...) on every database."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@contextmanager
def _store_errors() -> Iterator[None]:
    """SQLAlchemy's errors as StoreError: not transient when the data itself is refused."""
    try:
        yield
    except (IntegrityError, DataError) as bad:
        raise StoreError(str(bad).splitlines()[0], transient=False) from bad
    except SQLAlchemyError as bad:
        raise StoreError(str(bad).splitlines()[0]) from bad


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; everything is stored in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_SQLITE_REOPEN = ("readonly database", "disk I/O error", "unable to open database")


def _sqlite_reopen(context: Any) -> None:
    """A SQLite connection opened while its file could not be written stays read-only after
    the file is fixed: such errors count as a lost connection, so the pool opens new ones
    (and the store recovers without a restart)."""
    if any(m in str(context.original_exception) for m in _SQLITE_REOPEN):
        context.is_disconnect = True


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets one process read while another writes; the connect timeout above is how long a
    # writer waits for another's lock before giving up.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    _sqlite_fast_commits(connection, _record)


def _sqlite_fast_commits(connection: Any, _record: Any) -> None:
    # A token id is written on every hook call: without an fsync per commit (WAL, NORMAL) that
    # costs ~7 ms less here, and a power cut can only forget the last few token ids and call
    # records (which the spool does not fsync either). Batches with feedback switch to FULL.
    if connection is not None:  # None: an invalidated connection, coming back closed
        connection.execute("PRAGMA synchronous=NORMAL")
