"""The surveys job: schedule a survey for each new delivery and resolved grievance, send due invitations in
allowed hours at the provider's rate, remind once, and close what expired.

Each step is set-based (a few queries for thousands of rows) and safe to re-run: a survey's unique key
makes scheduling happen once, and an invitation is sent by a compare-and-set on its status.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import and_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import bulk_insert, transaction
from core.i18n import best, say
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from core.segments import gsm_safe
from intake.models import Channel, Citizen, Grievance, Office, Status
from intake.normalise import timezone_of
from intake.services import citizen_channel
from surveys.conversation import score_buttons
from surveys.deliveries import delivery_day
from surveys.models import ServiceDelivery, Survey, SurveyKind, SurveyStatus, SurveyStep
from surveys.policy import SurveyPolicy, inside, next_allowed, sampled

log = logging.getLogger(__name__)
BATCH = 20_000


@dataclass
class Counts:
    scheduled: int = 0
    skipped: int = 0
    sent: int = 0
    reminded: int = 0
    expired: int = 0

    def total(self) -> int:
        return self.scheduled + self.sent + self.reminded + self.expired


def run(factory: sessionmaker[Session], *, now: datetime, policy: SurveyPolicy) -> Counts:
    counts = Counts()
    with transaction(factory) as session:
        recent = recently_surveyed(session, now=now, policy=policy)  # read once: both schedulers add to it
        schedule_deliveries(session, now=now, policy=policy, counts=counts, recent=recent)
    with transaction(factory) as session:
        schedule_resolutions(session, now=now, policy=policy, counts=counts, recent=recent)
    with transaction(factory) as session:
        send_due(session, now=now, policy=policy, counts=counts)
    with transaction(factory) as session:
        remind_and_expire(session, now=now, policy=policy, counts=counts)
    log.info("surveys: %s", counts)
    return counts


def _zone(recipient: str, channel: str, policy: SurveyPolicy) -> ZoneInfo:
    return ZoneInfo(timezone_of(recipient, policy.default_timezone) if channel == "sms" else policy.default_timezone)


def recently_surveyed(session: Session, *, now: datetime, policy: SurveyPolicy) -> set[str]:
    """Recipients with a survey sent, or about to be, within the last N days."""
    if not policy.every:
        return set()
    since = now - policy.every
    return set(session.scalars(select(Survey.recipient).where(
        Survey.status.in_((SurveyStatus.SCHEDULED, SurveyStatus.SENT, SurveyStatus.ANSWERED, SurveyStatus.EXPIRED)),
        Survey.due_at >= since)))


def schedule_deliveries(session: Session, *, now: datetime, policy: SurveyPolicy, counts: Counts,
                        recent: set[str]) -> None:
    """A survey row for every delivery without one: scheduled in allowed hours, or skipped with the reason.

    `recent`: recipients surveyed within the policy's days; those scheduled here are added to it."""
    offices = dict(session.execute(select(Office.id, Office.code)).all())
    while True:
        rows = session.execute(
            select(ServiceDelivery.id, ServiceDelivery.reference, ServiceDelivery.phone, ServiceDelivery.office_id,
                   ServiceDelivery.service, ServiceDelivery.delivered_at, Citizen.opted_out_at, Citizen.language)
            .outerjoin(Survey, Survey.delivery_id == ServiceDelivery.id)
            .outerjoin(Citizen, Citizen.phone == ServiceDelivery.phone)
            .where(Survey.id.is_(None)).order_by(ServiceDelivery.id).limit(BATCH)).all()
        if not rows:
            return
        surveys = []
        for delivery_id, reference, phone, office_id, service, delivered_at, opted_out, language in rows:
            reason = None
            if opted_out is not None:
                reason = "opted_out"
            elif not sampled(reference, policy.rate(offices[office_id], service)):
                reason = "not_sampled"
            elif phone in recent:
                reason = "surveyed_recently"
            due = next_allowed(max(delivered_at + policy.delay, now), _zone(phone, "sms", policy), policy.window)
            if reason is None:
                recent.add(phone)
            surveys.append(_row(key=f"delivery:{delivery_id}", kind=SurveyKind.DELIVERY, delivery_id=delivery_id,
                                office_id=office_id, service=service, channel="sms", recipient=phone,
                                language=best(language) if language else policy.language, due=due, now=now,
                                skip=reason))
            counts.skipped += reason is not None
            counts.scheduled += reason is None
        bulk_insert(session, Survey.__table__, surveys)


