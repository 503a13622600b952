"""Sends what the outbox holds: claim due rows, check they may go now, hand each to its gateway, record it.

Nothing is lost and nothing is sent twice on purpose: the claim commits before any network call, each
outcome commits on its own, and a message whose last hand-over may have reached the provider (the
worker died, or the provider timed out) is looked up in the provider's message list before it is sent
again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.gateways import UNSUBSCRIBED, SendFailed, Sent, SmsGateway
from core.db import transaction
from core.outbox import (
    CLAIM_TIMEOUT,
    GIVE_UP_AFTER,
    OPT_OUT_CONFIRMATION,
    OutboxChannel,
    OutboxMessage,
    OutboxStatus,
    claim_due,
    hold,
    mark_failed,
    mark_sent,
)
from core.settings import Settings, quiet_window
from intake.citizens import opt_out
from intake.models import Citizen
from intake.normalise import timezone_of

log = logging.getLogger(__name__)
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class DeliveryPolicy:
    """When a message may leave: quiet hours in the recipient's timezone and daily caps against SMS pumping."""

    quiet: tuple[time, time] | None = None
    default_timezone: str = "UTC"
    per_recipient_cap: int = 10
    global_cap: int = 10_000
    claim_timeout: timedelta = CLAIM_TIMEOUT
    reconcile: bool = True  # off only to measure what reconciliation prevents (bench/sms_faults.py)

    @classmethod
    def from_settings(cls, settings: Settings) -> DeliveryPolicy:
        return cls(quiet=quiet_window(settings.sms_quiet_hours), default_timezone=settings.timezone,
                   per_recipient_cap=settings.sms_daily_cap_per_recipient, global_cap=settings.sms_daily_cap,
                   claim_timeout=timedelta(seconds=settings.delivery_claim_timeout_seconds))

    def quiet_until(self, *, channel: OutboxChannel, recipient: str, now: datetime) -> datetime | None:
        """The end of the quiet hours the recipient is in now, or None when it is a decent hour for them."""
        if self.quiet is None:
            return None
        zone = ZoneInfo(timezone_of(recipient, self.default_timezone) if channel is OutboxChannel.SMS
                        else self.default_timezone)
        local = now.astimezone(zone)
        start, end = self.quiet
        clock = local.time()
        inside = start <= clock < end if start < end else (clock >= start or clock < end)
        if not inside:
            return None
        until = datetime.combine(local.date(), end, tzinfo=zone)
        if until <= local:
            until += timedelta(days=1)
        return until.astimezone(now.tzinfo)


@dataclass(frozen=True)
class _Work:
    id: int
    channel: OutboxChannel
    recipient: str
    body: str
    uncertain: bool
    created_at: datetime
    buttons: list[list[str]] | None = None


def deliver_due(factory: sessionmaker[Session], *, gateways: Mapping[OutboxChannel, SmsGateway], now: datetime,
                batch: int = 50, policy: DeliveryPolicy | None = None) -> int:
    """One delivery pass; returns how many messages were handed over (or found already handed over).

    The claim commits before any network call and each outcome commits on its own, so a slow
    provider never holds a database lock and one bad message never undoes the others.
    """
    policy = policy or DeliveryPolicy()
    with transaction(factory) as session:
        claimed = claim_due(session, now=now, limit=batch, claim_timeout=policy.claim_timeout)
        work = [_Work(m.id, m.channel, m.recipient, m.body, m.uncertain, m.created_at, m.buttons)
                for m in _may_leave(session, claimed, now=now, policy=policy)]
    sent = 0
    for item in work:
        gateway = gateways.get(item.channel)
        outcome = _hand_over(gateway, item, policy) if gateway is not None else SendFailed(
            f"no gateway configured for {item.channel.value}", permanent=True)
        with transaction(factory) as session:
            message = session.get(OutboxMessage, item.id)
            if message is None or message.status is not OutboxStatus.SENDING:
                continue
            if isinstance(outcome, SendFailed):
                mark_failed(message, now=now, error=str(outcome), permanent=outcome.permanent,
                            uncertain=outcome.uncertain, retry_after=outcome.retry_after, code=outcome.code)
                if outcome.code == UNSUBSCRIBED and item.channel is OutboxChannel.SMS:
                    opt_out(session, phone=item.recipient, now=now)
            else:
                mark_sent(message, now=now, gateway=gateway.name, provider_id=outcome.provider_id)
                sent += 1
    return sent


