"""Survey results for the dashboards and the weekly meeting: satisfaction by office, service and week, answers
by office, category, channel or area, and what dissatisfied citizens wrote. No figure is published below the
minimum count (no figures about individuals)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from intake.models import Confidentiality, Grievance, Office
from surveys.models import Survey

LOW = 2
COMMENTS = 20


@dataclass(frozen=True)
class Line:
    key: str
    name: str
    answered: int
    mean: float | None  # None below the minimum count
    dissatisfied: float | None  # share scoring 1 or 2
    asked_to_pay: float | None  # share answering yes to the payment question, of those asked

    @property
    def published(self) -> bool:
        return self.mean is not None


@dataclass(frozen=True)
class Comment:
    at: datetime
    office: str
    service: str
    score: int | None
    text: str
    followup: str | None  # the tracking number of the grievance it opened


@dataclass(frozen=True)
class Satisfaction:
    total: Line
    offices: list[Line]  # worst first
    services: list[Line]
    weeks: list[tuple[datetime, Line]]
    comments: list[Comment]  # newest first


def answered_in(*, since: datetime, until: datetime) -> tuple[ColumnElement[bool], ...]:
    """What counts as an answer: a score given in [since, until); a survey answered without one (an unclear
    answer, a comment only) is in no figure."""
    return Survey.answered_at >= since, Survey.answered_at < until, Survey.score.is_not(None)


def answers_by(session: Session, *, by: Literal["office", "category", "channel", "area"], since: datetime,
               until: datetime, office_ids: Collection[int] | None, integrity: bool) -> dict[str, tuple[int, int]]:
    """(answers, sum of their scores) per office id or channel of the survey, or category id or area of the
    grievance it asked about ("" for a service, or a grievance without one); sums, not means, so rows add up.

    `office_ids` None: every office. `integrity` False leaves out surveys of integrity grievances. The counts are
    raw: the caller withholds those below the minimum count."""
    key = {"office": Survey.office_id, "category": Grievance.category_id, "channel": Survey.channel,
           "area": Grievance.admin_area}[by]
    query = (select(key, func.count(), func.sum(Survey.score))
             .outerjoin(Grievance, Grievance.id == Survey.grievance_id)
             .where(*answered_in(since=since, until=until)).group_by(key))
    if office_ids is not None:
        query = query.where(Survey.office_id.in_(sorted(office_ids)))
    if not integrity:
        query = query.where(or_(Grievance.id.is_(None), Grievance.confidentiality != Confidentiality.INTEGRITY))
    return {"" if value is None else str(value): (count, int(total)) for value, count, total in session.execute(query)}


def satisfaction(session: Session, *, office_ids: set[int] | frozenset[int], since: datetime, until: datetime,
                 min_count: int, timezone: str) -> Satisfaction:
    names = dict(session.execute(select(Office.id, Office.name)).all())
    codes = dict(session.execute(select(Office.id, Office.code)).all())
    rows = session.execute(
        select(Survey.office_id, Survey.service, Survey.kind, Survey.answered_at, Survey.score, Survey.paid,
               Survey.comment, Grievance.tracking_number)
        .outerjoin(Grievance, Grievance.id == Survey.followup_grievance_id)
        .where(Survey.office_id.in_(sorted(office_ids)), *answered_in(since=since, until=until))).all()
    by_office, by_service, by_week = defaultdict(list), defaultdict(list), defaultdict(list)
    zone = ZoneInfo(timezone)
    for row in rows:
        by_office[row.office_id].append(row)
        by_service[row.service or f"complaint resolution ({row.kind})"].append(row)
        local = row.answered_at.astimezone(zone)
        by_week[(local - timedelta(days=local.weekday())).date()].append(row)

    def line(key: str, name: str, group: list) -> Line:  # noqa: ANN001 - result rows
        if len(group) < min_count:
            return Line(key, name, len(group), None, None, None)
        asked = [r.paid for r in group if r.paid is not None]
        return Line(key, name, len(group), round(fmean(r.score for r in group), 2),
                    round(sum(r.score <= LOW for r in group) / len(group), 3),
                    round(sum(asked) / len(asked), 3) if len(asked) >= min_count else None)

    offices = sorted((line(codes[o], names[o], g) for o, g in by_office.items()),
                     key=lambda r: (r.mean is None, r.mean or 0, r.name))
    services = sorted((line(s, s, g) for s, g in by_service.items()), key=lambda r: (r.mean is None, r.mean or 0))
    weeks = [(datetime.combine(week, datetime.min.time(), tzinfo=zone), line(week.isoformat(), week.isoformat(), g))
             for week, g in sorted(by_week.items())]
    comments = [Comment(r.answered_at, names.get(r.office_id, ""), r.service or "-", r.score, r.comment,
                        r.tracking_number)
                for r in sorted(rows, key=lambda r: r.answered_at, reverse=True)
                if r.comment and r.score is not None and r.score <= LOW][:COMMENTS]
    return Satisfaction(total=line("all", "All", list(rows)), offices=offices, services=services, weeks=weeks,
                        comments=comments)
