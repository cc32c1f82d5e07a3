"""What the service keeps: hook calls and the cards they issued, feedback on those cards, and
the token ids already used (replay protection shared by every worker process).

SQLAlchemy 2: a SQLite file by default, PostgreSQL (or any database SQLAlchemy speaks) by URL.
No patient data beyond resource ids, and never an access token. A failing store must not fail
an answer: every write logs its error and the call goes on.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    delete,
    event,
    select,
)
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from .auth import MemoryReplayGuard

log = logging.getLogger("moldx_cds.store")


class StoreError(Exception):
    """The store could not answer (its database is unreachable, read-only, ...)."""


class Base(DeclarativeBase):
    pass


class HookCall(Base):
    __tablename__ = "hook_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    hook_instance: Mapped[str] = mapped_column(String(200), index=True)
    service: Mapped[str] = mapped_column(String(100))
    hook: Mapped[str] = mapped_column(String(50))
    issuer: Mapped[str | None] = mapped_column(String(500))  # the caller's JWT iss
    orders: Mapped[str] = mapped_column(Text)  # JSON list of `ServiceRequest/id`
    knowledge_version: Mapped[str] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    duration_ms: Mapped[float] = mapped_column(Float)


class IssuedCardRow(Base):
    __tablename__ = "cards"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("hook_calls.id"), index=True)
    service: Mapped[str] = mapped_column(String(100))
    hook_instance: Mapped[str] = mapped_column(String(200))
    orders: Mapped[str] = mapped_column(Text)  # JSON list
    rules: Mapped[str] = mapped_column(Text)  # JSON list of rule ids
    indicator: Mapped[str] = mapped_column(String(20))
    card_type: Mapped[str] = mapped_column(String(50))


class IssuedSuggestionRow(Base):
    __tablename__ = "suggestions"

    uuid: Mapped[str] = mapped_column(String(36), primary_key=True)
    card_uuid: Mapped[str] = mapped_column(ForeignKey("cards.uuid"), index=True)


class FeedbackRow(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    service: Mapped[str] = mapped_column(String(100))
    card_uuid: Mapped[str] = mapped_column(String(200), index=True)
    known_card: Mapped[bool] = mapped_column(Boolean)  # False: we never issued this card
    outcome: Mapped[str] = mapped_column(String(20))
    accepted_suggestions: Mapped[str] = mapped_column(Text)  # JSON list of suggestion uuids
    override_system: Mapped[str | None] = mapped_column(String(500))
    override_code: Mapped[str | None] = mapped_column(String(200))
    override_comment: Mapped[str | None] = mapped_column(Text)
    outcome_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issuer: Mapped[str | None] = mapped_column(String(500))


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


@dataclass(frozen=True)
class Feedback:
    card: str
    outcome: str
    accepted_suggestions: tuple[str, ...]
    override_system: str | None
    override_code: str | None
    override_comment: str | None
    outcome_at: datetime


class Store:
    def __init__(self, url: str):
        self.url = url
        self._engine = create_engine(url)
        if self._engine.dialect.name == "sqlite":
            event.listen(self._engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        self._fallback = MemoryReplayGuard()
        try:
            Base.metadata.create_all(self._engine)
        except SQLAlchemyError:
            log.exception("the store at %s cannot be set up; going on without it",
                          self._engine.url.render_as_string(hide_password=True))
        # Connections opened here must not be shared with worker processes forked later.
        self._engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with self._sessions.begin() as session:
                yield session
        except SQLAlchemyError as bad:
            raise StoreError(str(bad)) from bad

    # -- hook calls and cards -------------------------------------------------------------

    def record_call(self, *, service: str, hook: str, hook_instance: str, issuer: str | None,
                    orders: Sequence[str], knowledge_version: str, duration_ms: float,
                    cards: Iterable[IssuedCard]) -> None:
        """Keep a hook call and its cards; a card already kept (a retried call) is kept once."""
        try:
            with self._session() as session:
                call = HookCall(hook_instance=hook_instance, service=service, hook=hook,
                                issuer=issuer, orders=json.dumps(list(orders)),
                                knowledge_version=knowledge_version, duration_ms=duration_ms,
                                received_at=_now())
                session.add(call)
                session.flush()
                for card in cards:
                    if session.get(IssuedCardRow, card.uuid) is not None:
                        continue
                    session.add(IssuedCardRow(
                        uuid=card.uuid, call_id=call.id, service=service,
                        hook_instance=hook_instance, orders=json.dumps(card.orders),
                        rules=json.dumps(card.rules), indicator=card.indicator,
                        card_type=card.card_type))
                    session.add_all(IssuedSuggestionRow(uuid=s, card_uuid=card.uuid)
                                    for s in card.suggestions)
        except StoreError:
            log.exception("hook call %s of %s was not stored", hook_instance, service)

    def cards(self, hook_instance: str) -> list[IssuedCard]:
        with self._session() as session:
            rows = session.scalars(select(IssuedCardRow).where(
                IssuedCardRow.hook_instance == hook_instance)).all()
            return [IssuedCard(
                uuid=r.uuid, orders=tuple(json.loads(r.orders)), rules=tuple(json.loads(r.rules)),
                indicator=r.indicator, card_type=r.card_type,
                suggestions=tuple(session.scalars(select(IssuedSuggestionRow.uuid).where(
                    IssuedSuggestionRow.card_uuid == r.uuid)).all()))
                for r in rows]

    # -- feedback -------------------------------------------------------------------------

    def record_feedback(self, service: str, items: Iterable[Feedback],
                        issuer: str | None) -> list[bool] | None:
        """Keep each item, flagged when its card is not one this service issued; returns the
        flags (True: a known card), or None when the store failed."""
        try:
            with self._session() as session:
                known = []
                for item in items:
                    card = session.get(IssuedCardRow, item.card)
                    known.append(card is not None and card.service == service)
                    session.add(FeedbackRow(
                        service=service, card_uuid=item.card, known_card=known[-1],
                        outcome=item.outcome,
                        accepted_suggestions=json.dumps(list(item.accepted_suggestions)),
                        override_system=item.override_system, override_code=item.override_code,
                        override_comment=item.override_comment,
                        outcome_at=item.outcome_at.astimezone(UTC),
                        received_at=_now(), issuer=issuer))
                return known
        except StoreError:
            log.exception("feedback for %s was not stored", service)
            return None

    def feedback(self, card: str) -> list[dict[str, Any]]:
        """The feedback received on a card, oldest first."""
        with self._session() as session:
            rows = session.scalars(select(FeedbackRow).where(FeedbackRow.card_uuid == card)
                                   .order_by(FeedbackRow.id)).all()
            return [{"service": r.service, "card": r.card_uuid, "known_card": r.known_card,
                     "outcome": r.outcome,
                     "accepted_suggestions": json.loads(r.accepted_suggestions),
                     "override_system": r.override_system, "override_code": r.override_code,
                     "override_comment": r.override_comment,
                     "outcome_at": _utc(r.outcome_at).isoformat()} for r in rows]

    # -- token ids --------------------------------------------------------------------------

    def first_use(self, issuer: str, jti: str, expires_at: float) -> bool:
        """Record a token id; False when it is still recorded from an earlier call. When the
        database fails, this process's own memory of token ids stands in."""
        now = datetime.now(UTC).timestamp()
        try:
            with self._session() as session:
                session.execute(delete(TokenUse).where(TokenUse.expires_at < now))
            with self._session() as session:
                session.add(TokenUse(issuer=issuer, jti=jti, expires_at=expires_at))
        except StoreError as bad:
            if isinstance(bad.__cause__, IntegrityError):
                return False
            log.exception("token ids cannot be stored; checking replays in this process only")
            return self._fallback.first_use(issuer, jti, expires_at)
        return True


def _now() -> datetime:
    return datetime.now(UTC)


def _utc(moment: datetime) -> datetime:
    # SQLite gives back naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets one worker read while another writes; the busy timeout makes concurrent
    # writers wait for each other instead of failing.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
