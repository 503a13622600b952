"""Daily and weekly rollups of the dashboard's figures, recounted for the days whose grievances changed.

Drawing a province's eight weeks from the grievances themselves read 150,000 rows at a million
grievances and took seconds. The rollup keeps, per day and office, a few rows of `Tally` (the whole, and
split by category, channel and area), and the same per week as the sum of its days. The job (`redress
jobs run rollups`) counts every day not yet counted and recounts the days of grievances marked in
`core.grievance_changes`. A dashboard reads the kept weeks and days as of their last count (a change
shows after the next run) and counts live, with the same code, only the days not counted yet (every
day before the job first ran), so nothing is ever missing from it.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, delete, false, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, sessionmaker

from core.db import transaction
from core.grievance_changes import GrievanceChange
from dashboards import tally
from dashboards.models import KpiComputed, KpiRollup
from dashboards.tally import Tally
from escalation.models import Deadline, DeadlineKind
from intake.models import Confidentiality, Grievance
from intake.services import OPEN_STATUSES

log = logging.getLogger(__name__)

KEY = (KpiRollup.day, KpiRollup.integrity, KpiRollup.office_id, KpiRollup.facet, KpiRollup.value)
FIGURES = (KpiRollup.received, KpiRollup.answered, KpiRollup.judged, KpiRollup.within, KpiRollup.resolved,
           KpiRollup.open, KpiRollup.overdue, KpiRollup.silences, KpiRollup.resolutions, KpiRollup.waiting,
           KpiRollup.judge_at, KpiRollup.overdue_at)


def facets(category_id: int | None, channel: str, area: str | None) -> list[tuple[str, str]]:
    """The facet rows one grievance counts in; "" stands for a category or area not given."""
    return [("all", ""), ("category", "" if category_id is None else str(category_id)), ("channel", channel),
            ("area", area or "")]


def count(session: Session, *, where: list[ColumnElement[bool]], now: datetime, window: bool = True,
          unplaced: bool = False) -> dict[tuple[date, bool, int | None, str, str], Tally]:
    """Tally the routed grievances (with `unplaced`, those with no office yet) matching `where`, as they stand
    at `now`, by day, integrity, office and facet. With `window` false only their open state counts (the days
    before a period)."""
    first = aliased(Deadline)
    nearest = (select(func.min(Deadline.due_at)).where(Deadline.grievance_id == Grievance.id,
                                                       Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))
               .scalar_subquery())
    query = (select(Grievance.office_id, Grievance.category_id, Grievance.channel, Grievance.admin_area,
                    Grievance.confidentiality, Grievance.status, Grievance.received_at, Grievance.first_response_at,
                    Grievance.resolved_at, first.due_at, first.met_at, nearest)
             .outerjoin(first, (first.grievance_id == Grievance.id) & (first.kind == DeadlineKind.FIRST_RESPONSE))
             .where(Grievance.office_id.is_(None) if unplaced else Grievance.office_id.is_not(None), *where))
    if not window:
        query = query.where(Grievance.status.in_(sorted(OPEN_STATUSES)))
    tallies: dict[tuple[date, bool, int | None, str, str], Tally] = defaultdict(Tally)
    for (office_id, category_id, channel, area, confidentiality, status, received, answered, resolved, first_due,
         first_met, nearest_due) in session.execute(query):
        head = (received.date(), confidentiality == Confidentiality.INTEGRITY, office_id)
        tally.count([tallies[(*head, facet, value)] for facet, value in facets(category_id, channel.value, area)],
                    is_open=status in OPEN_STATUSES, received=received, answered=answered, resolved=resolved,
                    first_due=first_due, first_met=first_met, nearest_due=nearest_due, now=now, window=window)
    return tallies


def run(factory: sessionmaker[Session], *, now: datetime) -> int:
    """Count the days not yet counted (or counted at a later `now`) and recount the changed ones. Each day is
    read, then written in a short transaction of its own (SQLite's one writer is not held while counting),
    so a crash loses at most the day in hand. Returns how many days were counted."""
    with factory() as session:
        marks = session.execute(select(GrievanceChange.id, Grievance.received_at)
                                .outerjoin(Grievance, Grievance.id == GrievanceChange.grievance_id)).all()
        computed = dict(session.execute(select(KpiComputed.day, KpiComputed.computed_at)).all())
        first = session.scalar(select(func.min(Grievance.received_at)))
    by_day: dict[date | None, list[int]] = defaultdict(list)
    for mark, received in marks:
        by_day[received.date() if received else None].append(mark)
    days = {day for day in by_day if day is not None}
    if first is not None:
        day = first.date()
        while day <= now.date():
            if day not in computed or computed[day] > now:
                days.add(day)
            day += timedelta(days=1)
    for day in sorted(days):
        start = _at(day)
        with factory() as session:
            tallies = count(session, where=[Grievance.received_at >= start,
                                            Grievance.received_at < start + timedelta(days=1)], now=now)
        try:
            with transaction(factory) as session:
                _write(session, day, {key[1:]: one for key, one in tallies.items()}, now)
                _consume(session, by_day.get(day, []))
        except IntegrityError:  # another worker counted the day at the same moment: its count stands
            log.info("rollups: %s was counted by another worker", day)
    if by_day.get(None):
        with transaction(factory) as session:
            _consume(session, by_day[None])  # marks of grievances that no longer exist
    return len(days)


def _write(session: Session, day: date, tallies: dict[tuple[bool, int, str, str], Tally], now: datetime) -> None:
    """Replace the day's rows, and its week's (the sum of the week's days), in one transaction."""
    session.execute(delete(KpiRollup).where(KpiRollup.day == day, KpiRollup.days == 1))
    session.execute(delete(KpiComputed).where(KpiComputed.day == day))
    _insert(session, day, 1, tallies)
    session.add(KpiComputed(day=day, computed_at=now))
    session.flush()
    monday = day - timedelta(days=day.weekday())
    week: dict[tuple[bool, int, str, str], Tally] = defaultdict(Tally)
    for row in session.execute(select(*KEY, *FIGURES).where(
            KpiRollup.days == 1, KpiRollup.day >= monday, KpiRollup.day < monday + timedelta(days=7))):
        week[(row.integrity, row.office_id, row.facet, row.value)].add(Tally.from_row(row))
    session.execute(delete(KpiRollup).where(KpiRollup.day == monday, KpiRollup.days == 7))
    _insert(session, monday, 7, week)


def _insert(session: Session, day: date, days: int, tallies: dict[tuple[bool, int, str, str], Tally]) -> None:
    rows = [{"day": day, "days": days, "integrity": integrity, "office_id": office_id, "facet": facet,
             "value": value, **one.to_row()} for (integrity, office_id, facet, value), one in tallies.items()]
    if rows:
        session.execute(insert(KpiRollup), rows)


def _consume(session: Session, marks: list[int]) -> None:
    """Delete exactly the marks read before the count: one written since stays for the next run."""
    for start in range(0, len(marks), 1000):
        session.execute(delete(GrievanceChange).where(GrievanceChange.id.in_(marks[start:start + 1000])))


def kept_days(session: Session, now: datetime) -> set[date]:
    """The days counted as of `now` or earlier (a count made at a later `now`, by a job run with --now, is
    not read at an earlier one)."""
    return {day for day, at in session.execute(select(KpiComputed.day, KpiComputed.computed_at)) if at <= now}


def read(session: Session, *, offices: Iterable[int], integrity: bool, since: datetime, until: datetime,
         now: datetime, facets: Iterable[str] | None = None) -> Iterator[tuple[date | None, int, str, str, Tally]]:
    """The tallies of `offices` at `now` for the grievances received in [since, until): per day (or week),
    office and facet; then, with day None, the open state of those received before `since`. Whole days
    come from the kept weeks and days, as of their last count; the days not counted yet, and the parts of
    days at either end of the period, are counted live with the same code, so any period is exact."""
    offices = sorted(offices)
    kept = kept_days(session, now)
    end = end_of(until, now)
    first, last = _day_from(since), _day_to(end)  # the whole days of the period: [first, last)
    whole = [first + timedelta(days=i) for i in range((last - first).days)]
    live: list[tuple[datetime | None, datetime]] = (
        [(since, _at(first)), (_at(last), end)] if whole else [(since, end)])
    weeks, days = [], []
    for day in whole:
        monday = day - timedelta(days=day.weekday())
        span = [monday + timedelta(days=i) for i in range(7)]
        if all(d in kept and first <= d < last for d in span):
            if day == monday:
                weeks.append(monday)
        elif day in kept:
            days.append(day)
        else:
            live.append((_at(day), _at(day + timedelta(days=1))))
    mine = [KpiRollup.office_id.in_(offices)] + ([] if integrity else [KpiRollup.integrity.is_(False)]) + (
        [] if facets is None else [KpiRollup.facet.in_(sorted(facets))])
    wanted = None if facets is None else set(facets)
    grievances = [Grievance.office_id.in_(offices)] + (
        [] if integrity else [Grievance.confidentiality != Confidentiality.INTEGRITY])

    for span, firsts in ((7, weeks), (1, days)):
        for start in range(0, len(firsts), 500):
            for row in session.execute(select(*KEY, *FIGURES).where(
                    *mine, KpiRollup.days == span, KpiRollup.day.in_(firsts[start:start + 500]))):
                yield row.day, row.office_id, row.facet, row.value, Tally.from_row(row)
    live = _merged(*((a, b) for a, b in live if a is None or a < b))
    if live:
        for (day, _, office_id, facet, value), counted in count(
                session, where=[*grievances, _within(live)], now=now).items():
            if wanted is None or facet in wanted:
                yield day, office_id, facet, value, counted

    before = [day for day in sorted(kept) if _at(day + timedelta(days=1)) <= since]  # whole days before the period
    earlier = [*mine, KpiRollup.days == 1, or_(false(), *(and_(KpiRollup.day >= a, KpiRollup.day < b)
                                                          for a, b in _runs(before)))]
    for office_id, facet, value, open_, overdue in session.execute(
            select(KpiRollup.office_id, KpiRollup.facet, KpiRollup.value, func.sum(KpiRollup.open),
                   func.sum(KpiRollup.overdue))
            .where(*earlier, KpiRollup.open > 0).group_by(KpiRollup.office_id, KpiRollup.facet, KpiRollup.value)):
        yield None, office_id, facet, value, Tally(open=open_, overdue=overdue)
    for office_id, facet, value, overdue_at in session.execute(
            select(KpiRollup.office_id, KpiRollup.facet, KpiRollup.value, KpiRollup.overdue_at)
            .where(*earlier, KpiRollup.overdue_at.is_not(None))):
        yield None, office_id, facet, value, Tally(overdue_at=list(overdue_at))
    for (_, _, office_id, facet, value), counted in count(
            session, where=[*grievances, _within(_gaps(before, since))], now=now, window=False).items():
        if wanted is None or facet in wanted:
            yield None, office_id, facet, value, counted


def end_of(until: datetime, now: datetime) -> datetime:
    """Where a period asked up to `until` really ends: nothing has happened after now, and what happened at
    this very instant counts (a period that ends now includes it)."""
    return until if until < now else now + timedelta(microseconds=1)


def _within(spans: list[tuple[datetime | None, datetime]]) -> ColumnElement[bool]:
    """Received in one of `spans` (a span from None: any time before its end)."""
    return or_(false(), *(and_(Grievance.received_at >= a, Grievance.received_at < b) if a is not None
                          else Grievance.received_at < b for a, b in spans))


def _merged(*spans: tuple[datetime | None, datetime]) -> list[tuple[datetime | None, datetime]]:
    """Touching spans joined, so the live count's condition stays short."""
    out: list[tuple[datetime | None, datetime]] = []
    for a, b in sorted(spans, key=lambda s: (s[0] is not None, s[0] or s[1])):
        if out and a is not None and out[-1][1] >= a:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _gaps(kept: list[date], until: datetime) -> list[tuple[datetime | None, datetime]]:
    """The time before `until` not covered by the kept days (sorted): what must be counted live."""
    gaps: list[tuple[datetime | None, datetime]] = []
    cursor: datetime | None = None
    for a, b in _runs(kept):
        if cursor is None or cursor < _at(a):
            gaps.append((cursor, _at(a)))
        cursor = _at(b)
    if cursor is None or cursor < until:
        gaps.append((cursor, until))
    return gaps


def _runs(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days as (first, day after the last) pairs."""
    runs: list[tuple[date, date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] == day:
            runs[-1] = (runs[-1][0], day + timedelta(days=1))
        else:
            runs.append((day, day + timedelta(days=1)))
    return runs


def _day_from(moment: datetime) -> date:
    """The first whole UTC day at or after `moment`."""
    day = moment.astimezone(UTC).date()
    return day if _at(day) >= moment else day + timedelta(days=1)


def _day_to(moment: datetime) -> date:
    """The day after the last whole UTC day ending at or before `moment`."""
    return moment.astimezone(UTC).date()


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
