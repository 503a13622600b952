"""The only writers of the grievance store: submission, the status machine and office actions.

Every function takes keyword arguments and a session, raises DomainError subclasses and never commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, InvalidTransition
from core.i18n import say
from core.outbox import OutboxChannel, enqueue
from intake import normalise, tracking
from intake.actors import Actor
from intake.models import (
    Category,
    Channel,
    Citizen,
    Confidentiality,
    EventKind,
    Grievance,
    GrievanceEvent,
    InboundMessage,
    Status,
)
from intake.schemas import GrievanceDraft

ALLOWED: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.TRIAGE, Status.ASSIGNED}),
    Status.TRIAGE: frozenset({Status.ASSIGNED}),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.AWAITING_CITIZEN, Status.RESOLVED, Status.ASSIGNED}),
    Status.IN_PROGRESS: frozenset({Status.AWAITING_CITIZEN, Status.RESOLVED, Status.ASSIGNED}),
    Status.AWAITING_CITIZEN: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.ASSIGNED}),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),  # the citizen may reopen
    Status.CLOSED: frozenset(),
}
OPEN_STATUSES = frozenset(s for s in Status if s not in (Status.RESOLVED, Status.CLOSED))


@dataclass
class Submitted:
    grievance: Grievance
    created: bool
    secret: str | None  # shown once to the citizen; None when an earlier request already created it


def record(grievance: Grievance, *, kind: EventKind, actor: Actor, now: datetime, note: str | None = None,
           data: dict[str, Any] | None = None, public: bool = False, from_status: Status | None = None,
           to_status: Status | None = None, office_id: int | None = None) -> GrievanceEvent:
    """Append one event; its time never goes before the grievance's last change."""
    at = max(now, grievance.updated_at) if grievance.updated_at else now
    event = GrievanceEvent(kind=kind, at=at, actor_type=actor.type, actor_id=actor.id,
                           actor_role=actor.role.value if actor.role else None, actor_name=actor.name,
                           office_id=office_id if office_id is not None else actor.office_id,
                           from_status=from_status, to_status=to_status, note=note, data=data or {},
                           public=public)
    grievance.events.append(event)
    grievance.updated_at = at
    return event


def transition(session: Session, *, grievance: Grievance, to: Status, actor: Actor, now: datetime,
               note: str | None = None, kind: EventKind = EventKind.STATUS_CHANGED, public: bool = True,
               data: dict[str, Any] | None = None, office_id: int | None = None) -> GrievanceEvent:
    """Move a grievance and record who did it; the only writer of .status."""
    if to not in ALLOWED[grievance.status]:
        raise InvalidTransition(grievance.status.value, to.value)
    event = record(grievance, kind=kind, actor=actor, now=now, note=note, data=data, public=public,
                   from_status=grievance.status, to_status=to, office_id=office_id)
    grievance.status = to
    return event


def submit(session: Session, *, draft: GrievanceDraft, actor: Actor, now: datetime, region: str,
           idempotency: tuple[str, str] | None = None, telegram_chat_id: int | None = None,
           evidence: dict[str, Any] | None = None) -> Submitted:
    """Validate and store a new grievance with its first event, all or nothing.

    `evidence` is what the channel adds to that event (a photo's id, a recording, the survey it answers).

    The acknowledgement is the caller's (channels.accept): it names the office, known only after routing.

    `idempotency` is (provider, key): the same pair again returns the first grievance and writes nothing.
    """
    text = normalise.complaint_text(draft.text)
    name = normalise.one_line(draft.name, field="name", max_chars=200)
    phone = normalise.phone_e164(draft.phone, region=region) if draft.phone and draft.phone.strip() else None
    language = normalise.language_tag(draft.language)
    area = normalise.admin_area(draft.admin_area)
    location = normalise.one_line(draft.location_text, field="location_text", max_chars=500)
    category = _category(session, draft.category)
    request_hash = _hash({"text": text, "name": name, "phone": phone, "language": language, "area": area,
                          "location": location, "category": draft.category, "anonymous": draft.anonymous,
                          "channel": draft.channel.value, "telegram": telegram_chat_id})

    claim: InboundMessage | None = None
    if idempotency is not None:
        claim, earlier = _claim_key(session, provider=idempotency[0], key=idempotency[1],
                                    request_hash=request_hash, now=now)
        if earlier is not None:
            return Submitted(grievance=earlier, created=False, secret=None)

    citizen = find_or_create_citizen(session, phone=phone, chat_id=telegram_chat_id, name=name, language=language,
                                     now=now)
    if citizen is not None and area is not None:
        citizen.admin_area = area  # their latest area routes a later report that names none
    confidentiality = Confidentiality.NORMAL
    if category is not None and category.is_integrity:
        confidentiality = Confidentiality.INTEGRITY
    elif draft.anonymous:
        confidentiality = Confidentiality.ANONYMOUS
    secret = tracking.new_secret()
    grievance = Grievance(channel=draft.channel, text=text, language=language or (citizen and citizen.language),
                          admin_area=area, location_text=location, category=category, citizen=citizen,
                          status=Status.RECEIVED, confidentiality=confidentiality, received_at=now,
                          updated_at=now, secret_hash=tracking.hash_secret(secret))
    session.add(grievance)
    record(grievance, kind=EventKind.SUBMITTED, actor=actor, now=now, public=True, to_status=Status.RECEIVED,
           data={"channel": draft.channel.value, "anonymous": draft.anonymous, **(evidence or {})})
    session.flush()
    grievance.tracking_number = tracking.number_for(grievance.id)
    if claim is not None:
        claim.grievance_id = grievance.id
    return Submitted(grievance=grievance, created=True, secret=secret)


