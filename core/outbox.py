"""The outbox: every outbound message is a row written in the sender's own transaction.

Nobody sends directly; `channels.delivery` claims due rows (compare-and-set) and hands them to a
gateway, so a crash or a rollback never sends a message for something that did not happen.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, enum_column


class OutboxChannel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


MAX_ATTEMPTS = 8
CLAIM_TIMEOUT = timedelta(minutes=5)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[OutboxChannel] = mapped_column(enum_column(OutboxChannel, 16))
    recipient: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(32))
    grievance_id: Mapped[int | None] = mapped_column(ForeignKey("grievances.id", ondelete="SET NULL"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id", ondelete="SET NULL"))
    status: Mapped[OutboxStatus] = mapped_column(enum_column(OutboxStatus, 16), default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    gateway: Mapped[str | None] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(500))


def enqueue(session: Session, *, channel: OutboxChannel, recipient: str, body: str, purpose: str, now: datetime,
            grievance_id: int | None = None, citizen_id: int | None = None) -> OutboxMessage:
    """Add a message to send; it leaves only if the caller's transaction commits."""
    message = OutboxMessage(channel=channel, recipient=recipient, body=body, purpose=purpose,
                            grievance_id=grievance_id, citizen_id=citizen_id, status=OutboxStatus.PENDING,
                            attempts=0, created_at=now, next_attempt_at=now)
    session.add(message)
    return message


def claim_due(session: Session, *, now: datetime, limit: int = 50) -> list[OutboxMessage]:
    """Claim due messages; a row is ours only if our compare-and-set update changed it.

    A claim older than CLAIM_TIMEOUT belongs to a worker that died mid-send and may be taken again.
    """
    stale = now - CLAIM_TIMEOUT
    due = (
        (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now)
    ) | ((OutboxMessage.status == OutboxStatus.SENDING) & (OutboxMessage.claimed_at <= stale))
    candidates = session.scalars(
        select(OutboxMessage.id).where(due).order_by(OutboxMessage.next_attempt_at).limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not candidates:
        return []
    # The compare-and-set: the due condition is checked again by the UPDATE itself, so a row another
    # worker claimed in between is not returned to us.
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), due)
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    ).all()
    if not claimed:
        return []
    return list(session.scalars(
        select(OutboxMessage).where(OutboxMessage.id.in_(claimed)).execution_options(populate_existing=True)))


def mark_sent(message: OutboxMessage, *, now: datetime, gateway: str, provider_id: str | None) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.gateway = gateway
    message.provider_id = provider_id
    message.last_error = None


def mark_failed(message: OutboxMessage, *, now: datetime, error: str, permanent: bool,
                rng: random.Random | None = None) -> None:
    """Retry with exponential backoff and jitter; give up on a permanent error or after MAX_ATTEMPTS."""
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
        return
    base = min(30 * 2 ** (message.attempts - 1), 6 * 3600)
    jitter = (rng or random).uniform(0, base / 2)
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now + timedelta(seconds=base + jitter)
