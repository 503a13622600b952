"""The one entry for every inbound complaint, whatever the channel: store it, then route it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from intake import services
from intake.actors import Actor
from intake.schemas import GrievanceDraft
from routing.services import route_new


def accept(session: Session, *, draft: GrievanceDraft, actor: Actor, now: datetime, region: str,
           idempotency: tuple[str, str] | None = None, telegram_chat_id: int | None = None) -> services.Submitted:
    """Submit (validated, deduplicated, acknowledged) and route in the caller's one transaction."""
    result = services.submit(session, draft=draft, actor=actor, now=now, region=region, idempotency=idempotency,
                             telegram_chat_id=telegram_chat_id)
    if result.created:
        route_new(session, grievance=result.grievance, now=now)
        session.flush()
    return result
