"""Survey answers arriving on any channel: the citizen's open survey moves on, and a bad answer opens a grievance.

"What went wrong?" becomes a grievance routed by the classifier (to the office that delivered the
service when the classifier is unsure) and linked to the delivery; "yes" to extra payment becomes an
integrity grievance that only oversight sees; a low score after a resolution reopens the grievance.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels.accept import accept
from core.errors import Conflict
from escalation.services import sync
from intake import services
from intake.actors import SYSTEM, citizen_actor
from intake.models import Category, Channel, Grievance, Office, Status
from intake.schemas import GrievanceDraft
from routing.registry import ActiveModel
from routing.services import Policy, transfer
from surveys.conversation import Opens, answer, is_open
from surveys.deliveries import delivery_day
from surveys.models import ServiceDelivery, Survey, SurveyStatus, SurveyStep


@dataclass(frozen=True)
class SurveyContext:
    region: str
    ask_payment: bool
    model: ActiveModel | None
    policy: Policy


@dataclass(frozen=True)
class Taken:
    taken: bool
    reply: str | None = None
    buttons: list[list[str]] | None = None
    grievance: Grievance | None = None


def open_survey(session: Session, *, channel: str, recipient: str) -> Survey | None:
    """The survey this citizen is in the middle of (the latest one sent), if any."""
    return session.scalar(select(Survey).where(Survey.recipient == recipient, Survey.channel == channel,
                                               Survey.status == SurveyStatus.SENT, Survey.step != SurveyStep.DONE)
                          .order_by(Survey.sent_at.desc(), Survey.id.desc()).limit(1))


def take(session: Session, *, survey: Survey, text: str, now: datetime, context: SurveyContext,
         from_button: bool = False) -> Taken:
    """Move the survey on by this reply; `taken` is False when the text answers nothing (a new complaint)."""
    if not is_open(survey):
        return Taken(False)
    result = answer(survey, text=text, now=now, ask_payment=context.ask_payment, from_button=from_button)
    if not result.taken:
        return Taken(False)
    grievance = None
    if result.opens is Opens.FOLLOWUP:
        grievance = _followup(session, survey=survey, text=result.text or text, now=now, context=context)
        survey.followup_grievance_id = grievance.id
    elif result.opens is Opens.INTEGRITY:
        grievance = _integrity(session, survey=survey, now=now, context=context)
        survey.integrity_grievance_id = grievance.id if grievance else None
    elif result.opens is Opens.REOPEN:
        grievance = _reopen(session, survey=survey, text=result.text or text, now=now)
    return Taken(True, result.reply, result.buttons, grievance)


def _draft(survey: Survey, text: str, **extra: object) -> tuple[GrievanceDraft, int | None]:
    chat = int(survey.recipient) if survey.channel == "telegram" else None
    phone = survey.recipient if survey.channel == "sms" else None
    return GrievanceDraft(text=text, phone=phone, channel=Channel.SURVEY, language=survey.language, **extra), chat


def _evidence(session: Session, survey: Survey) -> dict[str, object]:
    """What the grievance's first event records: which survey and delivery it came from."""
    delivery = session.get(ServiceDelivery, survey.delivery_id) if survey.delivery_id else None
    return {"survey_id": survey.id, "service": survey.service,
            "delivery_reference": delivery.reference if delivery else None}


def _followup(session: Session, *, survey: Survey, text: str, now: datetime, context: SurveyContext) -> Grievance:
    draft, chat = _draft(survey, text)
    result = accept(session, draft=draft, actor=citizen_actor(None), now=now, region=context.region,
                    telegram_chat_id=chat, model=context.model, policy=context.policy,
                    evidence=_evidence(session, survey))
    grievance = result.grievance
    if grievance.status is Status.TRIAGE:  # the classifier is unsure: the office that served them starts it
        office = session.get(Office, survey.office_id)
        transfer(session, grievance=grievance, to_office=office, actor=SYSTEM, now=now, policy=context.policy,
                 note="a survey answer about a service this office delivered")
        session.flush()
        sync(session, grievance=grievance, now=now)
    return grievance


def _integrity(session: Session, *, survey: Survey, now: datetime, context: SurveyContext) -> Grievance | None:
    category = session.scalar(select(Category).where(Category.is_integrity, Category.active)
                              .order_by(Category.id).limit(1))
    if category is None:
        return None
    office = session.get(Office, survey.office_id)
    delivery = session.get(ServiceDelivery, survey.delivery_id) if survey.delivery_id else None
    when = (delivery_day(delivered_at=delivery.delivered_at, timezone=office.timezone).isoformat()
            if delivery and office else "-")
    text = (f"In a survey the citizen said they were asked for extra payment for the service "
            f"'{survey.service or '-'}' at {office.name if office else '-'} on {when}.")
    area = (office.jurisdiction or [None])[0] if office else None
    draft, chat = _draft(survey, text, category=category.code, admin_area=area)
    return accept(session, draft=draft, actor=citizen_actor(None), now=now, region=context.region,
                  telegram_chat_id=chat, model=context.model, policy=context.policy,
                  evidence=_evidence(session, survey)).grievance


def _reopen(session: Session, *, survey: Survey, text: str, now: datetime) -> Grievance | None:
    grievance = session.get(Grievance, survey.grievance_id) if survey.grievance_id else None
    if grievance is None:
        return None
    actor = citizen_actor(grievance.citizen_id)
    try:
        with session.begin_nested():
            if grievance.status is Status.RESOLVED:
                services.reopen(session, grievance=grievance, actor=actor, now=now, note=text)
            else:  # the office already reopened it, or it was closed meanwhile: the words still reach it
                services.add_citizen_info(session, grievance=grievance, actor=actor, now=now, text=text)
            sync(session, grievance=grievance, now=now)
    except Conflict:
        return None
    return grievance
