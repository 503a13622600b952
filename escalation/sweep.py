"""The escalation sweep: warn before a deadline passes, climb one level of the ladder when it has.

Set-based, so a backlog of a hundred thousand passed deadlines takes seconds, not hours: each batch reads
the due deadlines with their grievances and citizens in one query, works out each one's next rung in
Python, and hands the decisions to `escalation.claims`, which claims the deadlines by compare-and-set
(the level must still be the one read) and writes escalations, events, office changes and messages in
SQL. Safe to re-run and to run in several processes at once: on PostgreSQL a deadline another sweeper
has locked is skipped, one it has moved fails the compare-and-set, and `escalations` has a unique
(deadline, level). Each batch commits on its own, so a crash mid-sweep loses nothing: what was not done
is still due.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import among, bulk_insert, transaction
from core.i18n import say
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from core.segments import gsm_safe
from escalation import claims
from escalation.models import Basis, Deadline, DeadlineKind
from escalation.services import Clocks, OfficeInfo, sync
from intake.models import Channel, Citizen, Confidentiality, Grievance, Status
from intake.services import OPEN_STATUSES, citizen_channel

BATCH = 5000
WINDOW = 20  # batches read at once: the due ids a sweep sorts to climb neighbours together
PARALLEL = 2
_MARK = "\x00"  # stands for a row's own value in a text worked out once for many rows
KIND_WORDS = {DeadlineKind.FIRST_RESPONSE: "first response", DeadlineKind.RESOLUTION: "resolution",
              DeadlineKind.TRANSFER: "take-up or transfer"}


def run(factory: sessionmaker[Session], *, now: datetime, batch: int = BATCH, workers: int | None = None) -> int:
    """One sweep: warnings, then escalations, batch by batch; returns how many deadlines escalated.

    The passed deadlines are read a window at a time, most overdue first, and climbed in batches of
    neighbouring ids. A batch then touches a few neighbouring pages of each table and index instead of
    pages all over them: at a million grievances that was the difference between writing each page once
    and writing it again and again as the database's cache evicted it (docs/performance.md).

    On PostgreSQL `workers` connections (default 2) climb at once: most of a batch's time is the database
    writing, which one connection does on one core. SQLite has one writer, so it gets one worker.
    """
    while True:
        with transaction(factory) as session:
            if warn_batch(session, now=now, limit=batch) < batch:
                break
    bind = factory.kw.get("bind")  # one connection (a test's outer transaction) cannot be shared by threads
    parallel = isinstance(bind, Engine) and bind.dialect.name == "postgresql"
    count = workers or (PARALLEL if parallel else 1)
    window = batch * WINDOW
    done = 0
    while True:
        with transaction(factory) as session:
            ids = sorted(session.scalars(select(Deadline.id).where(Deadline.next_at <= now)
                                         .order_by(Deadline.next_at).limit(window)))
        chunks = [ids[start:start + batch] for start in range(0, len(ids), batch)]
        if count == 1:
            results = [_climb(factory, chunk, now=now) for chunk in chunks]
        else:
            with ThreadPoolExecutor(count) as pool:
                results = list(pool.map(lambda chunk: _climb(factory, chunk, now=now), chunks))
        done += sum(escalated for escalated, _ in results)
        if len(ids) < window or not any(seen for _, seen in results):
            return done  # all read, or the rest is another sweeper's


def _climb(factory: sessionmaker[Session], ids: list[int], *, now: datetime) -> tuple[int, int]:
    with transaction(factory) as session:
        return escalate_batch(session, ids, now=now)


def warn_batch(session: Session, *, now: datetime, limit: int) -> int:
    """Tell offices, once, that a deadline is near; returns how many deadlines were looked at."""
    due = select(Deadline.id).where(Deadline.warn_at <= now).order_by(Deadline.warn_at).limit(limit)
    ids = session.scalars(due).all()
    if not ids:
        return 0
    claimed = session.execute(
        update(Deadline).where(among(session, Deadline.id, ids), Deadline.warn_at <= now)
        .values(warn_at=None, warned_at=now).returning(Deadline.id).execution_options(synchronize_session=False)
    ).scalars().all()
    rows = session.execute(
        select(Deadline.grievance_id, Deadline.kind, Deadline.due_at, Deadline.level, Deadline.next_at,
               Grievance.tracking_number, Grievance.office_id)
        .join(Grievance, Grievance.id == Deadline.grievance_id).where(among(session, Deadline.id, list(claimed)))).all()
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


class _Due(NamedTuple):
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


def escalate_batch(session: Session, ids: list[int], *, now: datetime) -> tuple[int, int]:
    """Climb one level for those of these deadlines that have passed; returns (escalated, looked at)."""
    rows = [_Due._make(row) for row in session.connection().execute(  # Core rows: no ORM loading per row
        select(Deadline.id, Deadline.level, Deadline.kind, Deadline.office_id, Deadline.escalation_hours,
               Deadline.basis, Deadline.next_at, Grievance.id, Grievance.status, Grievance.first_response_at,
               Grievance.office_id, Grievance.confidentiality, Grievance.tracking_number, Grievance.channel,
               Grievance.language, Citizen.id, Citizen.phone, Citizen.telegram_chat_id,
               Citizen.opted_out_at.is_not(None), Citizen.language)
        .join(Grievance, Grievance.id == Deadline.grievance_id).outerjoin(Citizen, Citizen.id == Grievance.citizen_id)
        .where(among(session, Deadline.id, ids), Deadline.next_at <= now)
        .with_for_update(of=Deadline, skip_locked=True)).all()]  # PostgreSQL: parallel sweepers take other rows
    if not rows:
        return 0, 0
    clocks = Clocks.current(session)
    for row in rows:
        if row.stale():
            sync(session, grievance=session.get(Grievance, row.grievance_id), now=now, clocks=clocks)
    session.flush()
    plan = _Plan(clocks, now)
    return claims.write(session, [plan.claim(row) for row in rows if not row.stale()], now=now), len(rows)


class _Rung(NamedTuple):
    """What the claims of one kind of row share: their fixed columns and the texts around the row's own values."""

    fixed: dict[str, Any]  # the claim's columns that do not depend on the row
    office: OfficeInfo | None  # who is responsible at the new level; None: the top has had its time
    level: int
    event_around: tuple[str, str]  # the event's JSON before and after the deadline it answers
    staff_after: str  # the office's alert after the tracking number