def _row(*, key: str, kind: SurveyKind, office_id: int, channel: str, recipient: str, language: str, due: datetime,
         now: datetime, skip: str | None, delivery_id: int | None = None, grievance_id: int | None = None,
         service: str | None = None) -> dict[str, object]:
    return {"key": key, "kind": kind.value, "delivery_id": delivery_id, "grievance_id": grievance_id,
            "office_id": office_id, "service": service, "channel": channel, "recipient": recipient,
            "language": language, "status": (SurveyStatus.SKIPPED if skip else SurveyStatus.SCHEDULED).value,
            "step": SurveyStep.SCORE.value, "skip_reason": skip, "due_at": due, "clarified": False, "created_at": now,
            "sent_at": None, "reminded_at": None, "expires_at": None, "answered_at": None, "score": None,
            "paid": None, "comment": None, "followup_grievance_id": None, "integrity_grievance_id": None}


def schedule_resolutions(session: Session, *, now: datetime, policy: SurveyPolicy, counts: Counts,
                         recent: set[str]) -> None:
    """'Was your complaint resolved?' for each grievance resolved since last asked (a reopening asks again)."""
    rows = session.execute(
        select(Grievance.id, Grievance.reopen_count, Grievance.office_id, Grievance.channel, Grievance.resolved_at,
               Grievance.language, Citizen.phone, Citizen.telegram_chat_id, Citizen.opted_out_at, Citizen.language)
        .join(Citizen, Citizen.id == Grievance.citizen_id)
        .outerjoin(Survey, and_(Survey.grievance_id == Grievance.id, Survey.kind == SurveyKind.RESOLUTION,
                                Survey.key == "resolution:" + Grievance.id.cast(Survey.key.type) + ":"
                                + Grievance.reopen_count.cast(Survey.key.type)))
        .where(Grievance.status == Status.RESOLVED, Grievance.office_id.is_not(None), Survey.id.is_(None))
        .limit(BATCH)).all()
    surveys = []
    for gid, round_, office_id, channel, resolved_at, g_language, phone, chat, opted_out, c_language in rows:
        chosen = citizen_channel(phone=phone, telegram_chat_id=chat, opted_out=opted_out is not None,
                                 channel=Channel(channel))
        skip = "no_channel" if chosen is None else ("surveyed_recently" if chosen[1] in recent else None)
        outbox_channel, recipient = chosen if chosen else (OutboxChannel.SMS, phone or "-")
        kind = "telegram" if outbox_channel is OutboxChannel.TELEGRAM else "sms"
        due = next_allowed(max(resolved_at + policy.delay, now), _zone(recipient, kind, policy), policy.window)
        if skip is None:
            recent.add(recipient)
        surveys.append(_row(key=f"resolution:{gid}:{round_}", kind=SurveyKind.RESOLUTION, grievance_id=gid,
                            office_id=office_id, channel=kind, recipient=recipient,
                            language=best(c_language or g_language) if (c_language or g_language) else policy.language,
                            due=due, now=now, skip=skip))
        counts.skipped += skip is not None
        counts.scheduled += skip is None
    bulk_insert(session, Survey.__table__, surveys)


def send_due(session: Session, *, now: datetime, policy: SurveyPolicy, counts: Counts) -> None:
    """Hand due invitations to the outbox, spaced at the provider's rate; only inside the citizen's allowed hours.

    Set-based: one read of the due rows, one bulk insert of the messages, one update per chunk of ids that
    only moves rows still scheduled (a concurrent run cannot send the same invitation twice).
    """
    due = session.execute(
        select(Survey.id, Survey.kind, Survey.channel, Survey.recipient, Survey.language, Survey.office_id,
               Survey.grievance_id, ServiceDelivery.delivered_at, Citizen.opted_out_at)
        .outerjoin(ServiceDelivery, ServiceDelivery.id == Survey.delivery_id)
        .outerjoin(Citizen, and_(Survey.channel == "sms", Citizen.phone == Survey.recipient))
        .where(Survey.status == SurveyStatus.SCHEDULED, Survey.due_at <= now)
        .order_by(Survey.due_at).limit(policy.per_run() * 4)).all()
    offices = _offices(session)
    spacing = timedelta(seconds=60 / policy.rate_per_minute)
    messages, sending, stopped = [], [], []
    for row in due:
        if len(sending) >= policy.per_run():
            break
        if row.opted_out_at is not None:
            stopped.append(row.id)
            continue
        if not inside(now, _zone(row.recipient, row.channel, policy), policy.window):
            continue  # its allowed hours come round again; the next run sends it
        body = invitation(kind=row.kind, language=row.language, channel=row.channel, office=offices[row.office_id],
                          delivered_at=row.delivered_at)
        messages.append(_message(channel=row.channel, recipient=row.recipient, grievance_id=row.grievance_id,
                                 body=body, purpose="survey", now=now, at=now + spacing * len(sending),
                                 buttons=score_buttons(row.id, row.channel)))
        sending.append(row.id)
    claim = session.begin_nested()
    if _move(session, sending, status=SurveyStatus.SENT, sent_at=now,
             expires_at=now + policy.expire_after) != len(sending):
        claim.rollback()  # another run took some of them: this one sends nothing, that one sends them
        log.warning("surveys: another run is sending invitations; this one stops")
        return
    claim.commit()
    _move(session, stopped, status=SurveyStatus.SKIPPED, skip_reason="opted_out")
    bulk_insert(session, OutboxMessage.__table__, messages)
    counts.sent += len(sending)


