"""Services delivered to citizens, and the surveys that ask them how it went."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, enum_column


class ServiceDelivery(Base):
    """An office reports that it served a citizen; the reference (the office's own) is unique."""

    __tablename__ = "service_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    phone: Mapped[str] = mapped_column(String(20), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    service: Mapped[str] = mapped_column(String(64))
    delivered_at: Mapped[datetime]
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))  # api, csv


class SurveyKind(StrEnum):
    DELIVERY = "delivery"  # after a service
    RESOLUTION = "resolution"  # after a grievance was resolved


class SurveyStatus(StrEnum):
    SCHEDULED = "scheduled"
    SKIPPED = "skipped"  # never sent: opted out, sampled out, surveyed recently
    SENT = "sent"  # waiting for the citizen
    ANSWERED = "answered"
    EXPIRED = "expired"


class SurveyStep(StrEnum):
    SCORE = "score"  # Q1: satisfaction 1-5
    WHAT_WRONG = "what_wrong"  # Q2: after a score of 2 or less
    PAYMENT = "payment"  # Q3: were you asked for extra payment?
    DONE = "done"


class Survey(Base):
    """One survey of one citizen: its schedule, where the conversation is, and the answers."""

    __tablename__ = "surveys"
    __table_args__ = (
        Index("ix_surveys_status_due", "status", "due_at"),
        Index("ix_surveys_recipient_status", "recipient", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # delivery:<id> or resolution:<grievance>:<round>
    kind: Mapped[SurveyKind] = mapped_column(enum_column(SurveyKind, 16))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("service_deliveries.id", ondelete="CASCADE"))
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), index=True)
    office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"), index=True)
    service: Mapped[str | None] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))  # sms, telegram
    recipient: Mapped[str] = mapped_column(String(64))  # E.164 phone or Telegram chat id
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[SurveyStatus] = mapped_column(enum_column(SurveyStatus, 16))
    step: Mapped[SurveyStep] = mapped_column(enum_column(SurveyStep, 16), default=SurveyStep.SCORE)
    skip_reason: Mapped[str | None] = mapped_column(String(32))
    due_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    score: Mapped[int | None] = mapped_column(Integer)
    paid: Mapped[bool | None] = mapped_column(Boolean)  # asked for extra payment
    comment: Mapped[str | None] = mapped_column(Text)
    clarified: Mapped[bool] = mapped_column(Boolean, default=False)  # the one clarifying question was asked
    followup_grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id", ondelete="SET NULL"))
    integrity_grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
