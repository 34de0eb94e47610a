"""The desk's durable records (SQLAlchemy 2 typed declarative models).

Types are chosen to behave the same on SQLite and PostgreSQL: times are timezone-aware UTC on the
way in and out (``UTCDateTime``), choices are strings with a CHECK constraint (no native enums),
lists and details are JSON. A citizen's own words and phone are kept sealed (agencies/sealing.py):
the columns hold only what ``Sealer.seal`` made of them.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from agencies.sealing import Sealer


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware time stored as UTC. SQLite keeps no offset, so values are stored as naive
    UTC there and given back as aware UTC on both engines; a naive time is refused rather than
    guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("a naive datetime was given; the desk stores timezone-aware times")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Optional[datetime], dialect: Dialect) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def choice(kind: type[enum.Enum], table: str, column: str) -> Enum:
    """A string column limited to an enum's values by a CHECK constraint (the same on both engines),
    named ``ck_<table>_<column>`` so migrations can find it."""
    return Enum(
        kind,
        name=f"ck_{table}_{column}",
        native_enum=False,
        create_constraint=True,
        length=max(len(str(member.value)) for member in kind),
        values_callable=lambda members: [str(member.value) for member in members],
    )


class Role(str, enum.Enum):
    agent = "agent"
    supervisor = "supervisor"
    admin = "admin"


class Outcome(str, enum.Enum):
    returned_to_bot = "returned_to_bot"
    callback = "callback"
    cancelled = "cancelled"
    transferred = "transferred"


class Author(str, enum.Enum):
    citizen = "citizen"
    bot = "bot"
    agent = "agent"
    system = "system"


class CallbackStatus(str, enum.Enum):
    requested = "requested"
    called = "called"
    not_reached = "not_reached"
    done = "done"


class CodeKind(str, enum.Enum):
    guide = "guide"
    case = "case"
    complaint = "complaint"


class Base(DeclarativeBase):
    # Named constraints (CHECKs are named by choice()), so later migrations (batch mode on SQLite) can find them by name.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class StaffUser(Base):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    # Shown to citizens beside an agent's words, in Persian (empty: the desk shows a title instead).
    first_name: Mapped[str] = mapped_column(String(64), default="")
    role: Mapped[Role] = mapped_column(choice(Role, "staff_users", "role"))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    # Agency ids (config/agencies.yml) whose queues this user serves; empty: every agency.
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Conversations at once.
    capacity: Mapped[int] = mapped_column(Integer, default=3)

    def serves(self, agency: Optional[str]) -> bool:
        return not self.agencies or agency in self.agencies


class AuditEntry(Base):
    """Who did what, when. ``detail`` never holds a raw national id or phone."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # Empty for the system itself.
    actor_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    # e.g. login, login_failed, reveal, take, release, user_created, user_disabled, password_reset.
    action: Mapped[str] = mapped_column(String(32), index=True)
    # A conversation id, or a staff username.
    target: Mapped[Optional[str]] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[Optional[StaffUser]] = relationship()


class Handoff(Base):
    """One stay of a conversation with the desk, from joining the queue to its release."""

    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    agency: Mapped[Optional[str]] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    # Why the priority is what it is, for the desk to show (e.g. "complaint", "third_contact").
    priority_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    taken_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    released_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    release_note: Mapped[Optional[str]] = mapped_column(Text)
    outcome: Mapped[Optional[Outcome]] = mapped_column(choice(Outcome, "handoffs", "outcome"))

    agent: Mapped[Optional[StaffUser]] = relationship()
    transcript: Mapped[list[TranscriptEntry]] = relationship(
        back_populates="handoff",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(TranscriptEntry.at, TranscriptEntry.id)",
    )


class TranscriptEntry(Base):
    """One message of a handoff's transcript; its text is sealed (a citizen may type their national id)."""

    __tablename__ = "transcript_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author: Mapped[Author] = mapped_column(choice(Author, "transcript_entries", "author"))
    agent_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    sealed_text: Mapped[str] = mapped_column(Text)

    handoff: Mapped[Handoff] = relationship(back_populates="transcript")
    agent: Mapped[Optional[StaffUser]] = relationship()

    @classmethod
    def sealed(
        cls,
        sealer: Sealer,
        text: str,
        author: Author,
        agent: Optional[StaffUser] = None,
        at: Optional[datetime] = None,
    ) -> TranscriptEntry:
        return cls(sealed_text=sealer.seal(text), author=author, agent=agent, at=at or utcnow())

    def text(self, sealer: Sealer) -> str:
        return sealer.open(self.sealed_text)


class Callback(Base):
    """A citizen's request to be called back, and what came of it."""

    __tablename__ = "callbacks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(128), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    agency: Mapped[Optional[str]] = mapped_column(String(64))
    sealed_phone: Mapped[str] = mapped_column(Text)
    # The time the citizen chose, in their words («صبح», «عصر»), and a time when one was given.
    preferred_time: Mapped[str] = mapped_column(String(64), default="")
    preferred_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(64))
    status: Mapped[CallbackStatus] = mapped_column(
        choice(CallbackStatus, "callbacks", "status"), default=CallbackStatus.requested
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    handled_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime, index=True)
    handled_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))

    handled_by: Mapped[Optional[StaffUser]] = relationship()

    def seal_phone(self, sealer: Sealer, phone: str) -> None:
        self.sealed_phone = sealer.seal(phone)

    def phone(self, sealer: Sealer) -> str:
        return sealer.open(self.sealed_phone)


class HandoffCode(Base):
    """A short code an agent gives a caller to open the bot in a guide, a case lookup or a complaint."""

    __tablename__ = "handoff_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[CodeKind] = mapped_column(choice(CodeKind, "handoff_codes", "kind"))
    # What it opens, e.g. a guide's slug (empty for a case lookup or a complaint form).
    target: Mapped[Optional[str]] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[Optional[int]] = mapped_column(ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[Optional[datetime]] = mapped_column(UTCDateTime)

    created_by: Mapped[Optional[StaffUser]] = relationship()


class CaseSubscription(Base):
    """A conversation following a case («خبرم کن»): the durable copy of what Redis holds
    (agencies/subscriptions.py, desk/subscriptions.py). The conversation id is sealed (a chat id
    may be a person's, an SMS bridge's is their phone) and found by its keyed digest."""

    __tablename__ = "case_subscriptions"
    __table_args__ = (UniqueConstraint("conversation_digest", "agency", "tracking_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_digest: Mapped[str] = mapped_column(String(40), index=True)
    sealed_conversation: Mapped[str] = mapped_column(Text)
    agency: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(64))
    subscribed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # As Redis's: a subscription lasts 90 days from its latest «خبرم کن»; the retention purge deletes it after.
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AudienceMember(Base):
    """A conversation that hears announcements (it asked for news of a case), until «دیگر خبر نده»."""

    __tablename__ = "announcement_audience"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_digest: Mapped[str] = mapped_column(String(40), unique=True)
    sealed_conversation: Mapped[str] = mapped_column(Text)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WatchedCase(Base):
    """A case at an agency that is polled: its owner's national id (sealed) and the status last seen."""

    __tablename__ = "watched_cases"
    __table_args__ = (UniqueConstraint("agency", "tracking_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency: Mapped[str] = mapped_column(String(64))
    tracking_code: Mapped[str] = mapped_column(String(64))
    sealed_national_id: Mapped[str] = mapped_column(Text)
    status_text: Mapped[str] = mapped_column(Text, default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
