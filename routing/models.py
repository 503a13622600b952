"""Routing tables: admin rules, areas, canned replies, the model registry and its history, and the corrections
that teach the model."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base, enum_column
from intake.models import Category, Office


class RoutingRule(Base):
    """A keyword or pattern that, where it matches, decides the category and/or office before the model does."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    pattern: Mapped[str] = mapped_column(String(300))
    is_regex: Mapped[bool] = mapped_column(Boolean, default=False)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    priority: Mapped[int] = mapped_column(Integer, default=100)  # lower wins
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(64))

    category: Mapped[Category | None] = relationship()
    office: Mapped[Office | None] = relationship()


class Area(Base):
    """An admin area and the names people call it by: an SMS saying "Northbank" is placed in RV-N."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    names: Mapped[list[str]] = mapped_column(JSON, default=list)  # the first is shown; all are matched
    translations: Mapped[dict[str, str] | None] = mapped_column(JSON)  # shown in other languages (and matched)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired


class CannedReply(Base):
    """A standard reply an office starts from, per category (or any) and language; {tracking} and {office}
    are filled in when it is used."""

    __tablename__ = "canned_replies"
    __table_args__ = (UniqueConstraint("category_id", "language", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # False: retired


class ModelStatus(StrEnum):
    CANDIDATE = "candidate"  # trained, not (yet) in use
    ACTIVE = "active"  # the one routing uses; at most one
    RETIRED = "retired"  # was active; rollback returns to the latest
    REJECTED = "rejected"  # evaluated worse than the active one


class ModelVersion(Base):
    """A model directory the service knows, and where it stands."""

    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(500))
    status: Mapped[ModelStatus] = mapped_column(enum_column(ModelStatus, 16), index=True)
    created_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]
    examples: Mapped[int] = mapped_column(Integer, default=0)
    corrections: Mapped[int] = mapped_column(Integer, default=0)  # corrected labels among the examples
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # card metrics and held-back comparison


class ModelChange(Base):
    """Append-only history: every registration, promotion, rejection and rollback, with who and why."""

    __tablename__ = "model_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[str] = mapped_column(String(64))
    previous_version: Mapped[str | None] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    figures: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class CorrectionKind(StrEnum):
    TRIAGE = "triage"  # a person routed it from the triage queue
    TRANSFER = "transfer"  # an office passed it on


class RoutingCorrection(Base):
    """A person's routing decision: the label the model learns from, and how long the grievance sat before it."""

    __tablename__ = "routing_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    grievance_id: Mapped[int] = mapped_column(ForeignKey("grievances.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CorrectionKind] = mapped_column(enum_column(CorrectionKind, 16))
    at: Mapped[datetime] = mapped_column(index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    predicted_label: Mapped[str | None] = mapped_column(String(64))
    predicted_confidence: Mapped[float | None] = mapped_column(Float)
    model_version: Mapped[str | None] = mapped_column(String(64))
    from_office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    to_office_id: Mapped[int] = mapped_column(ForeignKey("offices.id"))
    held_seconds: Mapped[float | None] = mapped_column(Float)  # with the office that passed it on
    actor_id: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    category: Mapped[Category | None] = relationship()
