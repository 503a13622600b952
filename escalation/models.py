"""Escalation tables: office calendars and holidays, SLA policies, the deadlines a sweep watches (each step of
the ladder is an `escalated` grievance event, which carries its deadline and level)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column, partial_index

RUNNING = text("met_at IS NULL AND cancelled_at IS NULL")  # the staff inbox reads these in due order
WARN_FRACTION = 0.2  # by default a warning goes out when a fifth of the time is left


class Basis(StrEnum):
    BUSINESS = "business"  # working hours of the responsible office's calendar
    CALENDAR = "calendar"  # every hour counts


class DeadlineKind(StrEnum):
    FIRST_RESPONSE = "first_response"  # the silence limit: any public word from the office meets it
    RESOLUTION = "resolution"  # paused while the office waits for the citizen
    TRANSFER = "transfer"  # an office must take the grievance up, or pass it on, within this time


class Calendar(Base):
    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    week: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)  # {"mon": ["09:00-17:00"], ...}
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired

    holidays: Mapped[list[Holiday]] = relationship(back_populates="calendar", cascade="all, delete-orphan",
                                                   order_by="Holiday.day")


class Holiday(Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("calendar_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(200))

    calendar: Mapped[Calendar] = relationship(back_populates="holidays")


class OfficeCalendar(Base):
    """An office's calendar; an office without one works by its parent's (and the root's by the default)."""

    __tablename__ = "office_calendars"

    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    calendar_id: Mapped[int] = mapped_column(ForeignKey("calendars.id"))


class SlaPolicy(Base):
    """Deadlines in hours for a category (office_id null), or an office's override for it."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("category_id", "office_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"))
    first_response_hours: Mapped[float] = mapped_column(Float)
    resolution_hours: Mapped[float] = mapped_column(Float)
    transfer_hours: Mapped[float | None] = mapped_column(Float)  # None: no transfer deadline
    escalation_hours: Mapped[float] = mapped_column(Float)  # each level of the ladder gets this long
    basis: Mapped[Basis] = mapped_column(enum_column(Basis, 16), default=Basis.BUSINESS)
    warn_fraction: Mapped[float] = mapped_column(Float, default=WARN_FRACTION)  # warn when this share is left
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired


class Deadline(Base):
    """One clock on one grievance. `next_at` is when the sweep acts next (null: met, cancelled or paused)."""

    __tablename__ = "deadlines"
    __table_args__ = (partial_index("ix_deadlines_next_at", "next_at"),
                      partial_index("ix_deadlines_warn_at", "warn_at"),
                      Index("ix_deadlines_running_due", "due_at", "grievance_id", postgresql_where=RUNNING,
                            sqlite_where=RUNNING))

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), index=True)
    kind: Mapped[DeadlineKind] = mapped_column(enum_column(DeadlineKind, 16))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))  # responsible when it started
    basis: Mapped[Basis] = mapped_column(enum_column(Basis, 16))
    hours: Mapped[float] = mapped_column(Float)
    escalation_hours: Mapped[float] = mapped_column(Float)
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    warn_at: Mapped[datetime | None]  # a warning goes out then, if the deadline is still open
    warned_at: Mapped[datetime | None]
    met_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    paused_remaining_seconds: Mapped[float | None] = mapped_column(Float)  # working time left when paused
    level: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[datetime | None]