def _hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def _category(session: Session, code: str | None) -> Category | None:
    if code is None or not code.strip():
        return None
    category = session.scalar(select(Category).where(Category.code == code.strip().lower(), Category.active))
    if category is None:
        raise InvalidInput(f"unknown category {code.strip()[:64]!r}; GET /api/v1/categories lists them",
                           field="category")
    return category


def _claim_key(session: Session, *, provider: str, key: str, request_hash: str,
               now: datetime) -> tuple[InboundMessage | None, Grievance | None]:
    """Insert the idempotency key (first element), or return what an earlier request with it created."""
    if not key or len(key) > 128 or not key.isprintable():
        raise InvalidInput("Idempotency-Key must be 1 to 128 printable characters", field="Idempotency-Key")
    existing = _existing_key(session, provider, key)
    if existing is None:
        try:
            with session.begin_nested():
                claim = InboundMessage(provider=provider, provider_message_id=key, request_hash=request_hash,
                                       received_at=now)
                session.add(claim)
            return claim, None
        except IntegrityError:
            existing = _existing_key(session, provider, key)  # a concurrent request won the race
            if existing is None:
                raise
    if existing.request_hash != request_hash:
        raise Conflict("this Idempotency-Key was already used with a different request", field="Idempotency-Key")
    if existing.grievance_id is None:
        raise Conflict("a request with this Idempotency-Key is still being processed; retry shortly")
    return None, session.get(Grievance, existing.grievance_id)


def claim_inbound(session: Session, *, provider: str, key: str, request_hash: str,
                  now: datetime) -> InboundMessage | None:
    """Record a provider's message id (Twilio's MessageSid); None when it was seen before: a retry does nothing."""
    if not key or len(key) > 128 or not key.isprintable():
        raise InvalidInput("the provider's message id must be 1 to 128 printable characters", field="MessageSid")
    if _existing_key(session, provider, key) is not None:
        return None
    try:
        with session.begin_nested():
            claim = InboundMessage(provider=provider, provider_message_id=key, request_hash=request_hash,
                                   received_at=now)
            session.add(claim)
        return claim
    except IntegrityError:
        return None  # a concurrent delivery of the same message won the race


def _existing_key(session: Session, provider: str, key: str) -> InboundMessage | None:
    return session.scalar(select(InboundMessage).where(
        InboundMessage.provider == provider, InboundMessage.provider_message_id == key))


def find_or_create_citizen(session: Session, *, phone: str | None, chat_id: int | None, name: str | None,
             language: str | None, now: datetime) -> Citizen | None:
    """The same phone (or Telegram chat) is the same person on every channel."""
    if phone is None and chat_id is None:
        return None
    column, value = (Citizen.phone, phone) if phone is not None else (Citizen.telegram_chat_id, chat_id)
    citizen = session.scalar(select(Citizen).where(column == value))
    if citizen is None:
        try:
            with session.begin_nested():
                citizen = Citizen(phone=phone, telegram_chat_id=chat_id, name=name, language=language,
                                  created_at=now)
                session.add(citizen)
        except IntegrityError:
            citizen = session.scalar(select(Citizen).where(column == value))
            if citizen is None:
                raise
    if name and not citizen.name:
        citizen.name = name
    if language:
        citizen.language = language
    return citizen