class _Plan:
    """Each passed deadline's next rung, worked out once per kind of row (a batch of 5,000 has a few hundred
    kinds): a row then costs a dictionary merge and two joined strings, which is what lets 100,000 climbs
    spend a second in Python rather than three."""

    def __init__(self, clocks: Clocks, now: datetime) -> None:
        self.clocks, self.now = clocks, now
        self._following: dict[tuple[int, float, Basis], datetime] = {}
        self._texts: dict[tuple[str | None, int, bool], tuple[str, str]] = {}
        self._rungs: dict[tuple[Any, ...], _Rung] = {}

    def claim(self, row: _Due) -> dict[str, Any]:
        rung = self._rung(row)
        claim = rung.fixed | {"deadline_id": row.deadline_id, "grievance_id": row.grievance_id, "seen": row.level,
                              "answers": row.answers, "citizen_id": row.citizen_id}
        if rung.office is None:
            return claim
        before, after = rung.event_around
        claim["event_data"] = before + row.answers.isoformat() + after
        claim["staff_body"] = row.tracking_number + rung.staff_after
        citizen = citizen_channel(phone=row.phone, telegram_chat_id=row.telegram_chat_id, opted_out=row.opted_out,
                                  channel=row.channel)
        if citizen is not None:
            before, after = self._citizen_text(row.citizen_language or row.grievance_language, rung.office,
                                               rung.level)
            claim |= {"citizen_channel": citizen[0].value, "citizen_recipient": citizen[1],
                      "citizen_body": before + row.tracking_number + after}
        return claim

    def _rung(self, row: _Due) -> _Rung:
        key = (row.deadline_office, row.office_id, row.confidentiality, row.level, row.escalation_hours, row.basis,
               row.kind)
        if key in self._rungs:
            return self._rungs[key]
        fixed = {"level": row.level, "following": None, "escalates": False, "office_id": None, "moves": False,
                 "escalation_data": None, "event_data": None, "staff_recipient": None, "staff_body": None,
                 "citizen_channel": None, "citizen_recipient": None, "citizen_body": None}
        ladder = self.clocks.ladder(row.deadline_office or row.office_id,
                                    integrity=row.confidentiality is Confidentiality.INTEGRITY)
        level = row.level + 1
        if not ladder or level > len(ladder):  # the top has had its time: the clock stops, the figures show the rest
            self._rungs[key] = _Rung(fixed, None, row.level, ("", ""), "")
            return self._rungs[key]
        office = self.clocks.offices[ladder[level - 1]]
        following = self._next(office.id, row) if level < len(ladder) else None
        fixed |= {"level": level, "following": following, "escalates": True, "office_id": office.id,
                  "moves": level >= 2 and _climbs(self.clocks, row.office_id, office.id),
                  "escalation_data": json.dumps({"kind": row.kind.value}), "staff_recipient": office.code}
        event = json.dumps({"level": level, "deadline": row.kind.value, "due_at": _MARK, "office": office.code,
                            "next_at": following.isoformat() if following else None})
        before, _, after = event.partition(json.dumps(_MARK))
        self._rungs[key] = _Rung(fixed, office, level, (before + '"', '"' + after),
                                 f": the {KIND_WORDS[row.kind]} deadline passed; escalated to {office.name} "
                                 f"(level {level}).")
        return self._rungs[key]

    def _next(self, office_id: int, row: _Due) -> datetime:
        key = (office_id, row.escalation_hours, row.basis)
        if key not in self._following:
            self._following[key] = self.clocks.add(self.now, row.escalation_hours, office_id=office_id,
                                                   basis=row.basis)
        return self._following[key]

    def _citizen_text(self, language: str | None, office: OfficeInfo, level: int) -> tuple[str, str]:
        """The notice around the tracking number, rendered once per language, office and kind of step."""
        key = (language, office.id, level == 1)
        if key not in self._texts:
            text = gsm_safe(say(language, "{tracking}: no answer in time, so the head of {office} was alerted.",
                                tracking=_MARK, office=office.name) if level == 1 else
                            say(language, "{tracking}: no answer in time, so your complaint was escalated to "
                                "{office}.", tracking=_MARK, office=office.name))
            before, _, after = text.partition(_MARK)
            self._texts[key] = (before, after)
        return self._texts[key]


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
