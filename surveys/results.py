"""Survey results for the dashboards and the weekly meeting: satisfaction by office, service and week, and what
dissatisfied citizens wrote. No figure is published below the minimum count (no figures about individuals)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Grievance, Office
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


def satisfaction(session: Session, *, office_ids: set[int] | frozenset[int], since: datetime, until: datetime,
                 min_count: int, timezone: str) -> Satisfaction:
    names = dict(session.execute(select(Office.id, Office.name)).all())
    codes = dict(session.execute(select(Office.id, Office.code)).all())
    rows = session.execute(
        select(Survey.office_id, Survey.service, Survey.kind, Survey.answered_at, Survey.score, Survey.paid,
               Survey.comment, Grievance.tracking_number)
        .outerjoin(Grievance, Grievance.id == Survey.followup_grievance_id)
        .where(Survey.office_id.in_(sorted(office_ids)), Survey.answered_at >= since, Survey.answered_at < until,
               Survey.score.is_not(None))).all()
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
