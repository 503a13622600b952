"""The one entry for every inbound complaint, whatever the channel: store it, route it, link it to its case."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from intake import services
from intake.actors import Actor
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from routing.related import link_related
from routing.services import Policy, route_new


def accept(session: Session, *, draft: GrievanceDraft, actor: Actor, now: datetime, region: str,
           idempotency: tuple[str, str] | None = None, telegram_chat_id: int | None = None,
           model: ActiveModel | None = None, policy: Policy | None = None) -> services.Submitted:
    """Submit (validated, deduplicated, acknowledged), route and link in the caller's one transaction."""
    result = services.submit(session, draft=draft, actor=actor, now=now, region=region, idempotency=idempotency,
                             telegram_chat_id=telegram_chat_id)
    if result.created:
        policy = policy or Policy()
        route_new(session, grievance=result.grievance, now=now, model=model, policy=policy)
        session.flush()
        link_related(session, grievance=result.grievance, now=now, policy=policy)
        session.flush()
    return result
