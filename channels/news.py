"""What a citizen is told about their grievance on any channel: its state in plain words and the latest news."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import times
from core.i18n import say
from intake.models import EventKind, Grievance, GrievanceEvent, Status

UPDATE_KINDS = (EventKind.ACKNOWLEDGED, EventKind.RESPONDED, EventKind.INFO_REQUESTED, EventKind.RESOLVED)


def state(grievance: Grievance, language: str) -> str:
    office = grievance.office.name_in(language) if grievance.office else ""
    return {
        Status.RECEIVED: say(language, "with staff, to go to the right office"),
        Status.TRIAGE: say(language, "with staff, to go to the right office"),
        Status.ASSIGNED: say(language, "sent to {office}", office=office),
        Status.IN_PROGRESS: say(language, "{office} is working on it", office=office),
        Status.AWAITING_CITIZEN: say(language, "{office} needs more information from you", office=office),
        Status.RESOLVED: say(language, "resolved"),
        Status.CLOSED: say(language, "closed"),
    }[grievance.status]


def zone_of(grievance: Grievance, *, default: str) -> str:
    """The zone a citizen is shown times in, on every channel: that of the office handling the grievance, whose
    deadlines are counted in it, so a date promised reads as the office means it; before routing, the service's."""
    return grievance.office.timezone if grievance.office else default


def headline(grievance: Grievance, *, language: str, timezone: str) -> str:
    """'K7MQ-4QXD: sent to Ward 4 office (16 Nov).': the day in the citizen's zone (`timezone` before routing)."""
    local = grievance.updated_at.astimezone(ZoneInfo(zone_of(grievance, default=timezone)))
    return say(language, "{tracking}: {state} ({date}).", tracking=grievance.tracking_number,
               state=state(grievance, language), date=times.brief_day(local.date(), language=language))


def last_update(session: Session, grievance: Grievance, *, language: str) -> str | None:
    """The office's latest public word to the citizen, on one line, or None when it has said nothing."""
    note = session.scalar(
        select(GrievanceEvent.note).where(GrievanceEvent.grievance_id == grievance.id, GrievanceEvent.public,
                                          GrievanceEvent.kind.in_(UPDATE_KINDS), GrievanceEvent.note.is_not(None))
        .order_by(GrievanceEvent.id.desc()).limit(1))
    return say(language, "Last update: {note}", note=" ".join(note.split())) if note else None
