"""Sends what the outbox holds: claim due rows, hand each to its gateway, record the outcome."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from channels.gateways import SendFailed, Sent, SmsGateway
from core.db import transaction
from core.outbox import OutboxChannel, OutboxMessage, claim_due, mark_failed, mark_sent

log = logging.getLogger(__name__)


def deliver_due(factory: sessionmaker[Session], *, gateways: Mapping[OutboxChannel, SmsGateway], now: datetime,
                batch: int = 50) -> int:
    """One delivery pass; returns how many messages were handed over.

    The claim commits before any network call and each outcome commits on its own, so a slow
    provider never holds a database lock and one bad message never undoes the others.
    """
    with transaction(factory) as session:
        work = [(m.id, m.channel, m.recipient, m.body) for m in claim_due(session, now=now, limit=batch)]
    sent = 0
    for message_id, channel, recipient, body in work:
        gateway = gateways.get(channel)
        outcome: Sent | SendFailed
        if gateway is None:
            outcome = SendFailed(f"no gateway configured for {channel.value}", permanent=True)
        else:
            try:
                outcome = gateway.send(to=recipient, body=body)
            except SendFailed as exc:
                log.warning("outbox %s: %s", message_id, exc)
                outcome = exc
        with transaction(factory) as session:
            message = session.get(OutboxMessage, message_id)
            if message is None:
                continue
            if isinstance(outcome, SendFailed):
                mark_failed(message, now=now, error=str(outcome), permanent=outcome.permanent)
            else:
                mark_sent(message, now=now, gateway=gateway.name, provider_id=outcome.provider_id)
                sent += 1
    return sent
