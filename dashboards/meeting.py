"""The weekly complaint meeting's pack: what came in and why, who stayed silent, what escalated, what was decided.

Azerbaijan's ASAN centres review complaints every Monday to understand why they happened; the pack gives
that meeting its agenda for one office and everything under it (an office, a district, a province).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from classifier.similarity import similarity
from classifier.text import normalise, tokens
from core.errors import InvalidInput
from dashboards import counts, kpis
from dashboards.figures import Value
from dashboards.models import ActionItem, ActionStatus
from escalation.models import Deadline, DeadlineKind
from intake.access import Scope
from intake.models import (
    ESCALATION_STEPS,
    Category,
    Confidentiality,
    EventKind,
    Grievance,
    GrievanceEvent,
    Office,
)
from surveys.results import Satisfaction, satisfaction

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
WEEKS_SHOWN = 8  # the received-per-week chart: the pack's week and the seven before
NOT_PLACED = "Not placed yet"  # grievances in triage (no office yet), and any without a category
CLUSTER_SIMILARITY = 0.3  # as alike as the related-case search asks
COMMON = frozenset({"the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "is", "are", "was",
                    "were", "it", "this", "that", "my", "our", "we", "no", "not", "has", "have", "been", "be",
                    "with", "from", "by", "there", "their", "they", "them", "since", "days", "day"})


@dataclass(frozen=True)
class Cluster:
    """Complaints about the same thing: how many, where, and the words they share (the likely cause)."""

    category: str
    numbers: list[str]
    example: str
    areas: list[str]
    words: list[str]


@dataclass(frozen=True)
class Silent:
    office: str
    missed: int  # the week's grievances whose first-response deadline passed without an answer in time
    waiting: int  # of those, still unanswered now
    oldest: list[str]  # tracking numbers of the longest waits


class CategoryCount(NamedTuple):
    name: str
    received: int  # this week
    before: int  # the week before


class Step(NamedTuple):
    """One step up the escalation ladder during the week."""

    number: str  # tracking number
    level: int
    office: str  # the office responsible at that level
    deadline: str  # the kind of deadline that passed
    at: datetime


class LevelCount(NamedTuple):
    level: int
    steps: int


@dataclass(frozen=True)
class Linked:
    """A case and the reports joined to it during the week, read from the LINKED events: what each citizen was told."""

    case: str  # the case's tracking number
    joined: list[str]  # reports the service found to repeat it; each citizen was told "handled with case ..."
    duplicates: list[str]  # reports staff marked as duplicates of it (not shown to the citizen)


@dataclass(frozen=True)
class WeekCount:
    week: str  # ISO week
    start: datetime  # Monday 00:00 in the office's timezone
    received: int


@dataclass
class Pack:
    office: Office
    week: str
    start: datetime
    end: datetime
    received: int
    received_before: int  # the week before, for comparison
    weekly: list[WeekCount]  # received in each of the WEEKS_SHOWN weeks ending with this one, oldest first
    triage: int | None  # of the week's grievances, those still waiting in triage; None: not in this viewer's sight
    integrity_left_out: bool  # integrity complaints are not counted: only oversight and admins see them
    categories: list[CategoryCount]
    linked: list[Linked]  # reports joined to a case during the week
    clusters: list[Cluster]  # complaints that look alike (text similarity), linked or not
    silent: list[Silent]
    escalated: list[Step]
    escalation_levels: list[LevelCount]  # the escalated rows counted by level, for the chart
    carried: list[ActionItem]  # decided earlier: still open, or closed during this week
    decided: list[ActionItem]  # recorded at this week's meeting
    satisfaction: Satisfaction  # survey answers during the week
    figures: dict[str, Value]  # every registry figure for the week (dashboards.figures): what the KPI API gives
    figures_before: dict[str, Value]  # the same for the week before
    as_of: datetime  # the pack's moment: a week not over yet is "so far", and only deadlines passed by then count

    @property
    def so_far(self) -> bool:
        return self.as_of < self.end

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()


def week_bounds(week: str, timezone: str) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00 in the office's timezone, for an ISO week such as 2026-W47."""
    found = WEEK.match(week.strip())
    if not found:
        raise InvalidInput("the week is an ISO week such as 2026-W47", field="week")
    try:
        monday = date.fromisocalendar(int(found[1]), int(found[2]), 1)
    except ValueError as exc:
        raise InvalidInput(f"there is no week {week!r}", field="week") from exc
    start = datetime.combine(monday, time(), tzinfo=ZoneInfo(timezone))
    return start, start + timedelta(days=7)


def iso_week(moment: datetime, *, timezone: str | None = None) -> str:
    """The ISO week of a moment, on the office's calendar when its timezone is given (Monday starts there)."""
    year, week, _ = (moment.astimezone(ZoneInfo(timezone)) if timezone else moment).isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(now: datetime, *, timezone: str) -> str:
    """The week before the current one in the office's timezone: the one a Monday meeting reviews."""
    return iso_week(now - timedelta(days=7), timezone=timezone)


