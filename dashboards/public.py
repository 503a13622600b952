"""Public responsiveness figures: per office and per category, over the grievances anyone may know about.

Integrity grievances are left out of every public figure (they concern individual staff); grievances not
placed yet count, in a row of their own; every figure below the minimum count is withheld (no figures
about individuals). The rows come from the one count and registry every staff page reads
(`dashboards.counts`, `dashboards.figures`), and feed both the public pages and the open-data files.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from dashboards import counts, figures
from dashboards.counts import Row
from intake.models import Confidentiality, Grievance, Office

PUBLIC = Grievance.confidentiality != Confidentiality.INTEGRITY
By = Literal["office", "category"]


def fields(row: Row) -> dict[str, object]:
    """The flat record of the open-data files (docs/open-data.md): code, name, every figure, published."""
    return {"code": row.key, "name": row.name, **row.figures, "published": row.published}


def league(session: Session, *, by: By, since: datetime, now: datetime, min_count: int,
           until: datetime | None = None) -> list[Row]:
    """Every office (or category) with grievances or events in the period, most responsive first, withheld
    rows last."""
    rows = counts.rows(session, _count(session, since=since, until=until or now, now=now, by=by), by=by,
                       min_count=min_count)
    return sorted(rows, key=lambda r: (not r.published, -(r.figures["within_deadline_share"] or 0),
                                       r.figures["silence_median_hours"] or 0, r.key))


def _count(session: Session, *, since: datetime, until: datetime, now: datetime, by: By,
           office: int | None = None) -> counts.Counts:
    """The public count: every office (or only `office`), integrity complaints left out, triage in."""
    offices = {office} if office is not None else set(session.scalars(select(Office.id)))
    return counts.count(session, offices=offices, integrity=False, unplaced=office is None, since=since,
                        until=until, now=now, only=by)


@dataclass(frozen=True)
class Month:
    start: date
    row: Row | None  # None: nothing received that month


def monthly(session: Session, *, by: By, code: str, months: int, now: datetime, min_count: int) -> list[Month]:
    """The last `months` calendar months of one office or category, oldest first."""
    first = date(now.year, now.month, 1)
    office = session.scalar(select(Office.id).where(Office.code == code)) if by == "office" else None
    out = []
    for start in [_add_months(first, -n) for n in range(months - 1, -1, -1)]:
        end = _add_months(start, 1)
        begin = datetime(start.year, start.month, 1, tzinfo=now.tzinfo)
        counted = _count(session, since=begin, until=datetime(end.year, end.month, 1, tzinfo=now.tzinfo), now=now,
                         by=by, office=office)
        row = next((r for r in counts.rows(session, counted, by=by, min_count=min_count) if r.key == code), None)
        out.append(Month(start, row if row is not None and row.tally.received else None))
    return out


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period(now: datetime, days: int) -> datetime:
    return now - timedelta(days=days)


CODES = ("code", "name", *figures.CODES, "published")  # the open-data files' columns, in order
