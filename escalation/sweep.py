"""The escalation sweep: warn before a deadline passes, climb one level of the ladder when it has.

Safe to re-run and to run in several processes at once: each step is a compare-and-set update of the
deadline (its level must still be the one read), and `escalations` has a unique (deadline, level), so
each (grievance, deadline, level) escalates exactly once. Each batch commits on its own, so a crash
mid-sweep loses nothing: what was not done is still due at the next run.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from core.db import transaction
from core.i18n import say
from core.outbox import OutboxChannel, enqueue
from escalation.models import Deadline, DeadlineKind, Escalation
from escalation.services import Clocks, sync
from intake.actors import SYSTEM
from intake.models import Confidentiality, EventKind, Grievance
from intake.services import language_of, notify_citizen, record

BATCH = 200
MAX_PER_RUN = 100_000
KIND_WORDS = {DeadlineKind.FIRST_RESPONSE: "first response", DeadlineKind.RESOLUTION: "resolution",
              DeadlineKind.TRANSFER: "take-up or transfer"}


def run(factory: sessionmaker[Session], *, now: datetime) -> int:
    """One sweep: warnings, then escalations; returns how many deadlines escalated."""
    _in_batches(factory, select(Deadline.id).where(Deadline.warn_at <= now).order_by(Deadline.warn_at),
                lambda session, clocks, deadline_id: warn_one(session, deadline_id=deadline_id, now=now,
                                                              clocks=clocks))
    return _in_batches(factory, select(Deadline.id).where(Deadline.next_at <= now).order_by(Deadline.next_at),
                       lambda session, clocks, deadline_id: escalate_one(session, deadline_id=deadline_id, now=now,
                                                                         clocks=clocks))


def _in_batches(factory: sessionmaker[Session], query, step) -> int:  # noqa: ANN001 - a select and a callable
    with factory() as session:
        ids = session.scalars(query.limit(MAX_PER_RUN)).all()
    done = 0
    for start in range(0, len(ids), BATCH):
        with transaction(factory) as session:
            clocks = Clocks(session)
            done += sum(step(session, clocks, deadline_id) for deadline_id in ids[start:start + BATCH])
    return done


def warn_one(session: Session, *, deadline_id: int, now: datetime, clocks: Clocks) -> int:
    """Tell the responsible office that a deadline is near, once."""
    claimed = session.execute(update(Deadline).where(Deadline.id == deadline_id, Deadline.warn_at <= now,
                                                     Deadline.next_at.is_not(None), Deadline.level == 0)
                              .values(warn_at=None, warned_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return 0
    deadline = session.get(Deadline, deadline_id)
    grievance = session.get(Grievance, deadline.grievance_id)
    if grievance is None or grievance.office_id is None:
        return 0
    office = clocks.offices[grievance.office_id]
    when = deadline.due_at.astimezone(ZoneInfo(office.timezone)).strftime("%a %d %b %H:%M")
    enqueue(session, channel=OutboxChannel.STAFF, recipient=office.code, purpose="deadline_warning", now=now,
            grievance_id=grievance.id,
            body=f"{grievance.tracking_number}: the {KIND_WORDS[deadline.kind]} deadline is {when}.")
    return 1


def escalate_one(session: Session, *, deadline_id: int, now: datetime, clocks: Clocks) -> int:
    """Climb one level if the deadline is still passed and unmet; 0 when there is nothing (more) to do."""
    deadline = session.get(Deadline, deadline_id, populate_existing=True)
    if deadline is None or deadline.next_at is None or deadline.next_at > now:
        return 0
    grievance = session.get(Grievance, deadline.grievance_id)
    seen, answers = deadline.level, deadline.next_at
    sync(session, grievance=grievance, now=now, clocks=clocks)  # an answer the writer forgot to sync ends it
    session.flush()
    if deadline.next_at is None or deadline.next_at > now:
        return 0
    ladder = clocks.ladder(deadline.office_id or grievance.office_id,
                           integrity=grievance.confidentiality is Confidentiality.INTEGRITY)
    level = seen + 1
    if not ladder or level > len(ladder):
        deadline.next_at = None  # the top of the ladder has had its time; the figures show the rest
        return 0
    responsible = ladder[level - 1]
    following = None if level == len(ladder) else clocks.add(now, deadline.escalation_hours, office_id=responsible,
                                                             basis=deadline.basis)
    claimed = session.execute(update(Deadline).where(Deadline.id == deadline_id, Deadline.level == seen,
                                                     Deadline.next_at <= now)
                              .values(level=level, next_at=following, warn_at=None)
                              .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return 0  # another sweeper took this step
    session.refresh(deadline)
    office = clocks.offices[responsible]
    session.add(Escalation(deadline_id=deadline.id, grievance_id=grievance.id, level=level, at=now,
                           answers_due_at=answers, office_id=responsible, data={"kind": deadline.kind.value}))
    if level >= 2 and grievance.office_id is not None:
        grievance.office_id = responsible  # the parent office is now responsible, and sees it
    record(grievance, kind=EventKind.ESCALATED, actor=SYSTEM, now=now, public=True, office_id=responsible,
           data={"level": level, "deadline": deadline.kind.value, "due_at": answers.isoformat(),
                 "office": office.code, "next_at": following.isoformat() if following else None})
    what = KIND_WORDS[deadline.kind]
    enqueue(session, channel=OutboxChannel.STAFF, recipient=office.code, purpose="escalation", now=now,
            grievance_id=grievance.id,
            body=(f"{grievance.tracking_number}: the {what} deadline passed; escalated to {office.name} "
                  f"(level {level})."))
    language = language_of(grievance)
    body = (say(language, "{tracking}: no answer in time, so the head of {office} was alerted.",
                tracking=grievance.tracking_number, office=office.name) if level == 1 else
            say(language, "{tracking}: no answer in time, so your complaint was escalated to {office}.",
                tracking=grievance.tracking_number, office=office.name))
    notify_citizen(session, grievance=grievance, body=body, purpose="escalated", now=now)
    return 1
