"""Staff pages' tables: the weekly meeting's action items and the dashboards' daily rollups."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column
from intake.models import Office


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class ActionItem(Base):
    """A decision of a weekly complaint meeting: who does what by when. It stays in the packs until closed."""

    __tablename__ = "action_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)  # whose meeting
    week: Mapped[str] = mapped_column(String(8))  # ISO week of the meeting, e.g. 2026-W47
    text: Mapped[str] = mapped_column(String(1000))
    owner_office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    due_on: Mapped[date]
    status: Mapped[ActionStatus] = mapped_column(enum_column(ActionStatus, 16), default=ActionStatus.OPEN)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(200))
    closed_at: Mapped[datetime | None]
    closing_note: Mapped[str | None] = mapped_column(String(1000))

    owner: Mapped[Office] = relationship(foreign_keys=[owner_office_id])


class KpiRollup(Base):
    """The figures of the grievances received on one day (UTC), or in the week starting that Monday, at one
    office, whole (facet "all") and split by category, channel and area: a `dashboards.tally.Tally` as
    columns. Kept by `dashboards.rollups`; a week is the sum of its days, rewritten with each of them."""

    __tablename__ = "kpi_rollups"

    day: Mapped[date] = mapped_column(primary_key=True)  # the first day
    days: Mapped[int] = mapped_column(Integer, primary_key=True)  # 1, or 7 for a week
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True)
    integrity: Mapped[bool] = mapped_column(Boolean, primary_key=True)  # only oversight sees these
    facet: Mapped[str] = mapped_column(String(16), primary_key=True)  # all, category, channel, area
    value: Mapped[str] = mapped_column(String(64), primary_key=True)  # category id, channel, area code; "" none
    received: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    judged: Mapped[int] = mapped_column(Integer)
    within: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    open: Mapped[int] = mapped_column(Integer)
    overdue: Mapped[int] = mapped_column(Integer)
    silences: Mapped[dict[str, int] | None] = mapped_column(JSON(none_as_null=True))  # histogram bucket → grievances
    resolutions: Mapped[dict[str, int] | None] = mapped_column(JSON(none_as_null=True))
    waiting: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))  # epoch seconds: see Tally
    judge_at: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))
    overdue_at: Mapped[list[int] | None] = mapped_column(JSON(none_as_null=True))


class KpiComputed(Base):
    """The days whose rollup has been counted, and as of when (a reader at an earlier time counts live)."""

    __tablename__ = "kpi_computed"

    day: Mapped[date] = mapped_column(primary_key=True)
    computed_at: Mapped[datetime]
