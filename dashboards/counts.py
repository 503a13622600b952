"""The one count behind every figure: tallies per office and facet for a period, read from the rollups.

Every page, file and API that shows figures calls `count` and groups its tallies with `rows`, then reads
the values from `dashboards.figures`; none counts on its own, so none can drift from the others. A
grievance's own figures come from the daily rollups (the edges of a period, and days not counted yet,
counted live with the same code); escalations, transfers and survey answers are counted here from their
tables, credited to their office and to the grievance's category, channel and area.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboards import figures, rollups, tally
from dashboards.tally import Tally
from escalation.models import Deadline
from intake.models import ESCALATION_STEPS, Category, Confidentiality, Grievance, GrievanceEvent, Office
from routing.models import CorrectionKind, RoutingCorrection
from surveys.results import answers_by

Dimension = Literal["office", "category", "channel", "area"]
FACET = {"office": "all", "category": "category", "channel": "channel", "area": "area"}
NOT_PLACED = "Not placed yet"
NOT_GIVEN = "not given"
Key = tuple[int | None, str, str]  # office id (None: not placed yet), facet, value ("" for none)


@dataclass
class Counts:
    """Tallies settled at `now`, per office and facet; and grievances received per day, for trends."""

    since: datetime
    until: datetime
    now: datetime
    only: str | None = None  # counted for one dimension only: the others' rows are missing
    tallies: dict[Key, Tally] = field(default_factory=lambda: defaultdict(Tally))
    daily: dict[Key, Counter[date]] = field(default_factory=lambda: defaultdict(Counter))


@dataclass
class Row:
    """One line of a table: an office (with what lies under it), a category, a channel or an area."""

    key: str
    name: str
    tally: Tally
    daily: Counter[date]
    figures: dict[str, figures.Value]
    published: bool  # enough grievances for its times and shares to be shown


def count(session: Session, *, offices: Collection[int], integrity: bool, unplaced: bool, since: datetime,
          until: datetime, now: datetime, only: Dimension | None = None) -> Counts:
    """The tallies of the grievances of `offices` received in [since, until) and the events of the period, as
    they stand at `now`. `integrity`: include integrity complaints (oversight); `unplaced`: include the
    grievances with no office yet (who places them, at the top of the tree; the public figures). `only`: the
    one dimension a page will group by (the others' rollup rows are not read)."""
    out = Counts(since=since, until=until, now=now, only=only)
    for day, office_id, facet, value, one in rollups.read(session, offices=offices, integrity=integrity,
                                                          since=since, until=until, now=now,
                                                          facets=None if only is None else [FACET[only]]):
        _add(out, (office_id, facet, value), one, day)
    visible = [] if integrity else [Grievance.confidentiality != Confidentiality.INTEGRITY]
    if unplaced:
        received = [Grievance.received_at >= since, Grievance.received_at < rollups.end_of(until, now)]
        for window, where in ((True, received), (False, [Grievance.received_at < since])):
            for (day, _, office_id, facet, value), one in rollups.count(
                    session, where=[*visible, *where], now=now, window=window, unplaced=True).items():
                _add(out, (office_id, facet, value), one, day if window else None)
    end = rollups.end_of(until, now)
    places = sorted(offices)
    office = func.coalesce(Deadline.office_id, GrievanceEvent.office_id)
    for office_id, level, *facets in session.execute(
            select(office, GrievanceEvent.level, *_facets())
            .join(Grievance, Grievance.id == GrievanceEvent.grievance_id)
            .outerjoin(Deadline, Deadline.id == GrievanceEvent.deadline_id)
            .where(ESCALATION_STEPS, GrievanceEvent.at >= since, GrievanceEvent.at < end, office.in_(places),
                   *visible)):
        for one in _targets(out, office_id, *facets):
            one.escalations += 1
            one.missed += level == 1
    for office_id, held, *facets in session.execute(
            select(RoutingCorrection.from_office_id, RoutingCorrection.held_seconds, *_facets())
            .join(Grievance, Grievance.id == RoutingCorrection.grievance_id)
            .where(RoutingCorrection.kind == CorrectionKind.TRANSFER, RoutingCorrection.at >= since,
                   RoutingCorrection.at < end, RoutingCorrection.from_office_id.in_(places), *visible)):
        for one in _targets(out, office_id, *facets):
            one.transfers += 1
            if held is not None:
                one.held[tally.bucket(held)] += 1
    for dimension in figures.DIMENSIONS if only is None else [only]:
        for value, (answers, scores) in answers_by(session, by=dimension, since=since, until=end,
                                                   office_ids=offices, integrity=integrity).items():
            key = (int(value), "all", "") if dimension == "office" else (None, FACET[dimension], value)
            out.tallies[key].add(Tally(answers=answers, scores=scores))
    for one in out.tallies.values():
        one.settle(now)
    return out


def _facets() -> tuple:
    return Grievance.category_id, Grievance.channel, Grievance.admin_area


def _targets(out: Counts, office_id: int, category_id: int | None, channel: object, area: str | None) -> list[Tally]:
    return [out.tallies[(office_id, facet, value)]
            for facet, value in rollups.facets(category_id, getattr(channel, "value", channel), area)]


def _add(out: Counts, key: Key, one: Tally, day: date | None) -> None:
    out.tallies[key].add(one)
    if day is not None and one.received:
        out.daily[key][day] += one.received


def rows(session: Session, counted: Counts, *, by: Dimension, min_count: int,
         group: Callable[[int | None], int | None] | None = None, include: Collection[object] = ()) -> list[Row]:
    """The tallies summed into one row per office, category, channel or area, named, with their figures.
    By office, `group` maps an office to the row it counts in (e.g. a province's district; None leaves it
    out); by default each office is its own row, and grievances not placed yet make a row of their own.
    The keys in `include` (office or category ids, channels, areas) have a row even when nothing counted."""
    summed: dict[str, Tally] = defaultdict(Tally)
    for key in include:
        summed[str(key)] = Tally()
    daily: dict[str, Counter[date]] = defaultdict(Counter)
    if counted.only not in (None, by):
        raise ValueError(f"counted for {counted.only} only, not {by}")
    facet = FACET[by]
    for key, one in counted.tallies.items():
        office_id, kind, value = key
        if kind != facet:
            continue
        if by == "office":
            target = group(office_id) if group is not None and office_id is not None else office_id
            if target is None and office_id is not None:
                continue
            value = "" if target is None else str(target)
        summed[value].add(one)
        daily[value].update(counted.daily.get(key, Counter()))
    names = _names(session, by, summed)
    return [_row(*names[value], one, daily[value], min_count) for value, one in summed.items()]


def total(counted: Counts, *, min_count: int) -> Row:
    """Every grievance and event of the count in one row. Each counts once in every facet (its office, its one
    category, channel and area, "" for none), so any one facet's rows add up to the whole: the one counted."""
    facet = FACET[counted.only or "office"]
    whole, daily = Tally(), Counter()
    for (_, kind, _), one in counted.tallies.items():
        if kind == facet:
            whole.add(one)
    for (_, kind, _), days in counted.daily.items():
        if kind == facet:
            daily.update(days)
    return _row("", "", whole, daily, min_count)


def _row(key: str, name: str, one: Tally, daily: Counter[date], min_count: int) -> Row:
    return Row(key=key, name=name, tally=one, daily=daily, figures=figures.values(one, min_count=min_count),
               published=one.received >= min_count)


def _names(session: Session, by: Dimension, keys: Collection[str]) -> dict[str, tuple[str, str]]:
    """Each row's (code, name): offices and categories by id; "" is "not placed yet" (no office or no category
    yet: triage) or, for an area, "not given"."""
    if by in ("office", "category"):
        model = Office if by == "office" else Category
        ids = sorted(int(k) for k in keys if k)
        found = {str(i): (code, name) for i, code, name in session.execute(
            select(model.id, model.code, model.name).where(model.id.in_(ids)))} if ids else {}
        return {k: found.get(k, (k, k)) if k else ("", NOT_PLACED) for k in keys}
    return {k: (k, k or NOT_GIVEN) for k in keys}