def language_of(grievance: Grievance) -> str | None:
    """The language to write to this citizen in: theirs if known, else the complaint's."""
    if grievance.citizen is not None and grievance.citizen.language:
        return grievance.citizen.language
    return grievance.language


def citizen_channel(*, phone: str | None, telegram_chat_id: int | None, opted_out: bool,
                    channel: Channel) -> tuple[OutboxChannel, str] | None:
    """Where to write to a citizen: SMS unless they complained on Telegram; STOP stops SMS, not a Telegram chat."""
    sms = phone if not opted_out else None
    telegram = str(telegram_chat_id) if telegram_chat_id is not None else None
    if sms and channel != Channel.TELEGRAM:
        return OutboxChannel.SMS, sms
    if telegram:
        return OutboxChannel.TELEGRAM, telegram
    return (OutboxChannel.SMS, sms) if sms else None


def citizen_channel_sql(*, phone: Any, telegram_chat_id: Any, opted_out_at: Any, channel: Any) -> tuple[Any, Any]:
    """`citizen_channel` as SQL expressions (channel, recipient; null: no way to write), for messages the
    database writes by the thousand (the escalation sweep); tests/test_escalation.py checks the two agree."""
    sms = and_(opted_out_at.is_(None), phone != "")
    sms_first = and_(sms, channel != Channel.TELEGRAM)
    telegram = telegram_chat_id.is_not(None)
    return (case((sms_first, OutboxChannel.SMS.value), (telegram, OutboxChannel.TELEGRAM.value),
                 (sms, OutboxChannel.SMS.value)),
            case((sms_first, phone), (telegram, cast(telegram_chat_id, String)), (sms, phone)))


def notify_citizen(session: Session, *, grievance: Grievance, body: str, purpose: str, now: datetime,
                   urgent: bool = False) -> bool:
    """Queue a message on the citizen's own channel; no SMS goes to a number that opted out.

    `urgent` messages (a reply to what the citizen just sent) ignore quiet hours.
    """
    citizen = grievance.citizen
    if citizen is None:
        return False
    chosen = citizen_channel(phone=citizen.phone, telegram_chat_id=citizen.telegram_chat_id,
                             opted_out=citizen.opted_out_at is not None, channel=grievance.channel)
    if chosen is None:
        return False
    channel, recipient = chosen
    enqueue(session, channel=channel, recipient=recipient, body=body, purpose=purpose, now=now,
            grievance_id=grievance.id, citizen_id=citizen.id, urgent=urgent)
    return True


def _office_spoke(grievance: Grievance, now: datetime) -> None:
    """The first public word from an office ends the citizen's silence."""
    if grievance.first_response_at is None:
        grievance.first_response_at = max(now, grievance.received_at)


def _require_office(grievance: Grievance) -> None:
    if grievance.office_id is None:
        raise Conflict("this grievance is not routed to an office yet; transfer it to one first")


def _require_status(grievance: Grievance, allowed: set[Status], action: str) -> None:
    """Some moves are allowed by the table but mean something else: only a resolved grievance reopens."""
    if grievance.status not in allowed:
        raise Conflict(f"a grievance that is {grievance.status.value} cannot be {action}")


def _require_note(note: str | None, what: str) -> str:
    text = normalise.clean_text(note or "", field="note", max_chars=2000, required=False)
    if not text:
        raise InvalidInput(f"{what} needs a note", field="note")
    return text


def acknowledge(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
                note: str | None = None) -> GrievanceEvent:
    """The office says it has the grievance and is working on it."""
    _require_office(grievance)
    _require_status(grievance, {Status.ASSIGNED}, "acknowledged (only a newly assigned one is)")
    text = normalise.clean_text(note or "", field="note", max_chars=2000, required=False) or None
    event = transition(session, grievance=grievance, to=Status.IN_PROGRESS, actor=actor, now=now, note=text,
                       kind=EventKind.ACKNOWLEDGED, office_id=grievance.office_id)
    _office_spoke(grievance, event.at)
    language = language_of(grievance)
    office = grievance.office.name_in(language) if grievance.office else say(language, "the office")
    body = say(language, "{tracking}: {office} is working on your complaint.", tracking=grievance.tracking_number,
               office=office)
    notify_citizen(session, grievance=grievance, now=now, purpose="acknowledged",
                   body=f"{body} {text}" if text else body)
    return event


