"""Deadlines follow the grievance: created, met, paused and restarted from its state by `sync`.

Every writer that changes a grievance calls `sync` in the same transaction (intake, actions, SMS); the
sweep calls it again before escalating, so a missed call can delay a deadline's end but never cause a
wrong escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import directory_version
from escalation.calendar import WorkingCalendar
from escalation.models import (
    WARN_FRACTION,
    Basis,
    Calendar,
    Deadline,
    DeadlineKind,
    OfficeCalendar,
    SlaPolicy,
)
from intake.models import ESCALATION_STEPS, Category, Grievance, GrievanceEvent, Office, Status
from intake.services import OPEN_STATUSES

DEFAULT_WEEK = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
DEFAULT_ESCALATION_HOURS = 24.0


@dataclass(frozen=True)
class Sla:
    first_response_hours: float
    resolution_hours: float
    transfer_hours: float | None
    escalation_hours: float
    basis: Basis
    warn_fraction: float = WARN_FRACTION

    def hours(self, kind: DeadlineKind) -> float | None:
        return {DeadlineKind.FIRST_RESPONSE: self.first_response_hours,
                DeadlineKind.RESOLUTION: self.resolution_hours,
                DeadlineKind.TRANSFER: self.transfer_hours}[kind]


@dataclass(frozen=True)
class OfficeInfo:
    """What the clocks and the ladder need of an office: plain values, safe to share between sessions."""
    id: int
    code: str
    name: str
    parent_id: int | None
    timezone: str
    is_oversight: bool
    active: bool


class Clocks:
    """The directory's calendars, SLA policies and office tree; `Clocks.current` shares one per directory version."""

    _cache: dict[str, Clocks] = {}

    def __init__(self, session: Session) -> None:
        self.offices = {o.id: OfficeInfo(o.id, o.code, o.name, o.parent_id, o.timezone, o.is_oversight, o.active)
                        for o in session.scalars(select(Office))}
        self._linked = {office: calendar for office, calendar in
                        session.execute(select(OfficeCalendar.office_id, OfficeCalendar.calendar_id))}
        self._calendars = {c.id: WorkingCalendar.parse(timezone=c.timezone, week=c.week,
                                                       holidays=[h.day for h in c.holidays])
                           for c in session.scalars(select(Calendar).options(selectinload(Calendar.holidays)))}
        self._policies = {(p.category_id, p.office_id): Sla(p.first_response_hours, p.resolution_hours,
                                                             p.transfer_hours, p.escalation_hours, p.basis,
                                                             p.warn_fraction)
                          for p in session.scalars(select(SlaPolicy).where(SlaPolicy.active))}
        self._category_hours = {c.id: (float(c.response_hours), float(c.resolution_hours))
                                for c in session.scalars(select(Category))}
        self._defaults: dict[str, WorkingCalendar] = {}
        self._ladders: dict[tuple[int | None, bool], list[int]] = {}
        oversight = [o for o in self.offices.values() if o.is_oversight and o.active]
        self._top = min(oversight, key=lambda o: (len(self.chain(o.id)), o.id)).id if oversight else None

    @classmethod
    def current(cls, session: Session) -> Clocks:
        """The clocks of the directory this session sees, built once per process and directory version."""
        token = directory_version.current(session)
        if token is None:
            return cls(session)
        clocks = cls._cache.get(token)
        if clocks is None:
            clocks = cls(session)
            if len(cls._cache) > 16:
                cls._cache.clear()  # old versions are never asked for again
            cls._cache[token] = clocks
        return clocks

    def chain(self, office_id: int | None) -> list[int]:
        """The office and its ancestors, nearest first."""
        chain: list[int] = []
        while office_id is not None and office_id in self.offices and office_id not in chain:
            chain.append(office_id)
            office_id = self.offices[office_id].parent_id
        return chain

    def calendar(self, office_id: int | None) -> WorkingCalendar:
        for candidate in self.chain(office_id):
            if candidate in self._linked:
                return self._calendars[self._linked[candidate]]
        zone = self.offices[office_id].timezone if office_id in self.offices else "UTC"
        if zone not in self._defaults:
            self._defaults[zone] = WorkingCalendar.parse(timezone=zone, week=DEFAULT_WEEK)
        return self._defaults[zone]

    def sla(self, category_id: int | None, office_id: int | None) -> Sla:
        """The most specific policy: the category at the office or an office above it, the category anywhere,
        any category at the office or above it, the default row; else the category's own hours in calendar time."""
        chain = self.chain(office_id)
        keys = [(category_id, o) for o in chain] + [(category_id, None)] + [(None, o) for o in chain] + [(None, None)]
        for key in keys:
            if key in self._policies:
                return self._policies[key]
        response, resolution = self._category_hours.get(category_id, (72.0, 720.0))
        return Sla(response, resolution, None, DEFAULT_ESCALATION_HOURS, Basis.CALENDAR)

    def add(self, start: datetime, hours: float, *, office_id: int | None, basis: Basis) -> datetime:
        if basis is Basis.CALENDAR:
            return start + timedelta(hours=hours)
        return self.calendar(office_id).add(start, hours)

    def between(self, start: datetime, end: datetime, *, office_id: int | None, basis: Basis) -> timedelta:
        if basis is Basis.CALENDAR:
            return max(end - start, timedelta())
        return self.calendar(office_id).between(start, end)

    def top_oversight(self) -> int | None:
        """The highest active oversight office: the last rung of every ladder."""
        return self._top

    def ladder(self, office_id: int | None, *, integrity: bool = False) -> list[int]:
        """Who is responsible at each level from 1: the office (its head alerted), its parent, and so on to the
        root, then the top oversight office. Integrity complaints climb through oversight offices only."""
        key = (office_id, integrity)
        if key not in self._ladders:
            self._ladders[key] = self._ladder(office_id, integrity=integrity)
        return self._ladders[key]

    def _ladder(self, office_id: int | None, *, integrity: bool) -> list[int]:
        chain = self.chain(office_id)
        if integrity:
            chain = chain[:1] + [o for o in chain[1:] if self.offices[o].is_oversight]
        top = self.top_oversight()
        if top is not None and top not in chain:
            chain.append(top)
        return chain