def _hand_over(gateway: SmsGateway, item: _Work, policy: DeliveryPolicy) -> Sent | SendFailed:
    """Send, unless the provider already has this message from a hand-over whose outcome was lost."""
    try:
        if item.uncertain and policy.reconcile:
            found = gateway.find(to=item.recipient, body=item.body, since=item.created_at)
            if found is not None:
                log.info("outbox %s: already with the provider as %s; not sent again", item.id, found)
                return Sent(provider_id=found)
        if item.buttons:  # answer buttons: only a chat gateway (Telegram) is given them
            return gateway.send(to=item.recipient, body=item.body, buttons=item.buttons)
        return gateway.send(to=item.recipient, body=item.body)
    except SendFailed as exc:
        log.warning("outbox %s: %s", item.id, exc)
        return exc
    except Exception as exc:  # a reconciliation lookup that failed: try again later, still uncertain
        log.warning("outbox %s: could not check the provider: %s", item.id, type(exc).__name__)
        return SendFailed(f"could not check the provider: {type(exc).__name__}", permanent=False, uncertain=True)


def _may_leave(session: Session, claimed: list[OutboxMessage], *, now: datetime,
               policy: DeliveryPolicy) -> list[OutboxMessage]:
    """Drop what must never leave, hold what may not leave yet, and return the rest."""
    ready: list[OutboxMessage] = []
    window = now - DAY
    in_batch: dict[str, int] = {}
    global_sent: int | None = None
    for message in claimed:
        if now - message.created_at >= GIVE_UP_AFTER:
            mark_failed(message, now=now, error="not sent in time", permanent=False)  # past GIVE_UP_AFTER: final
            continue
        is_sms = message.channel is OutboxChannel.SMS
        if is_sms and message.purpose != OPT_OUT_CONFIRMATION and _opted_out(session, message.recipient):
            mark_failed(message, now=now, error="the recipient opted out (STOP)", permanent=True)
            continue
        if not message.urgent and message.channel is not OutboxChannel.STAFF:  # an inbox row may wait for nobody
            until = policy.quiet_until(channel=message.channel, recipient=message.recipient, now=now)
            if until is not None:
                hold(message, until=until, reason="quiet hours in the recipient's timezone")
                continue
        if is_sms:
            to_recipient = _sent_since(session, window, recipient=message.recipient) + in_batch.get(
                message.recipient, 0)
            if to_recipient >= policy.per_recipient_cap:
                hold(message, until=_window_frees(session, window, recipient=message.recipient, now=now),
                     reason=f"{policy.per_recipient_cap} SMS to this number in 24 h")
                continue
            if global_sent is None:
                global_sent = _sent_since(session, window)
            if global_sent + sum(in_batch.values()) >= policy.global_cap:
                hold(message, until=_window_frees(session, window, now=now),
                     reason=f"{policy.global_cap} SMS in 24 h (the global cap)")
                log.warning("global SMS cap of %d in 24 h reached; messages are held", policy.global_cap)
                continue
            in_batch[message.recipient] = in_batch.get(message.recipient, 0) + 1
        ready.append(message)
    return ready


def _opted_out(session: Session, phone: str) -> bool:
    return session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == phone)) is not None


def _sent_since(session: Session, since: datetime, *, recipient: str | None = None) -> int:
    query = select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.channel == OutboxChannel.SMS, OutboxMessage.sent_at > since)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return session.scalar(query) or 0


def _window_frees(session: Session, since: datetime, *, now: datetime, recipient: str | None = None) -> datetime:
    """When the oldest message counted in the 24-hour window drops out of it (those in this pass leave now)."""
    query = select(func.min(OutboxMessage.sent_at)).where(
        OutboxMessage.channel == OutboxChannel.SMS, OutboxMessage.sent_at > since)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    oldest = session.scalar(query)
    return max((oldest or now) + DAY, now + timedelta(minutes=1))


class DeliveryLoop:
    """Delivery in a background thread: every interval, and at once when woken (a reply was just committed)."""

    def __init__(self, run: Callable[[], int], *, interval: float) -> None:
        self._run = run
        self._interval = interval
        self._woken = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="delivery", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._woken.set()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()
        self._thread.join(timeout=30)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._woken.wait(self._interval)
            self._woken.clear()
            try:
                while not self._stopping.is_set() and self._run() > 0:
                    pass  # a full or busy outbox: keep going until a pass sends nothing
            except Exception:
                log.exception("delivery pass failed; it runs again at the next interval")