def respond(session: Session, *, grievance: Grievance, actor: Actor, now: datetime, note: str | None) -> GrievanceEvent:
    """A public reply to the citizen; it goes out on their channel."""
    _require_office(grievance)
    text = _require_note(note, "a response")
    if grievance.status == Status.ASSIGNED:
        event = transition(session, grievance=grievance, to=Status.IN_PROGRESS, actor=actor, now=now, note=text,
                           kind=EventKind.RESPONDED, office_id=grievance.office_id)
    elif grievance.status in (Status.IN_PROGRESS, Status.AWAITING_CITIZEN):
        event = record(grievance, kind=EventKind.RESPONDED, actor=actor, now=now, note=text, public=True,
                       office_id=grievance.office_id)
    else:
        raise Conflict(f"a grievance that is {grievance.status.value} cannot get a response; reopen it first")
    _office_spoke(grievance, event.at)
    notify_citizen(session, grievance=grievance, now=now, purpose="response",
                   body=f"{grievance.tracking_number}: {text}")
    return event


def request_info(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
                 note: str | None) -> GrievanceEvent:
    """Ask the citizen for more; the grievance waits for their answer."""
    _require_office(grievance)
    text = _require_note(note, "a request for information")
    event = transition(session, grievance=grievance, to=Status.AWAITING_CITIZEN, actor=actor, now=now, note=text,
                       kind=EventKind.INFO_REQUESTED, office_id=grievance.office_id)
    _office_spoke(grievance, event.at)
    notify_citizen(session, grievance=grievance, now=now, purpose="info_request",
                   body=say(language_of(grievance), "{tracking}: {text} Reply to this message to answer.",
                            tracking=grievance.tracking_number, text=text))
    return event


def add_note(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
             note: str | None) -> GrievanceEvent:
    """An internal note for staff; the citizen never sees it."""
    text = _require_note(note, "an internal note")
    return record(grievance, kind=EventKind.NOTE, actor=actor, now=now, note=text, public=False)


def resolve(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
            note: str | None) -> GrievanceEvent:
    """Resolve with a note saying what was done; the citizen is told and may reopen."""
    _require_office(grievance)
    text = _require_note(note, "a resolution")
    event = transition(session, grievance=grievance, to=Status.RESOLVED, actor=actor, now=now, note=text,
                       kind=EventKind.RESOLVED, office_id=grievance.office_id)
    _office_spoke(grievance, event.at)
    grievance.resolved_at = event.at
    notify_citizen(session, grievance=grievance, now=now, purpose="resolved",
                   body=say(language_of(grievance), "{tracking} resolved: {text}", tracking=grievance.tracking_number,
                            text=text))
    return event


def reopen(session: Session, *, grievance: Grievance, actor: Actor, now: datetime, note: str | None) -> GrievanceEvent:
    """A resolved grievance goes back to work, with the reason."""
    _require_status(grievance, {Status.RESOLVED}, "reopened (only a resolved one is)")
    text = _require_note(note, "reopening")
    event = transition(session, grievance=grievance, to=Status.IN_PROGRESS, actor=actor, now=now, note=text,
                       kind=EventKind.REOPENED, office_id=grievance.office_id)
    grievance.resolved_at = None
    grievance.reopen_count += 1
    return event


def close(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
          note: str | None = None) -> GrievanceEvent:
    """Close a resolved grievance for good."""
    text = normalise.clean_text(note or "", field="note", max_chars=2000, required=False) or None
    event = transition(session, grievance=grievance, to=Status.CLOSED, actor=actor, now=now, note=text,
                       kind=EventKind.CLOSED, office_id=grievance.office_id)
    grievance.closed_at = event.at
    return event


def add_citizen_info(session: Session, *, grievance: Grievance, actor: Actor, now: datetime,
                     text: str) -> GrievanceEvent:
    """The citizen adds to their grievance; an answer to a request for information resumes the work."""
    body = normalise.complaint_text(text)
    if grievance.status == Status.CLOSED:
        raise Conflict("this grievance is closed; please submit a new one")
    if grievance.status == Status.AWAITING_CITIZEN:
        return transition(session, grievance=grievance, to=Status.IN_PROGRESS, actor=actor, now=now, note=body,
                          kind=EventKind.CITIZEN_ADDED, public=True)
    return record(grievance, kind=EventKind.CITIZEN_ADDED, actor=actor, now=now, note=body, public=True)