def sync(session: Session, *, grievance: Grievance, now: datetime, clocks: Clocks | None = None) -> None:
    """Bring the grievance's deadlines in line with its state; safe to call any number of times."""
    clocks = clocks or Clocks.current(session)
    session.flush()
    mine = list(session.scalars(select(Deadline).where(Deadline.grievance_id == grievance.id)
                                .order_by(Deadline.id)))
    active = {d.kind: d for d in mine if d.met_at is None and d.cancelled_at is None}
    sla = clocks.sla(grievance.category_id, grievance.office_id)
    is_open = grievance.status in OPEN_STATUSES

    first = active.get(DeadlineKind.FIRST_RESPONSE)
    if not any(d.kind is DeadlineKind.FIRST_RESPONSE for d in mine):
        first = _start(session, clocks, grievance, DeadlineKind.FIRST_RESPONSE, sla, grievance.received_at)
    if first is not None and (grievance.first_response_at is not None or not is_open):
        _meet(first, grievance.first_response_at or now)

    resolution = active.get(DeadlineKind.RESOLUTION)
    if resolution is None and is_open:
        started = now if any(d.kind is DeadlineKind.RESOLUTION for d in mine) else grievance.received_at
        resolution = _start(session, clocks, grievance, DeadlineKind.RESOLUTION, sla, started)  # reopened: anew
    if resolution is not None:
        if not is_open:
            _meet(resolution, grievance.resolved_at or now)
        elif grievance.status is Status.AWAITING_CITIZEN and resolution.paused_at is None:
            _pause(resolution, clocks, now)
        elif grievance.status is not Status.AWAITING_CITIZEN and resolution.paused_at is not None:
            _resume(resolution, clocks, now)

    transfer = active.get(DeadlineKind.TRANSFER)
    if transfer is not None and (grievance.status is not Status.ASSIGNED or transfer.office_id != grievance.office_id):
        _meet(transfer, now)  # taken up, or passed on
        transfer = None
    if (transfer is None and sla.transfer_hours and grievance.status is Status.ASSIGNED
            and grievance.office_id is not None and not _had_it(session, grievance, mine)):
        _start(session, clocks, grievance, DeadlineKind.TRANSFER, sla, now)


