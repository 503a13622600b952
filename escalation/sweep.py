"""The escalation sweep: warn before a deadline passes, climb one level of the ladder when it has.

Set-based, so a backlog of a hundred thousand passed deadlines takes seconds: each batch reads the due
deadlines with their grievances in one query, claims them with compare-and-set updates (the level must
still be the one read; grouped by outcome), and writes the escalations, events, office changes and
notifications with bulk inserts. Safe to re-run and to run in several processes at once: a deadline
another sweeper claimed is not returned to us, and `escalations` has a unique (deadline, level). Each
batch commits on its own, so a crash mid-sweep loses nothing: what was not done is still due.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import bulk_insert, transaction
from core.i18n import say
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from core.segments import gsm_safe
from escalation.models import Basis, Deadline, DeadlineKind, Escalation
from escalation.services import Clocks, sync
from intake.models import ActorType, Channel, Citizen, Confidentiality, EventKind, Grievance, GrievanceEvent, Status
from intake.services import OPEN_STATUSES, citizen_channel

BATCH = 5000
KIND_WORDS = {DeadlineKind.FIRST_RESPONSE: "first response", DeadlineKind.RESOLUTION: "resolution",
              DeadlineKind.TRANSFER: "take-up or transfer"}


def run(factory: sessionmaker[Session], *, now: datetime, batch: int = BATCH) -> int:
    """One sweep: warnings, then escalations, batch by batch; returns how many deadlines escalated."""
    while True:
        with transaction(factory) as session:
            if warn_batch(session, now=now, limit=batch) < batch:
                break
    done = 0
    while True:
        with transaction(factory) as session:
            escalated, seen = escalate_batch(session, now=now, limit=batch)
        done += escalated
        if seen < batch:
            return done


def warn_batch(session: Session, *, now: datetime, limit: int) -> int:
    """Tell offices, once, that a deadline is near; returns how many deadlines were looked at."""
    due = select(Deadline.id).where(Deadline.warn_at <= now).order_by(Deadline.warn_at).limit(limit)
    ids = session.scalars(due).all()
    if not ids:
        return 0
    claimed = session.execute(
        update(Deadline).where(Deadline.id.in_(ids), Deadline.warn_at <= now)
        .values(warn_at=None, warned_at=now).returning(Deadline.id).execution_options(synchronize_session=False)
    ).scalars().all()
    rows = session.execute(
        select(Deadline.grievance_id, Deadline.kind, Deadline.due_at, Deadline.level, Deadline.next_at,
               Grievance.tracking_number, Grievance.office_id)
        .join(Grievance, Grievance.id == Deadline.grievance_id).where(Deadline.id.in_(claimed))).all()
    clocks = Clocks.current(session)
    messages = []
    for grievance_id, kind, due_at, level, next_at, number, office_id in rows:
        if level or next_at is None or office_id not in clocks.offices:
            continue  # escalated, met or paused since the warning was set: nothing to warn about
        office = clocks.offices[office_id]
        when = due_at.astimezone(ZoneInfo(office.timezone)).strftime("%a %d %b %H:%M")
        messages.append(_outbox(OutboxChannel.STAFF, office.code, f"{number}: the {KIND_WORDS[kind]} deadline is "
                                f"{when}.", "deadline_warning", grievance_id, None, now))
    bulk_insert(session, OutboxMessage.__table__, messages)
    return len(ids)


@dataclass(frozen=True)
class _Due:
    deadline_id: int
    level: int
    kind: DeadlineKind
    deadline_office: int | None
    escalation_hours: float
    basis: Basis
    answers: datetime
    grievance_id: int
    status: Status
    first_response_at: datetime | None
    office_id: int | None
    confidentiality: Confidentiality
    tracking_number: str
    channel: Channel
    grievance_language: str | None
    citizen_id: int | None
    phone: str | None
    telegram_chat_id: int | None
    opted_out: bool
    citizen_language: str | None

    def stale(self) -> bool:
        """The grievance says this clock has stopped: a writer did not sync it (the sweep does, then skips it)."""
        if self.status not in OPEN_STATUSES:
            return True
        if self.kind is DeadlineKind.FIRST_RESPONSE:
            return self.first_response_at is not None
        if self.kind is DeadlineKind.RESOLUTION:
            return self.status is Status.AWAITING_CITIZEN
        return self.status is not Status.ASSIGNED or self.office_id != self.deadline_office


def escalate_batch(session: Session, *, now: datetime, limit: int) -> tuple[int, int]:
    """Climb one level for up to `limit` passed deadlines; returns (escalated, looked at)."""
    rows = [_Due(*row) for row in session.execute(
        select(Deadline.id, Deadline.level, Deadline.kind, Deadline.office_id, Deadline.escalation_hours,
               Deadline.basis, Deadline.next_at, Grievance.id, Grievance.status, Grievance.first_response_at,
               Grievance.office_id, Grievance.confidentiality, Grievance.tracking_number, Grievance.channel,
               Grievance.language, Citizen.id, Citizen.phone, Citizen.telegram_chat_id,
               Citizen.opted_out_at.is_not(None), Citizen.language)
        .join(Grievance, Grievance.id == Deadline.grievance_id).outerjoin(Citizen, Citizen.id == Grievance.citizen_id)
        .where(Deadline.next_at <= now).order_by(Deadline.next_at).limit(limit))]
    if not rows:
        return 0, 0
    clocks = Clocks.current(session)
    for row in rows:
        if row.stale():
            sync(session, grievance=session.get(Grievance, row.grievance_id), now=now, clocks=clocks)
    session.flush()
    live = [row for row in rows if not row.stale()]
    plans: dict[tuple[int, int, datetime | None], list[_Due]] = defaultdict(list)
    responsible: dict[int, int] = {}
    following_cache: dict[tuple[int, float, Basis], datetime] = {}
    exhausted = []
    for row in live:
        ladder = clocks.ladder(row.deadline_office or row.office_id,
                               integrity=row.confidentiality is Confidentiality.INTEGRITY)
        level = row.level + 1
        if not ladder or level > len(ladder):
            exhausted.append(row.deadline_id)
            continue
        office = ladder[level - 1]
        responsible[row.deadline_id] = office
        following = None
        if level < len(ladder):
            key = (office, row.escalation_hours, row.basis)
            if key not in following_cache:
                following_cache[key] = clocks.add(now, row.escalation_hours, office_id=office, basis=row.basis)
            following = following_cache[key]
        plans[(row.level, level, following)].append(row)
    if exhausted:  # the top has had its time: the figures show the rest
        session.execute(update(Deadline).where(Deadline.id.in_(exhausted), Deadline.next_at <= now)
                        .values(next_at=None).execution_options(synchronize_session=False))
    claimed: list[tuple[_Due, int, datetime | None]] = []
    for (seen, level, following), group in plans.items():
        ids = set(session.execute(
            update(Deadline).where(Deadline.id.in_([row.deadline_id for row in group]), Deadline.level == seen,
                                   Deadline.next_at <= now)
            .values(level=level, next_at=following, warn_at=None).returning(Deadline.id)
            .execution_options(synchronize_session=False)).scalars())
        claimed += [(row, level, following) for row in group if row.deadline_id in ids]
    if claimed:
        _record(session, claimed, responsible, clocks, now)
    return len(claimed), len(rows)


def _record(session: Session, claimed: list[tuple[_Due, int, datetime | None]], responsible: dict[int, int],
            clocks: Clocks, now: datetime) -> None:
    """The escalations, their public events, the change of responsible office, and the notifications."""
    escalations, events, messages = [], [], []
    moved: dict[int, list[int]] = defaultdict(list)
    for row, level, following in claimed:
        office = clocks.offices[responsible[row.deadline_id]]
        escalations.append({"deadline_id": row.deadline_id, "grievance_id": row.grievance_id, "level": level,
                            "at": now, "answers_due_at": row.answers, "office_id": office.id,
                            "requested_by_citizen": False, "data": {"kind": row.kind.value}})
        events.append({"grievance_id": row.grievance_id, "kind": EventKind.ESCALATED, "at": now,
                       "actor_type": ActorType.SYSTEM, "actor_id": None, "actor_role": None,
                       "actor_name": "OpenRedress", "office_id": office.id, "from_status": None, "to_status": None,
                       "note": None, "public": True,
                       "data": {"level": level, "deadline": row.kind.value, "due_at": row.answers.isoformat(),
                                "office": office.code, "next_at": following.isoformat() if following else None}})
        if level >= 2 and _climbs(clocks, row.office_id, office.id):
            moved[office.id].append(row.grievance_id)  # the parent office is now responsible, and sees it
        messages.append(_outbox(OutboxChannel.STAFF, office.code,
                                f"{row.tracking_number}: the {KIND_WORDS[row.kind]} deadline passed; escalated to "
                                f"{office.name} (level {level}).", "escalation", row.grievance_id, None, now))
        citizen = citizen_channel(phone=row.phone, telegram_chat_id=row.telegram_chat_id, opted_out=row.opted_out,
                                  channel=row.channel)
        if citizen is not None:
            language = row.citizen_language or row.grievance_language
            body = (say(language, "{tracking}: no answer in time, so the head of {office} was alerted.",
                        tracking=row.tracking_number, office=office.name) if level == 1 else
                    say(language, "{tracking}: no answer in time, so your complaint was escalated to {office}.",
                        tracking=row.tracking_number, office=office.name))
            messages.append(_outbox(citizen[0], citizen[1], body, "escalated", row.grievance_id, row.citizen_id, now))
    bulk_insert(session, Escalation.__table__, escalations)
    bulk_insert(session, GrievanceEvent.__table__, events)
    bulk_insert(session, OutboxMessage.__table__, messages)
    for office_id, grievance_ids in moved.items():  # a level-1 alert changes nothing on the grievance itself
        session.execute(update(Grievance).where(Grievance.id.in_(grievance_ids))
                        .values(office_id=office_id, updated_at=now).execution_options(synchronize_session=False))


def _climbs(clocks: Clocks, current: int | None, to: int) -> bool:
    """Responsibility only moves up: to an office above the current one, and never away from the top."""
    if current is None or current == to or current == clocks.top_oversight():
        return False
    return to in clocks.ladder(current)[1:]


def _outbox(channel: OutboxChannel, recipient: str, body: str, purpose: str, grievance_id: int,
            citizen_id: int | None, now: datetime) -> dict[str, Any]:
    return {"channel": channel, "recipient": recipient,
            "body": gsm_safe(body) if channel is OutboxChannel.SMS else body, "purpose": purpose,
            "grievance_id": grievance_id, "citizen_id": citizen_id, "status": OutboxStatus.PENDING, "attempts": 0,
            "created_at": now, "next_attempt_at": now, "urgent": False, "uncertain": False}