def build(session: Session, *, scope: Scope, office: Office, week: str, now: datetime, min_count: int = 5) -> Pack:
    """The pack of one office's subtree for one week. Its figures are the registry's, counted as the dashboard
    and the KPI API count them, for the week in the office's time zone."""
    start, end = week_bounds(week, office.timezone)
    inside, integrity, unplaced = kpis.view(session, scope=scope, node=office)
    placed = Grievance.office_id.in_(sorted(inside))
    where = [scope.where(), or_(placed, Grievance.office_id.is_(None)) if unplaced else placed]
    names = dict(session.execute(select(Category.id, Category.name)).all())
    offices = dict(session.execute(select(Office.id, Office.name)).all())

    week_rows = session.execute(select(Grievance.tracking_number, Grievance.category_id, Grievance.admin_area,
                                       Grievance.text, Grievance.office_id)
                                .where(*where, Grievance.received_at >= start, Grievance.received_at < end)).all()
    this, before = (counts.count(session, offices=inside, integrity=integrity, unplaced=unplaced, since=a, until=b,
                                 now=now, only="category")  # its rows add up to the totals
                    for a, b in ((start, end), (start - timedelta(days=7), start)))
    rows = {when: {r.key: r for r in counts.rows(session, counted, by="category", min_count=min_count)}
            for when, counted in (("this", this), ("before", before))}
    # every category of either week, so each column adds up to its total (one only last week shows 0 this week)
    categories = sorted((CategoryCount(
        (rows["this"].get(code) or rows["before"][code]).name, _received(rows["this"].get(code)),
        _received(rows["before"].get(code))) for code in rows["this"].keys() | rows["before"].keys()
        if _received(rows["this"].get(code)) or _received(rows["before"].get(code))),
        key=lambda row: (-row.received, -row.before, row.name))
    figures = counts.total(this, min_count=min_count).figures
    escalated = _escalated(session, inside, integrity, start, end, offices)
    return Pack(office=office, week=week, start=start, end=end, received=figures["received"],
                received_before=counts.total(before, min_count=min_count).figures["received"],
                weekly=_weekly(session, where, start),
                triage=sum(1 for row in week_rows if row.office_id is None) if unplaced else None,
                integrity_left_out=not integrity, categories=categories,
                linked=_linked(session, where, start, end), clusters=_clusters(week_rows, names),
                silent=_silent(session, where, start, end, now, offices), escalated=escalated,
                escalation_levels=[LevelCount(*row) for row in sorted(Counter(s.level for s in escalated).items())],
                carried=_carried(session, office, week, start, end), decided=_decided(session, office, week),
                satisfaction=satisfaction(session, office_ids=inside, since=start, until=end,
                                          min_count=min_count, timezone=office.timezone), figures=figures,
                figures_before=counts.total(before, min_count=min_count).figures, as_of=now)


def _received(row: counts.Row | None) -> int:
    return row.tally.received if row is not None else 0


def _weekly(session: Session, where: list, start: datetime) -> list[WeekCount]:
    """Received per week, counted in one query; each Monday is midnight on the office's clock (DST included)."""
    mondays = [datetime.combine(start.date() - timedelta(weeks=back), time(), tzinfo=start.tzinfo)
               for back in range(WEEKS_SHOWN - 1, -1, -1)]
    bounds = [*mondays, datetime.combine(start.date() + timedelta(weeks=1), time(), tzinfo=start.tzinfo)]
    bucket = case(*((Grievance.received_at < bound, index) for index, bound in enumerate(bounds[1:-1])),
                  else_=WEEKS_SHOWN - 1).label("bucket")
    counts = dict(session.execute(select(bucket, func.count()).where(
        *where, Grievance.received_at >= bounds[0], Grievance.received_at < bounds[-1]).group_by("bucket")).all())
    return [WeekCount(week=iso_week(monday), start=monday, received=counts.get(index, 0))
            for index, monday in enumerate(mondays)]


def _linked(session: Session, where: list, start: datetime, end: datetime) -> list[Linked]:
    """The week's LINKED events in sight, by case: the links the citizens were told about, and staff duplicates."""
    cases: dict[str, tuple[list[str], list[str]]] = {}
    for number, data in session.execute(
            select(Grievance.tracking_number, GrievanceEvent.data)
            .join(Grievance, Grievance.id == GrievanceEvent.grievance_id)
            .where(*where, GrievanceEvent.kind == EventKind.LINKED, GrievanceEvent.at >= start,
                   GrievanceEvent.at < end).order_by(GrievanceEvent.at, GrievanceEvent.id)):
        case_number, duplicate = (data or {}).get("case"), (data or {}).get("duplicate_of")
        if case_number or duplicate:
            joined, duplicates = cases.setdefault(case_number or duplicate, ([], []))
            (joined if case_number else duplicates).append(number)
    return sorted((Linked(case=number, joined=joined, duplicates=duplicates)
                   for number, (joined, duplicates) in cases.items()),
                  key=lambda item: (-len(item.joined) - len(item.duplicates), item.case))


