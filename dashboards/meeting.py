"""The weekly complaint meeting's pack: what came in and why, who stayed silent, what escalated, what was decided.

Azerbaijan's ASAN centres review complaints every Monday to understand why they happened; the pack gives
that meeting its agenda for one office and everything under it (an office, a district, a province).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from classifier.similarity import similarity
from classifier.text import normalise, tokens
from core.errors import InvalidInput
from dashboards.models import ActionItem, ActionStatus
from escalation.models import Deadline, DeadlineKind
from intake.access import Scope, subtree
from intake.models import ESCALATION_STEPS, Category, Grievance, GrievanceEvent, Office
from surveys.results import Satisfaction, satisfaction

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
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
    missed: int  # first-response deadlines that fell in the week and were not met in time
    waiting: int  # of those, still unanswered at the end of the week
    oldest: list[str]  # tracking numbers of the longest waits


@dataclass
class Pack:
    office: Office
    week: str
    start: datetime
    end: datetime
    received: int
    received_before: int  # the week before, for comparison
    categories: list[tuple[str, int, int]]  # name, this week, the week before
    clusters: list[Cluster]
    silent: list[Silent]
    escalated: list[tuple[str, int, str, str, datetime]]  # number, level, office, deadline kind, when
    carried: list[ActionItem]  # decided earlier: still open, or closed during this week
    decided: list[ActionItem]  # recorded at this week's meeting
    satisfaction: Satisfaction  # survey answers during the week
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


def iso_week(moment: datetime) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def build(session: Session, *, scope: Scope, office: Office, week: str, now: datetime, min_count: int = 5) -> Pack:
    start, end = week_bounds(week, office.timezone)
    parents = dict(session.execute(select(Office.id, Office.parent_id)).all())
    inside = sorted(subtree(parents, office.id))
    where = [scope.where(), Grievance.office_id.in_(inside)]
    names = dict(session.execute(select(Category.id, Category.name)).all())
    offices = dict(session.execute(select(Office.id, Office.name)).all())

    week_rows = session.execute(select(Grievance.tracking_number, Grievance.category_id, Grievance.admin_area,
                                       Grievance.text)
                                .where(*where, Grievance.received_at >= start, Grievance.received_at < end)).all()
    before = Counter(session.scalars(select(Grievance.category_id).where(
        *where, Grievance.received_at >= start - timedelta(days=7), Grievance.received_at < start)).all())
    now_counts = Counter(row.category_id for row in week_rows)
    # every category of either week, so each column adds up to its total (one only last week shows 0 this week)
    categories = sorted(((names.get(c, "Not placed yet"), now_counts.get(c, 0), before.get(c, 0))
                         for c in now_counts.keys() | before.keys()), key=lambda item: (-item[1], -item[2], item[0]))
    return Pack(office=office, week=week, start=start, end=end, received=len(week_rows),
                received_before=sum(before.values()), categories=categories,
                clusters=_clusters(week_rows, names), silent=_silent(session, where, start, min(end, now), offices),
                escalated=_escalated(session, where, start, end, offices),
                carried=_carried(session, office, week, start, end), decided=_decided(session, office, week),
                satisfaction=satisfaction(session, office_ids=_seen(scope, inside), since=start, until=end,
                                          min_count=min_count, timezone=office.timezone), as_of=now)


def _seen(scope: Scope, offices: list[int]) -> frozenset[int]:
    return frozenset(offices) & scope.office_ids if scope.office_ids is not None else frozenset(offices)


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


def _silent(session: Session, where: list, start: datetime, end: datetime, offices: dict[int, str]) -> list[Silent]:
    """Per office, the first-response deadlines of the week that passed unanswered, worst first. `end` is the week's
    end or, in a week not over yet, now: a deadline still to come has not been missed."""
    found: dict[int, list[tuple[datetime, str, bool]]] = {}
    for office_id, number, due_at, met_at in session.execute(
            select(Grievance.office_id, Grievance.tracking_number, Deadline.due_at, Deadline.met_at)
            .join(Deadline, Deadline.grievance_id == Grievance.id)
            .where(*where, Deadline.kind == DeadlineKind.FIRST_RESPONSE, Deadline.due_at >= start,
                   Deadline.due_at < end, or_(Deadline.met_at.is_(None), Deadline.met_at > Deadline.due_at))):
        found.setdefault(office_id, []).append((due_at, number, met_at is None or met_at >= end))
    rows = [Silent(office=offices.get(office_id, "?"), missed=len(items), waiting=sum(1 for *_, w in items if w),
                   oldest=[number for _, number, _ in sorted(items)[:3]]) for office_id, items in found.items()]
    return sorted(rows, key=lambda r: (-r.missed, -r.waiting, r.office))


def _escalated(session: Session, where: list, start: datetime, end: datetime,
               offices: dict[int, str]) -> list[tuple[str, int, str, str, datetime]]:
    rows = session.execute(
        select(Grievance.tracking_number, GrievanceEvent.level, GrievanceEvent.office_id, GrievanceEvent.data,
               GrievanceEvent.at)
        .join(Grievance, Grievance.id == GrievanceEvent.grievance_id)
        .where(*where, ESCALATION_STEPS, GrievanceEvent.at >= start, GrievanceEvent.at < end)
        .order_by(GrievanceEvent.at))
    return [(number, level, offices.get(office_id, "?"), (data or {}).get("deadline", ""), at)
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
