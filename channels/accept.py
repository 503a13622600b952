"""The one entry for every inbound complaint, whatever the channel: store it, route it, link it, acknowledge it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.i18n import say
from escalation.services import sync
from intake import services
from intake.actors import Actor
from intake.models import Channel, Grievance
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from routing.related import link_related
from routing.services import Policy, route_new


def accept(session: Session, *, draft: GrievanceDraft, actor: Actor, now: datetime, region: str,
           idempotency: tuple[str, str] | None = None, telegram_chat_id: int | None = None,
           model: ActiveModel | None = None, policy: Policy | None = None,
           evidence: dict[str, Any] | None = None) -> services.Submitted:
    """Submit (validated, deduplicated), route, start its deadlines, link and acknowledge in one transaction."""
    result = services.submit(session, draft=draft, actor=actor, now=now, region=region, idempotency=idempotency,
                             telegram_chat_id=telegram_chat_id, evidence=evidence)
    if result.created:
        policy = policy or Policy()
        route_new(session, grievance=result.grievance, now=now, model=model, policy=policy)
        session.flush()
        sync(session, grievance=result.grievance, now=now)
        acknowledge_receipt(session, grievance=result.grievance, now=now)
        link_related(session, grievance=result.grievance, now=now, policy=policy)
        session.flush()
    return result


def acknowledge_receipt(session: Session, *, grievance: Grievance, now: datetime) -> bool:
    """Tell the citizen their tracking number and where the complaint went; they are waiting, so it is urgent."""
    language = services.language_of(grievance)
    if grievance.channel is Channel.TELEGRAM:
        return _acknowledge_in_chat(session, grievance=grievance, language=language, now=now)
    if grievance.office is not None:
        body = say(language, "Received, thank you. Tracking no. {tracking}, sent to {office}. "
                   "Reply STATUS {tracking} for news.", tracking=grievance.tracking_number,
                   office=grievance.office.name_in(language))
    else:
        body = say(language, "Received, thank you. Tracking no. {tracking}. Staff will pass it to the right "
                   "office. Reply STATUS {tracking} for news.", tracking=grievance.tracking_number)
    return services.notify_citizen(session, grievance=grievance, body=body, purpose="acknowledgement", now=now,
                                   urgent=True)


def _acknowledge_in_chat(session: Session, *, grievance: Grievance, language: str | None, now: datetime) -> bool:
    """The same acknowledgement in Telegram's words: commands start with a slash."""
    if grievance.office is not None:
        body = say(language, "Received, thank you. Tracking no. {tracking}, sent to {office}. "
                   "Send /status {tracking} for news.", tracking=grievance.tracking_number,
                   office=grievance.office.name_in(language))
    else:
        body = say(language, "Received, thank you. Tracking no. {tracking}. Staff will pass it to the right "
                   "office. Send /status {tracking} for news.", tracking=grievance.tracking_number)
    return services.notify_citizen(session, grievance=grievance, body=body, purpose="acknowledgement", now=now,
                                   urgent=True)
