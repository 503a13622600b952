"""What the call centre does for a caller: find their grievances by phone, file or add on their behalf,
and turn a voice message into a written summary that an office can act on.

Every write records the operator as its actor: the citizen's timeline says the call centre did it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import news
from channels.accept import accept
from channels.voice.calls import transcription_of
from core.errors import Conflict, InvalidInput
from dashboards import actions
from escalation.services import sync
from intake import citizens, normalise, services
from intake.access import Scope
from intake.actors import Actor
from intake.models import Channel, EventKind, Grievance, Status
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from routing.services import Policy

LISTED = 20


@dataclass(frozen=True)
class CallerGrievance:
    grievance: Grievance
    read_out: str  # what the operator reads to the caller, in the caller's language
    update: str | None


def caller_grievances(session: Session, *, phone: str, scope: Scope, timezone: str) -> list[CallerGrievance]:
    """Everything this phone filed on any channel that the operator may see, newest first, with what to read out."""
    citizen = citizens.citizen_by_phone(session, phone)
    if citizen is None:
        return []
    grievances = session.scalars(select(Grievance).where(Grievance.citizen_id == citizen.id, scope.where())
                                 .order_by(Grievance.received_at.desc()).limit(LISTED)).all()
    language = citizen.language or "en"
    return [CallerGrievance(g, news.headline(g, language=language, timezone=timezone),
                            news.last_update(session, g, language=language)) for g in grievances]


def file_for_caller(session: Session, *, phone: str | None, name: str | None, text: str, category: str | None,
                    language: str | None, anonymous: bool, key: str | None, actor: Actor, now: datetime, region: str,
                    model: ActiveModel | None, policy: Policy) -> services.Submitted:
    """A complaint taken on the phone: routed like any other; the caller gets the tracking number by SMS too."""
    draft = GrievanceDraft(text=text, phone=phone, name=name, category=category, language=language,
                           anonymous=anonymous, channel=Channel.CALL_CENTRE)
    return accept(session, draft=draft, actor=actor, now=now, region=region, model=model, policy=policy,
                  idempotency=("call_centre", key) if key else None)


def add_for_caller(session: Session, *, grievance: Grievance, text: str, actor: Actor, now: datetime) -> None:
    """What the caller adds, typed by the operator; an answer to the office's question resumes its work."""
    services.add_citizen_info(session, grievance=grievance, actor=actor, now=now, text=text)
    sync(session, grievance=grievance, now=now)


def voice_messages(session: Session) -> list[tuple[Grievance, str | None]]:
    """Voice messages waiting for a summary, oldest first, with the provider's transcription if any."""
    waiting = session.scalars(select(Grievance).where(Grievance.channel == Channel.VOICE,
                                                      Grievance.status == Status.TRIAGE)
                              .order_by(Grievance.received_at).limit(LISTED)).all()
    return [(g, transcription_of(g)) for g in waiting]


def summarise(session: Session, *, grievance: Grievance, summary: str, office: str | None, category: str | None,
              actor: Actor, scope: Scope, now: datetime, policy: Policy) -> None:
    """The operator's written summary becomes the grievance's text, and the grievance goes to its office.

    The placeholder it replaces is kept on the event; the transfer out of triage is a routing decision
    the classifier learns from, like any other.
    """
    if grievance.channel is not Channel.VOICE or grievance.status is not Status.TRIAGE:
        raise Conflict("only a voice message waiting in triage is summarised here")
    text = normalise.complaint_text(summary)
    if not office:
        raise InvalidInput("choose the office that should act on it", field="office")
    services.record(grievance, kind=EventKind.NOTE, actor=actor, now=now, note=text, public=False,
                    data={"voice_summary": True, "replaced": grievance.text})
    grievance.text = text
    actions.act(session, grievance=grievance, action="transfer", actor=actor, scope=scope, now=now, policy=policy,
                note="summarised from the caller's voice message", office=office, category=category)