def _clusters(rows: list, names: dict[int, str]) -> list[Cluster]:  # noqa: ANN001
    """Greedy grouping within each category: a complaint joins the first group whose first one it resembles."""
    groups: list[list] = []
    for row in rows:
        alike = [g for g in groups if g[0].category_id == row.category_id]
        scores = similarity(row.text, [g[0].text for g in alike]) if alike else []
        best = max(range(len(scores)), key=scores.__getitem__, default=None)
        if best is not None and scores[best] >= CLUSTER_SIMILARITY:
            alike[best].append(row)
        else:
            groups.append([row])
    everywhere = Counter(word for row in rows for word in set(_words(row.text)))
    clusters = []
    for group in sorted((g for g in groups if len(g) >= 2), key=len, reverse=True)[:5]:
        inside = Counter(word for row in group for word in set(_words(row.text)))
        shared = [w for w, n in inside.most_common() if n * 2 >= len(group)]
        shared.sort(key=lambda w: -(inside[w] / len(group)) / (everywhere[w] / len(rows)))  # distinctive first
        areas = [area for area, _ in Counter(r.admin_area for r in group if r.admin_area).most_common(3)]
        clusters.append(Cluster(category=names.get(group[0].category_id, "Not placed yet"),
                                numbers=[r.tracking_number for r in group], example=group[0].text[:300],
                                areas=areas, words=shared[:6]))
    return clusters


def _words(text: str) -> list[str]:
    return [w for w in tokens(normalise(text)) if w not in COMMON and len(w) > 2 and not w.isdigit()]


def _silent(session: Session, where: list, start: datetime, end: datetime, now: datetime,
            offices: dict[int, str]) -> list[Silent]:
    """Per office, the week's grievances whose first-response deadline passed without an answer in time, worst
    first: the `first_response_missed` figure, row by row. A deadline still to come has not been missed."""
    found: dict[int | None, list[tuple[datetime, str, bool]]] = {}
    for office_id, number, due_at, met_at in session.execute(
            select(Grievance.office_id, Grievance.tracking_number, Deadline.due_at, Deadline.met_at)
            .join(Deadline, Deadline.grievance_id == Grievance.id)
            .where(*where, Grievance.received_at >= start, Grievance.received_at < end,
                   Deadline.kind == DeadlineKind.FIRST_RESPONSE, Deadline.due_at <= now,
                   or_(Deadline.met_at.is_(None), Deadline.met_at > Deadline.due_at))):
        found.setdefault(office_id, []).append((due_at, number, met_at is None))
    rows = [Silent(office=offices.get(office_id, NOT_PLACED), missed=len(items),
                   waiting=sum(1 for *_, w in items if w), oldest=[number for _, number, _ in sorted(items)[:3]])
            for office_id, items in found.items()]
    return sorted(rows, key=lambda r: (-r.missed, -r.waiting, r.office))


def _escalated(session: Session, inside: frozenset[int], integrity: bool, start: datetime, end: datetime,
               offices: dict[int, str]) -> list[Step]:
    """The week's steps up the ladder, credited as the `escalations` figure is: to the office whose deadline it
    was (dashboards.counts)."""
    whose = func.coalesce(Deadline.office_id, GrievanceEvent.office_id)
    rows = session.execute(
        select(Grievance.tracking_number, GrievanceEvent.level, GrievanceEvent.office_id, GrievanceEvent.data,
               GrievanceEvent.at)
        .join(Grievance, Grievance.id == GrievanceEvent.grievance_id)
        .outerjoin(Deadline, Deadline.id == GrievanceEvent.deadline_id)
        .where(ESCALATION_STEPS, GrievanceEvent.at >= start, GrievanceEvent.at < end, whose.in_(sorted(inside)),
               *([] if integrity else [Grievance.confidentiality != Confidentiality.INTEGRITY]))
        .order_by(GrievanceEvent.at, GrievanceEvent.id))
    return [Step(number, level, offices.get(office_id, "?"), (data or {}).get("deadline", ""), at)
            for number, level, office_id, data, at in rows]


def _carried(session: Session, office: Office, week: str, start: datetime, end: datetime) -> list[ActionItem]:
    """Earlier meetings' items: every one still open, and those closed since the last meeting."""
    return list(session.scalars(select(ActionItem).where(
        ActionItem.meeting_office_id == office.id, ActionItem.week < week,
        or_(ActionItem.status == ActionStatus.OPEN, ActionItem.closed_at >= start - timedelta(days=7)))
        .order_by(ActionItem.due_on, ActionItem.id)))


def _decided(session: Session, office: Office, week: str) -> list[ActionItem]:
    return list(session.scalars(select(ActionItem).where(ActionItem.meeting_office_id == office.id,
                                                         ActionItem.week == week).order_by(ActionItem.id)))
