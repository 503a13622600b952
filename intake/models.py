"""ORM models of the grievance store.

The directory (offices, categories) and staff accounts live here too: grievances refer to them and
intake sits below routing, so the tables must be here; routing owns the policy over them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import grievance_changes  # noqa: F401 - wherever grievances are written, changes are marked
from core.db import Base, enum_column, partial_index

MAX_TEXT_CHARS = 5000


class Status(StrEnum):
    RECEIVED = "received"
    TRIAGE = "triage"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    AWAITING_CITIZEN = "awaiting_citizen"
    RESOLVED = "resolved"
    CLOSED = "closed"


class Channel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    WEB = "web"
    CALL_CENTRE = "call_centre"
    VOICE = "voice"
    API = "api"
    SURVEY = "survey"
    OPEN311 = "open311"


class Priority(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class Confidentiality(StrEnum):
    NORMAL = "normal"
    ANONYMOUS = "anonymous"  # the office never sees who complained
    INTEGRITY = "integrity"  # only the oversight/integrity unit sees it


class OfficeLevel(StrEnum):
    MINISTRY = "ministry"
    PROVINCE = "province"
    DISTRICT = "district"
    OFFICE = "office"


class Role(StrEnum):
    OFFICER = "officer"
    OFFICE_HEAD = "office_head"
    OPERATOR = "operator"
    OVERSIGHT = "oversight"
    MANAGER = "manager"
    ADMIN = "admin"


class ActorType(StrEnum):
    CITIZEN = "citizen"
    STAFF = "staff"
    API_KEY = "api_key"
    SYSTEM = "system"


class EventKind(StrEnum):
    SUBMITTED = "submitted"
    STATUS_CHANGED = "status_changed"
    ROUTED = "routed"
    TRANSFERRED = "transferred"
    ACKNOWLEDGED = "acknowledged"
    RESPONDED = "responded"
    INFO_REQUESTED = "info_requested"
    NOTE = "note"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    CITIZEN_ADDED = "citizen_added"
    ESCALATED = "escalated"
    LINKED = "linked"
    DELIVERY = "delivery"  # the provider's final word on a message to the citizen (staff only)


office_categories = Table(
    "office_categories",
    Base.metadata,
    Column("office_id", ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True),
)


class Office(Base):
    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[OfficeLevel] = mapped_column(enum_column(OfficeLevel, 16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    jurisdiction: Mapped[list[str]] = mapped_column(JSON, default=list)
    timezone: Mapped[str] = mapped_column(String(64))
    is_oversight: Mapped[bool] = mapped_column(Boolean, default=False)
    is_integrity_unit: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired (kept for history and figures)
    translations: Mapped[dict[str, str] | None] = mapped_column(JSON)  # its name in other languages: {"ne": ...}

    parent: Mapped[Office | None] = relationship(remote_side=[id])
    categories: Mapped[list[Category]] = relationship(secondary=office_categories)

    def name_in(self, language: str | None) -> str:
        """Its name in the language, where the directory gives one; else the English name."""
        return (self.translations or {}).get(language or "", self.name)


class Category(Base):
    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(1000), default="")
    response_hours: Mapped[int] = mapped_column(Integer, default=72)
    resolution_hours: Mapped[int] = mapped_column(Integer, default=720)
    is_integrity: Mapped[bool] = mapped_column(Boolean, default=False)
    route_threshold: Mapped[float | None] = mapped_column(Float)  # admin's override of the model's threshold
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired
    translations: Mapped[dict[str, str] | None] = mapped_column(JSON)  # its name in other languages
    # Extra questions a complaint of this kind answers (Open311 attributes): [{code, description, datatype,
    # required, values: [{key, name}]}], checked by directory.document.
    questions: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)

    def name_in(self, language: str | None) -> str:
        """Its name in the language, where the directory gives one; else the English name."""
        return (self.translations or {}).get(language or "", self.name)


class Citizen(Base):
    """One person across channels: the same phone on SMS, voice and web is the same citizen."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    name: Mapped[str | None] = mapped_column(String(200))
    language: Mapped[str | None] = mapped_column(String(16))
    admin_area: Mapped[str | None] = mapped_column(String(32))  # their latest area: routes reports that name none
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Grievance(Base):
    __tablename__ = "grievances"
    __table_args__ = (
        Index("ix_grievances_office_status_confidentiality", "office_id", "status", "confidentiality"),  # counts
        Index("ix_grievances_status_received", "status", "received_at"),
        Index("ix_grievances_received_at", "received_at"),  # the dashboards recount grievances by day
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_number: Mapped[str | None] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, 16))
    text: Mapped[str] = mapped_column(Text)
    language: Mapped[str | None] = mapped_column(String(16))
    admin_area: Mapped[str | None] = mapped_column(String(32), index=True)
    location_text: Mapped[str | None] = mapped_column(String(500))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    status: Mapped[Status] = mapped_column(enum_column(Status, 24))
    priority: Mapped[Priority] = mapped_column(enum_column(Priority, 16), default=Priority.NORMAL)
    confidentiality: Mapped[Confidentiality] = mapped_column(enum_column(Confidentiality, 16),
                                                             default=Confidentiality.NORMAL)
    received_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    classifier_label: Mapped[str | None] = mapped_column(String(64))
    classifier_confidence: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))

    category: Mapped[Category | None] = relationship()
    office: Mapped[Office | None] = relationship()
    citizen: Mapped[Citizen | None] = relationship()
    events: Mapped[list[GrievanceEvent]] = relationship(
        back_populates="grievance", order_by="GrievanceEvent.id", cascade="all, delete-orphan")


