"""The escalation sweep: warn before a deadline passes, climb one level of the ladder when it has.

Set-based, so a backlog of a hundred thousand passed deadlines takes seconds, not hours: each batch locks
its due deadlines and reads what their climbs depend on in one query, works out the next rung of each
kind of climb in Python, and hands the rungs to `escalation.claims`, which applies them to the rows,
claims the deadlines by compare-and-set (the level and due time must still be the ones read) and writes
the steps (`escalated` events), office changes and messages in SQL. Safe to re-run and to run in several
processes at once: on PostgreSQL a deadline another sweeper has locked is skipped, one it has moved fails
the compare-and-set, and the steps are unique per (deadline, level). Each batch commits on its own, so a
crash mid-sweep loses nothing: what was not done is still due.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from core import times
from core.db import among, bulk_insert, transaction
from core.i18n import SOURCE_LANGUAGE, say
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from core.segments import gsm_safe
from escalation import claims
from escalation.models import Basis, Deadline, DeadlineKind
from escalation.services import Clocks, OfficeInfo, sync
from intake.models import Confidentiality, Grievance, Status
from intake.services import OPEN_STATUSES

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
            ids = sorted(session.connection().execute(select(Deadline.id).where(Deadline.next_at <= now)
                                                      .order_by(Deadline.next_at).limit(window)).scalars().all())
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
        when = times.shown(due_at, zone=office.timezone, language=SOURCE_LANGUAGE)  # staff read English
        messages.append(_outbox(OutboxChannel.STAFF, office.code, f"{number}: the {KIND_WORDS[kind]} deadline is "
                                f"{when}.", "deadline_warning", grievance_id, None, now))
    bulk_insert(session, OutboxMessage.__table__, messages)
    return len(ids)


def stale_clock() -> Any:
    """The grievance says this clock has stopped: a writer did not sync it (the sweep does, then skips it)."""
    d, g = Deadline, Grievance
    return or_(g.status.not_in(OPEN_STATUSES),
               and_(d.kind == DeadlineKind.FIRST_RESPONSE, g.first_response_at.is_not(None)),
               and_(d.kind == DeadlineKind.RESOLUTION, g.status == Status.AWAITING_CITIZEN),
               and_(d.kind == DeadlineKind.TRANSFER,
                    or_(g.status != Status.ASSIGNED, g.office_id.is_distinct_from(d.office_id))))


def escalate_batch(session: Session, ids: list[int], *, now: datetime) -> tuple[int, int]:
    """Climb one level for those of these deadlines that have passed; returns (escalated, looked at).

    One query locks the batch and reads what each climb depends on; Python works out each kind of climb
    once and `claims.write` applies them to the rows in SQL."""
    rows = session.connection().execute(  # Core rows: no ORM loading per row
        claims.batch_rows(Deadline.id, Deadline.grievance_id, stale_clock().label("stale"), *claims.KIND.values())
        .where(among(session, Deadline.id, ids), Deadline.next_at <= now)
        .with_for_update(of=Deadline, skip_locked=True)).all()  # PostgreSQL: parallel sweepers take other rows
    if not rows:
        return 0, 0
    clocks = Clocks.current(session)
    for grievance_id in {row.grievance_id for row in rows if row.stale}:
        sync(session, grievance=session.get(Grievance, grievance_id), now=now, clocks=clocks)
    session.flush()
    live = [row for row in rows if not row.stale]
    plan = _Plan(clocks, now)
    rungs = [plan.rung(dict(zip(claims.KIND, kind, strict=True))) for kind in {row[3:] for row in live}]
    return claims.write(session, [row.id for row in live], rungs, now=now), len(rows)


class _Plan:
    """The next rung of each kind of passed deadline (`claims.KIND`): the row for `claims.RUNGS`."""

    def __init__(self, clocks: Clocks, now: datetime) -> None:
        self.clocks, self.now = clocks, now
        self._following: dict[tuple[int, float, str], datetime] = {}
        self._texts: dict[tuple[str | None, int, bool], tuple[str, str]] = {}

    def rung(self, kind: dict[str, Any]) -> dict[str, Any]:
        rung = kind | {
            "level": kind["seen"], "following": None, "escalates": False, "office_id": None, "moves": False,
            "event_before": None, "event_after": None, "staff_recipient": None, "staff_after": None,
            "citizen_before": None, "citizen_after": None}
        grievance_office = kind["grievance_office"] or None
        deadline_kind = DeadlineKind(kind["kind"])
        ladder = self.clocks.ladder(kind["deadline_office"] or grievance_office,
                                    integrity=kind["confidentiality"] == Confidentiality.INTEGRITY)
        level = kind["seen"] + 1
        if not ladder or level > len(ladder):  # the top has had its time: the clock stops, the figures show the rest
            return rung
        office = self.clocks.offices[ladder[level - 1]]
        following = self._next(office.id, kind["escalation_hours"], Basis(kind["basis"])) if level < len(ladder) \
            else None
        event = json.dumps({"level": level, "deadline": deadline_kind.value, "due_at": _MARK, "office": office.code,
                            "next_at": following.isoformat() if following else None})
        event_before, _, event_after = event.partition(json.dumps(_MARK))
        citizen_before, citizen_after = self._citizen_text(kind["language"] or None, office, level)
        return rung | {
            "level": level, "following": following, "escalates": True, "office_id": office.id,
            "moves": level >= 2 and _climbs(self.clocks, grievance_office, office.id),
            "event_before": event_before + '"', "event_after": '"' + event_after, "staff_recipient": office.code,
            "staff_after": f": the {KIND_WORDS[deadline_kind]} deadline passed; escalated to {office.name} "
                           f"(level {level}).",
            "citizen_before": citizen_before, "citizen_after": citizen_after}

    def _next(self, office_id: int, hours: float, basis: Basis) -> datetime:
        key = (office_id, hours, basis)
        if key not in self._following:
            self._following[key] = self.clocks.add(self.now, hours, office_id=office_id, basis=basis)
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
