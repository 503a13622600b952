"""Public responsiveness figures: per office and per category, over the grievances anyone may know about.

Integrity grievances are left out of every public figure (they concern individual staff); every figure
below the minimum count is withheld (no figures about individuals). The same rows feed the public pages
and the open-data files, so they always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from escalation.queries import SilenceRow, silence
from intake.models import Category, Confidentiality, Grievance, GrievanceEvent, Office
from surveys.results import Line, satisfaction

PUBLIC = Grievance.confidentiality != Confidentiality.INTEGRITY
By = Literal["office", "category"]


@dataclass(frozen=True)
class PublicRow:
    code: str
    name: str
    figures: SilenceRow
    missed_deadlines: int  # deadlines that passed unmet (each escalated once to the office head)
    satisfaction: Line | None  # survey answers, offices only

    def fields(self) -> dict[str, object]:
        """The flat record of the open-data files (docs/open-data.md)."""
        f, s = self.figures, self.satisfaction
        return {"code": self.code, "name": self.name, "received": f.count, "answered": f.answered,
                "silence_median_hours": f.silence_median_hours, "silence_p90_hours": f.silence_p90_hours,
                "within_deadline_share": f.within_deadline_share, "resolved": f.resolved,
                "resolution_median_hours": f.resolution_median_hours,
                "resolution_p90_hours": f.resolution_p90_hours,
                "missed_deadlines": self.missed_deadlines if f.published else None,
                "survey_answers": s.answered if s else None,
                "satisfaction_mean": s.mean if s else None, "published": f.published}


def league(session: Session, *, by: By, since: datetime, now: datetime, min_count: int) -> list[PublicRow]:
    """Every office (or category) with grievances in the period, most responsive first, withheld rows last."""
    rows = silence(session, where=PUBLIC, since=since, now=now, by=by, min_count=min_count)
    missed = _missed(session, by=by, since=since)
    surveyed: dict[str, Line] = {}
    if by == "office":
        offices = set(session.scalars(select(Office.id)))
        surveyed = {line.key: line for line in satisfaction(session, office_ids=offices, since=since, until=now,
                                                             min_count=min_count, timezone="UTC").offices}
    out = [PublicRow(r.key, r.name, r, missed.get(r.key, 0), surveyed.get(r.key) if by == "office" else None)
           for r in rows]
    return sorted(out, key=lambda r: (not r.figures.published, -(r.figures.within_deadline_share or 0),
                                      r.figures.silence_median_hours or 0, r.code))


def _missed(session: Session, *, by: By, since: datetime) -> dict[str, int]:
    if by == "office":
        query = (select(Office.code, func.count()).join(GrievanceEvent, GrievanceEvent.office_id == Office.id)
                 .join(Grievance, Grievance.id == GrievanceEvent.grievance_id).group_by(Office.code))
    else:
        query = (select(Category.code, func.count()).join(Grievance, Grievance.category_id == Category.id)
                 .join(GrievanceEvent, GrievanceEvent.grievance_id == Grievance.id).group_by(Category.code))
    query = query.where(GrievanceEvent.level == 1, GrievanceEvent.at >= since, PUBLIC)
    return dict(session.execute(query).all())


@dataclass(frozen=True)
class Month:
    start: date
    figures: SilenceRow | None  # None: nothing received that month


def monthly(session: Session, *, by: By, code: str, months: int, now: datetime, min_count: int) -> list[Month]:
    """The last `months` calendar months of one office or category, oldest first."""
    column, model = (Grievance.office_id, Office) if by == "office" else (Grievance.category_id, Category)
    key = session.scalar(select(model.id).where(model.code == code))
    first = date(now.year, now.month, 1)
    starts = [_add_months(first, -n) for n in range(months - 1, -1, -1)]
    out = []
    for start in starts:
        begin = datetime(start.year, start.month, 1, tzinfo=now.tzinfo)
        end_day = _add_months(start, 1)
        end = datetime(end_day.year, end_day.month, 1, tzinfo=now.tzinfo)
        rows = silence(session, where=PUBLIC & (column == key) & (Grievance.received_at < end), since=begin,
                       now=now, by=by, min_count=min_count)
        out.append(Month(start, rows[0] if rows else None))
    return out


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)