class LinkKind(StrEnum):
    RELATED = "related"  # the same problem in the same area (a burst main reported forty times)
    DUPLICATE = "duplicate"
    SAME_CITIZEN = "same_citizen"


class GrievanceLink(Base):
    """A directed link: `grievance` is related to, or a duplicate of, `other`."""

    __tablename__ = "grievance_links"

    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), primary_key=True)
    other_id: Mapped[int] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), primary_key=True,
                                          index=True)
    kind: Mapped[LinkKind] = mapped_column(enum_column(LinkKind, 16))
    created_at: Mapped[datetime]


class GrievanceEvent(Base):
    """Append-only: how citizens and staff see when, how and by whom each decision was made."""

    __tablename__ = "grievance_events"
    # An `escalated` event is the step of the ladder itself: (deadline, level) is unique, the last guard of
    # "each level once" after the sweep's compare-and-set. Other events leave both null and skip the index.
    __table_args__ = (partial_index("uq_grievance_events_deadline_id_level", "deadline_id", "level", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, 24))
    at: Mapped[datetime]
    actor_type: Mapped[ActorType] = mapped_column(enum_column(ActorType, 16))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_role: Mapped[str | None] = mapped_column(String(24))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    from_status: Mapped[Status | None] = mapped_column(enum_column(Status, 24))
    to_status: Mapped[Status | None] = mapped_column(enum_column(Status, 24))
    note: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    # Escalated events only: the deadline that passed (escalation's `deadlines`; no foreign key, as intake
    # sits below escalation, and the event goes with its grievance anyway) and the level reached.
    deadline_id: Mapped[int | None] = mapped_column(Integer)
    level: Mapped[int | None] = mapped_column(Integer)

    grievance: Mapped[Grievance] = relationship(back_populates="events")
    office: Mapped[Office | None] = relationship()


# The steps of the escalation ladder among the events: only escalated events have a level, and the partial
# unique index holds exactly those rows, so both databases read the steps through it.
ESCALATION_STEPS = GrievanceEvent.level.is_not(None)


class InboundMessage(Base):
    """Every inbound request that may be retried, keyed by the sender's own id: retries create nothing new.

    `provider` is a gateway name (twilio, telegram) or `api:<key id>` for client idempotency keys.
    """

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("provider", "provider_message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(48))
    provider_message_id: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id", ondelete="SET NULL"))
    received_at: Mapped[datetime]


class StaffUser(Base):
    """A staff account. Usernames are stored lower-case, so they are unique whatever the case typed."""

    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))  # "" until the one-time link sets one
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: disabled (a leaver); never deleted
    created_at: Mapped[datetime]
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))

    office: Mapped[Office] = relationship()


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
    database signs nobody in."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # every form of this session carries it
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # the idle timeout counts from here
    expires_at: Mapped[datetime]  # the absolute timeout: no activity keeps a session past it
    ended_at: Mapped[datetime | None]  # signed out, or ended by an administrator

    user: Mapped[StaffUser] = relationship()


class SignInLink(Base):
    """A one-time link that sets an account's password (a new account, or a reset). Only its SHA-256 is stored."""

    __tablename__ = "staff_sign_in_links"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the link's token
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]

    user: Mapped[StaffUser] = relationship()


class ApiKey(Base):
    """Only a SHA-256 of the key is stored: keys carry 256 random bits, so a fast hash is safe to look up."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, 16))
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    # The account that owns the key, if any: while that account is disabled the key does not work.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id"))

    office: Mapped[Office] = relationship()
    owner: Mapped[StaffUser | None] = relationship()
