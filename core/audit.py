"""The audit of administration: who changed the directory, a staff account or an API key, when, and the
values before and after; and every staff sign-in, successful or not.

Append-only. Secrets never reach it: callers pass the public values of a row (a password, a key or a link's
token is not among them), and `record` drops any key that names one, as a last guard.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

SECRET_KEYS = frozenset({"password", "password_hash", "key", "key_hash", "secret", "token"})


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(100))  # a staff username, or "cli:<system user>"
    action: Mapped[str] = mapped_column(String(32), index=True)  # e.g. office.add, staff.disable, sign_in.failed
    subject: Mapped[str] = mapped_column(String(200))  # e.g. "office RV-N", "staff rv.admin", "api key 7"
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    address: Mapped[str | None] = mapped_column(String(64))  # the client's address, for sign-ins and pages
    version: Mapped[int | None] = mapped_column(Integer)  # the directory version a directory change made


def _public(values: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if values is None else {k: v for k, v in values.items() if k not in SECRET_KEYS}


def record(session: Session, *, at: datetime, actor: str, action: str, subject: str,
           before: dict[str, Any] | None = None, after: dict[str, Any] | None = None,
           address: str | None = None, version: int | None = None) -> AuditEntry:
    """Append one entry in the caller's transaction: it is kept exactly when the change it describes is."""
    entry = AuditEntry(at=at, actor=actor[:100], action=action[:32], subject=subject[:200], before=_public(before),
                       after=_public(after), address=address[:64] if address else None, version=version)
    session.add(entry)
    return entry


def entries(session: Session, *, action: str = "", actor: str = "", subject: str = "", since: datetime | None = None,
            until: datetime | None = None, version: int | None = None, before: int | None = None,
            limit: int | None = 100) -> list[AuditEntry]:
    """The newest entries first (older than entry `before`, for the next page), filtered: `action` by prefix
    ("office." or "sign_in"), actor exactly, subject by the words it contains."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if action:
        query = query.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if subject:
        query = query.where(AuditEntry.subject.contains(subject, autoescape=True))
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if version is not None:
        query = query.where(AuditEntry.version == version)
    return list(session.scalars(query.limit(limit)))