def _move(session: Session, ids: list[int], **values: object) -> int:
    moved = 0
    for start in range(0, len(ids), 5_000):
        moved += session.execute(update(Survey).where(Survey.id.in_(ids[start:start + 5_000]),
                                                      Survey.status == SurveyStatus.SCHEDULED)
                                 .values(**values).execution_options(synchronize_session=False)).rowcount or 0
    return moved


def _message(*, channel: str, recipient: str, grievance_id: int | None, body: str, purpose: str, now: datetime,
             at: datetime, buttons: list[list[str]] | None) -> dict[str, object]:
    outbox = OutboxChannel.TELEGRAM if channel == "telegram" else OutboxChannel.SMS
    return {"channel": outbox.value, "recipient": recipient,
            "body": body, "purpose": purpose,  # invitation() made SMS text GSM-safe
            "grievance_id": grievance_id, "citizen_id": None, "status": OutboxStatus.PENDING.value,
            "attempts": 0, "created_at": now, "next_attempt_at": at, "claimed_at": None, "sent_at": None,
            "gateway": None, "provider_id": None, "last_error": None, "urgent": False, "uncertain": False,
            "delivery_status": None, "delivery_status_at": None, "error_code": None, "buttons": buttons}


def _offices(session: Session) -> dict[int, Office]:
    return {office.id: office for office in session.scalars(select(Office))}


def invitation(*, kind: SurveyKind, language: str, channel: str, office: Office, delivered_at: datetime | None,
               reminder: bool = False) -> str:
    """The invitation's words, naming the day of the service (not of the invitation, which may come days later);
    the same for every citizen of one office, day and language, so computed once."""
    day = delivery_day(delivered_at=delivered_at, timezone=office.timezone) if delivered_at else None
    return _invitation(SurveyKind(kind), language, channel, office.name, day, reminder)


@lru_cache(maxsize=4096)
def _invitation(kind: SurveyKind, language: str, channel: str, office: str, day: date | None, reminder: bool) -> str:
    if kind is SurveyKind.RESOLUTION:
        text = say(language, "{office} says your complaint is resolved. Was it? Reply 1 (not at all) to 5 (fully).",
                   office=office)
    else:
        assert day is not None  # a delivery survey lives only as long as its delivery (ON DELETE CASCADE)
        text = say(language, "How was the service at {office} on {date}? Reply 1 (very bad) to 5 (very good).",
                   office=office, date=format_date(day, "d MMM", locale=language))
    if reminder:
        text = say(language, "Reminder:") + " " + text
    text += " " + say(language, "STOP: no more SMS.") if channel == "sms" else ""
    return gsm_safe(text) if channel == "sms" else text


def remind_and_expire(session: Session, *, now: datetime, policy: SurveyPolicy, counts: Counts) -> None:
    """One reminder to whoever has not answered Q1 (in allowed hours); then the survey closes at its expiry."""
    expired = session.execute(update(Survey).where(Survey.status == SurveyStatus.SENT, Survey.expires_at <= now)
                              .values(status=SurveyStatus.EXPIRED).execution_options(synchronize_session=False))
    counts.expired += expired.rowcount or 0
    waiting = session.execute(
        select(Survey, ServiceDelivery.delivered_at)
        .outerjoin(ServiceDelivery, ServiceDelivery.id == Survey.delivery_id)
        .where(Survey.status == SurveyStatus.SENT, Survey.step == SurveyStep.SCORE, Survey.score.is_(None),
               Survey.reminded_at.is_(None), Survey.sent_at <= now - policy.reminder_after)
        .limit(policy.per_run())).all()
    offices = _offices(session)
    messages = []
    for survey, delivered_at in waiting:
        if not inside(now, _zone(survey.recipient, survey.channel, policy), policy.window):
            continue
        body = invitation(kind=survey.kind, language=survey.language, channel=survey.channel,
                          office=offices[survey.office_id], delivered_at=delivered_at, reminder=True)
        messages.append(_message(channel=survey.channel, recipient=survey.recipient,
                                 grievance_id=survey.grievance_id, body=body, purpose="survey_reminder", now=now,
                                 at=now, buttons=score_buttons(survey.id, survey.channel)))
        survey.reminded_at = now
    session.flush()
    bulk_insert(session, OutboxMessage.__table__, messages)
    counts.reminded += len(messages)