def _had_it(session: Session, grievance: Grievance, mine: list[Deadline]) -> bool:
    """The office has had this grievance before: it had a take-up deadline for it, or got it by escalation
    (then the ladder's deadline applies, not a take-up one). Looks for a step only if a clock has escalated,
    so the sync of a new grievance (every intake) costs no query here."""
    if any(d.kind is DeadlineKind.TRANSFER and d.office_id == grievance.office_id for d in mine):
        return True
    return any(d.level for d in mine) and session.scalar(select(GrievanceEvent.id).where(
        GrievanceEvent.grievance_id == grievance.id, ESCALATION_STEPS,
        GrievanceEvent.office_id == grievance.office_id).limit(1)) is not None


def _start(session: Session, clocks: Clocks, grievance: Grievance, kind: DeadlineKind, sla: Sla,
           started: datetime) -> Deadline:
    hours = sla.hours(kind) or 0.0
    due = clocks.add(started, hours, office_id=grievance.office_id, basis=sla.basis)
    warn = clocks.add(started, hours * (1 - sla.warn_fraction), office_id=grievance.office_id, basis=sla.basis)
    deadline = Deadline(grievance_id=grievance.id, kind=kind, office_id=grievance.office_id, basis=sla.basis,
                        hours=hours, escalation_hours=sla.escalation_hours, started_at=started, due_at=due,
                        warn_at=warn if warn < due else None, level=0, next_at=due)
    session.add(deadline)
    return deadline


def _meet(deadline: Deadline, at: datetime) -> None:
    deadline.met_at = max(at, deadline.started_at)
    deadline.next_at = None
    deadline.warn_at = None
    deadline.paused_at = None


def _pause(deadline: Deadline, clocks: Clocks, now: datetime) -> None:
    """Waiting for the citizen: the office's remaining time is kept, not spent."""
    if deadline.next_at is None:
        return
    left = clocks.between(now, deadline.next_at, office_id=deadline.office_id, basis=deadline.basis)
    deadline.paused_at = now
    deadline.paused_remaining_seconds = left.total_seconds()
    deadline.next_at = None


def _resume(deadline: Deadline, clocks: Clocks, now: datetime) -> None:
    left = timedelta(seconds=deadline.paused_remaining_seconds or 0)
    deadline.next_at = clocks.add(now, left.total_seconds() / 3600, office_id=deadline.office_id,
                                  basis=deadline.basis)
    if deadline.level == 0:
        deadline.due_at = deadline.next_at
    deadline.paused_at = None
    deadline.paused_remaining_seconds = None


class EscalationRequest(StrEnum):
    REQUESTED = "requested"  # the next level is due now; the sweep takes it within its interval
    NOT_YET = "not_yet"  # the office still has time to answer
    ANSWERED = "answered"  # the office has spoken: there is no silence to escalate
    AT_TOP = "at_top"  # the last level has already been reached


def request_escalation(session: Session, *, grievance: Grievance,
                       now: datetime) -> tuple[EscalationRequest, Deadline | None]:
    """The citizen asks to escalate: allowed once their silence deadline has passed and while it is unmet."""
    sync(session, grievance=grievance, now=now)
    session.flush()
    deadline = session.scalar(select(Deadline).where(
        Deadline.grievance_id == grievance.id, Deadline.kind == DeadlineKind.FIRST_RESPONSE,
        Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None)))
    if deadline is None:
        return EscalationRequest.ANSWERED, None
    if deadline.due_at > now:
        return EscalationRequest.NOT_YET, deadline
    if deadline.next_at is None:
        return EscalationRequest.AT_TOP, deadline
    deadline.next_at = min(deadline.next_at, now)
    return EscalationRequest.REQUESTED, deadline
