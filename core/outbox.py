"""The outbox: every outbound message is a row written in the sender's own transaction.

Nobody sends directly; `channels.delivery` claims due rows (compare-and-set) and hands them to a
gateway, so a crash or a rollback never sends a message for something that did not happen.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, case, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base, enum_column, partial_index
from core.segments import gsm_safe


class OutboxChannel(StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    STAFF = "staff"  # an alert to an office (recipient: its code), shown in the office's inbox


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


CLAIM_TIMEOUT = timedelta(minutes=5)
GIVE_UP_AFTER = timedelta(hours=72)
MAX_BACKOFF_SECONDS = 3600
OPT_OUT_CONFIRMATION = "opt_out"  # the one purpose that may still go to a number that opted out

# Provider delivery states in the order they happen; a callback never moves a message backwards.
DELIVERY_RANK = {"accepted": 0, "scheduled": 0, "queued": 1, "sending": 2, "sent": 3, "receiving": 3,
                 "received": 4, "delivered": 4, "undelivered": 4, "failed": 4, "read": 5, "canceled": 4}
FINAL_DELIVERY = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        partial_index("ix_outbox_recipient_sent", "recipient", "sent_at"),
        partial_index("ix_outbox_provider_id", "provider_id"),
    )

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
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)  # a reply the citizen waits for: no quiet hours
    # The last hand-over may have reached the provider (a crash or a timeout after sending): look for it
    # in the provider's message list before sending again.
    uncertain: Mapped[bool] = mapped_column(Boolean, default=False)
    delivery_status: Mapped[str | None] = mapped_column(String(16))  # from the provider's status callbacks
    delivery_status_at: Mapped[datetime | None]
    error_code: Mapped[int | None] = mapped_column(Integer)
    buttons: Mapped[list[list[str]] | None] = mapped_column(JSON)  # [[text, data], ...]: Telegram answer buttons


def enqueue(session: Session, *, channel: OutboxChannel, recipient: str, body: str, purpose: str, now: datetime,
            grievance_id: int | None = None, citizen_id: int | None = None, urgent: bool = False,
            buttons: list[list[str]] | None = None, not_before: datetime | None = None) -> OutboxMessage:
    """Add a message to send; it leaves only if the caller's transaction commits.

    SMS text is made GSM-safe (curly quotes and dashes replaced) so it costs as few parts as possible.
    """
    if channel is OutboxChannel.SMS:
        body = gsm_safe(body)
    message = OutboxMessage(channel=channel, recipient=recipient, body=body, purpose=purpose,
                            grievance_id=grievance_id, citizen_id=citizen_id, status=OutboxStatus.PENDING,
                            attempts=0, created_at=now, next_attempt_at=not_before or now, urgent=urgent,
                            uncertain=False, buttons=buttons)
    session.add(message)
    return message


def claim_due(session: Session, *, now: datetime, limit: int = 50,
              claim_timeout: timedelta = CLAIM_TIMEOUT) -> list[OutboxMessage]:
    """Claim due messages; a row is ours only if our compare-and-set update changed it.

    A claim older than `claim_timeout` belongs to a worker that died mid-send and may be taken again;
    that message may already have left, so it is marked uncertain (reconcile before resending).
    """
    stale = now - claim_timeout
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
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1,
                uncertain=case((OutboxMessage.status == OutboxStatus.SENDING, True), else_=OutboxMessage.uncertain))
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
    message.uncertain = False


def mark_failed(message: OutboxMessage, *, now: datetime, error: str, permanent: bool, uncertain: bool = False,
                retry_after: float | None = None, code: int | None = None, rng: random.Random | None = None) -> None:
    """Retry with exponential backoff and jitter (never sooner than Retry-After); give up on a permanent
    error or once the message is GIVE_UP_AFTER old."""
    message.last_error = error[:500]
    message.error_code = code
    message.uncertain = uncertain
    if permanent or now - message.created_at >= GIVE_UP_AFTER:
        message.status = OutboxStatus.FAILED
        if not permanent:
            message.last_error = f"gave up after {GIVE_UP_AFTER.total_seconds() / 3600:.0f} h: {error}"[:500]
        return
    base = min(30 * 2 ** max(message.attempts - 1, 0), MAX_BACKOFF_SECONDS)
    wait = base + (rng or random).uniform(0, base / 2)
    if retry_after is not None:
        wait = max(wait, min(retry_after, MAX_BACKOFF_SECONDS * 6))
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now + timedelta(seconds=wait)


def hold(message: OutboxMessage, *, until: datetime, reason: str) -> None:
    """Put a claimed message back untouched until a later time (quiet hours, a daily cap)."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = until
    message.attempts = max(message.attempts - 1, 0)
    message.last_error = f"held: {reason}"[:500]


def record_delivery(message: OutboxMessage, *, status: str, error_code: int | None, now: datetime) -> bool:
    """Apply a provider status callback; False when it is stale (a late 'sent' after 'delivered')."""
    status = status.strip().lower()
    if status not in DELIVERY_RANK:
        return False
    current = message.delivery_status
    if current is not None and DELIVERY_RANK[status] <= DELIVERY_RANK[current]:
        return False
    message.delivery_status = status
    message.delivery_status_at = now
    if error_code is not None:
        message.error_code = error_code
    return True
