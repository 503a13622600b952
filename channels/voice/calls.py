"""What a call changes in the store: a recorded message filed for triage, its transcription, the caller's news.

A recording is not routed by the classifier: a person listens to it and writes the summary the
office will read (dashboards/calls_page.py), so every voice grievance waits in triage.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from channels import news
from channels.accept import acknowledge_receipt
from core.errors import InvalidInput
from escalation.services import sync
from intake import citizens, services
from intake.actors import SYSTEM, citizen_actor
from intake.models import Channel, EventKind, Grievance, InboundMessage, Status
from intake.normalise import phone_e164
from intake.schemas import GrievanceDraft

PROVIDER = "twilio-voice"
MIN_SECONDS = 2  # shorter is a hang-up or silence, not a message
LISTED = 3


@dataclass(frozen=True)
class Recording:
    sid: str
    url: str
    seconds: int
    call_sid: str
    caller: str | None  # E.164, or None when the number was withheld


def placeholder(seconds: int) -> str:
    """The grievance's text until an operator writes the summary."""
    return f"[Voice message, {seconds} s: an operator will listen to it and write a summary.]"


def file_recording(session: Session, *, recording: Recording, language: str, now: datetime,
                   region: str) -> Grievance | None:
    """The recording as a grievance in triage, acknowledged by SMS; the same recording again files nothing.

    None when the message is too short to be one (the caller hung up at the beep).
    """
    if recording.seconds < MIN_SECONDS:
        return None
    known = citizens.citizen_by_phone(session, recording.caller) if recording.caller else None
    draft = GrievanceDraft(text=placeholder(recording.seconds), phone=recording.caller, channel=Channel.VOICE,
                           language=language)
    result = services.submit(session, draft=draft, actor=citizen_actor(known.id if known else None), now=now,
                             region=region, idempotency=(PROVIDER, recording.sid),
                             evidence={"recording_url": recording.url, "recording_sid": recording.sid,
                                       "recording_seconds": recording.seconds, "call_sid": recording.call_sid})
    grievance = result.grievance
    if not result.created:
        return grievance
    services.transition(session, grievance=grievance, to=Status.TRIAGE, actor=SYSTEM, now=now, kind=EventKind.ROUTED,
                        data={"office": None, "source": "voice",
                              "reason": "a voice message: an operator listens to it and writes a summary"})
    session.flush()
    sync(session, grievance=grievance, now=now)
    acknowledge_receipt(session, grievance=grievance, now=now)
    return grievance


def add_transcription(session: Session, *, recording_sid: str, text: str, status: str, now: datetime) -> bool:
    """Keep the provider's transcription next to the recording, once; False when there is nothing to add it to."""
    grievance_id = session.scalar(select(InboundMessage.grievance_id).where(
        InboundMessage.provider == PROVIDER, InboundMessage.provider_message_id == recording_sid))
    grievance = session.get(Grievance, grievance_id) if grievance_id is not None else None
    if grievance is None:
        return False
    if any(event.kind is EventKind.NOTE and "transcription" in event.data for event in grievance.events):
        return True  # a repeated callback
    if status != "completed" or not text.strip():
        text = ""
    services.record(grievance, kind=EventKind.NOTE, actor=SYSTEM, now=now, public=False,
                    note=text.strip()[:5000] or None,
                    data={"transcription": status, "digest": hashlib.sha256(text.encode()).hexdigest()[:16]})
    return True


def transcription_of(grievance: Grievance) -> str | None:
    for event in grievance.events:
        if event.kind is EventKind.NOTE and "transcription" in event.data:
            return event.note
    return None


def caller_news(session: Session, *, phone: str | None, language: str) -> list[tuple[str, str]]:
    """(tracking number, state in words) of the caller's latest grievances, open ones first."""
    citizen = citizens.citizen_by_phone(session, phone) if phone else None
    if citizen is None:
        return []
    grievances = session.scalars(
        select(Grievance).where(Grievance.citizen_id == citizen.id)
        .order_by(Grievance.status.in_(services.OPEN_STATUSES).desc(), Grievance.id.desc()).limit(LISTED)).all()
    return [(g.tracking_number, news.state(g, language)) for g in grievances]


def caller_phone(raw: str, *, region: str) -> str | None:
    """The caller's number in E.164, or None when withheld ('anonymous', 'restricted', empty) or unreadable."""
    try:
        return phone_e164(raw, region=region) if raw.strip() else None
    except InvalidInput:
        return None
