"""Twilio's webhook protocol (also spoken by Somleng): signatures, the TwiML answer, and status callbacks.

The signature covers the URL Twilio called, so it is checked against REDRESS_PUBLIC_BASE_URL + path:
behind a proxy the URL the app sees is not the one Twilio signed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.request_validator import RequestValidator, get_signature_algorithm
from twilio.twiml.messaging_response import MessagingResponse

from channels.gateways import UNSUBSCRIBED
from core.outbox import FINAL_DELIVERY, OutboxChannel, OutboxMessage, record_delivery
from intake.actors import SYSTEM
from intake.citizens import opt_out
from intake.models import EventKind, Grievance
from intake.services import record

log = logging.getLogger(__name__)
EMPTY_TWIML = str(MessagingResponse())  # replies leave through the outbox, never in the webhook answer


def signed_url(public_base_url: str, path: str, query: str = "") -> str:
    """The URL Twilio signed: the public base URL, the path, and the query string if there was one."""
    url = public_base_url.rstrip("/") + path
    return f"{url}?{query}" if query else url


def signature_valid(*, auth_token: str, url: str, params: Mapping[str, str], signature: str | None,
                    settings_header: str | None = None) -> bool:
    """The SDK's own validator; a missing signature or token is never valid."""
    if not auth_token or not signature:
        return False
    algorithm = get_signature_algorithm(settings_header) if settings_header else None
    return RequestValidator(auth_token).validate(url, dict(params), signature, algorithm)


def record_status(session: Session, *, message_sid: str, status: str, error_code: int | None,
                  now: datetime) -> bool:
    """Apply a delivery status callback once and in order; the final word goes on the grievance timeline.

    Error 21610 means the citizen opted out at the carrier: nothing more is sent to them.
    """
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.provider_id == message_sid,
                                                         OutboxMessage.channel == OutboxChannel.SMS))
    if message is None:
        log.info("status callback for an unknown message %s", message_sid[:40])
        return False
    if error_code == UNSUBSCRIBED:
        opt_out(session, phone=message.recipient, now=now)
    if not record_delivery(message, status=status, error_code=error_code, now=now):
        return False
    if message.delivery_status in FINAL_DELIVERY and message.grievance_id is not None:
        grievance = session.get(Grievance, message.grievance_id)
        if grievance is not None:
            record(grievance, kind=EventKind.DELIVERY, actor=SYSTEM, now=now, public=False,
                   data={"outbox_id": message.id, "purpose": message.purpose, "status": message.delivery_status,
                         "error_code": error_code})
    return True
