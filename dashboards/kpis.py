"""Management figures for one node of the office tree: volumes, silence, resolution, escalations, transfers.

Every figure counts only grievances the caller's `Scope` allows, inside the chosen office's subtree. The
grievances' own figures come from the daily rollups (`dashboards.rollups`), the rest from their tables.
A row for fewer than the minimum count of grievances gives counts but no times or shares, so no
figure describes a handful of people. The drill-down groups by the node's children (a province's
districts, a district's offices), each with its whole subtree.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dashboards import rollups, tally
from dashboards.tally import Tally
from intake.access import Scope, subtree
from intake.models import ESCALATION_STEPS, Category, Grievance, GrievanceEvent, Office, Role, Status
from routing.models import CorrectionKind, RoutingCorrection


@dataclass
class Row:
    """One line of a table: a child office, a category, a channel or an area."""

    key: str
    name: str
    tally: Tally = field(default_factory=Tally, repr=False)
    weekly: list[int] = field(default_factory=list)  # received per week of the period, oldest first
    escalations: int = 0
    transfers_out: int = 0
    held_hours: list[float] = field(default_factory=list, repr=False)
    published: bool = False

    @property
    def received(self) -> int:
        return self.tally.received

    @property
    def open(self) -> int:
        return self.tally.open

    @property
    def overdue(self) -> int:
        return self.tally.overdue

    @property
    def answered(self) -> int:
        return self.tally.answered

    @property
    def resolved(self) -> int:
        return self.tally.resolved

    @property
    def silence_median(self) -> float | None:
        return tally.median(self.tally.silences) if self.published else None

    @property
    def silence_p90(self) -> float | None:
        return tally.p90(self.tally.silences) if self.published else None

    @property
    def within_share(self) -> float | None:
        judged = self.tally.judged
        return round(self.tally.within / judged, 3) if self.published and judged else None

    @property
    def resolution_median(self) -> float | None:
        return tally.median(self.tally.resolutions) if self.published else None

    @property
    def transfer_median(self) -> float | None:
        return round(statistics.median(self.held_hours), 1) if self.published and self.held_hours else None


@dataclass
class Dashboard:
    node: Office
    path: list[Office]  # from the top of what the caller sees down to the node
    since: datetime
    total: Row
    children: list[Row]  # the drill-down, worst silence first
    categories: list[Row]
    channels: list[Row]
    areas: list[Row]
    weeks: list[tuple[datetime, int]]  # received per week, oldest first
    triage: int  # grievances waiting for a person to place them (only for who sees unplaced ones)


def build(session: Session, *, scope: Scope, node: Office, now: datetime, weeks: int, min_count: int) -> Dashboard:
    since = _monday(now) - timedelta(weeks=weeks - 1)
    offices = {o.id: o for o in session.scalars(select(Office))}
    parents = {oid: office.parent_id for oid, office in offices.items()}
    inside = subtree(parents, node.id)
    if scope.office_ids is not None:
        inside &= scope.office_ids
    child_of = _child_map(parents, node.id, inside)

    def new(key: str, name: str) -> Row:
        return Row(key, name, weekly=[0] * weeks)

    total = new(node.code, node.name)
    children = {cid: new(offices[cid].code, offices[cid].name) for cid in set(child_of.values())}
    categories = {str(c.id): new(c.code, c.name) for c in session.scalars(select(Category))}
    facet_rows: dict[str, dict[str, Row]] = {"category": categories, "channel": {}, "area": {}}

    def rows_for(office_id: int, facet: str, value: str) -> list[Row]:
        if facet == "all":
            return [total, children[child_of[office_id]]]
        if facet == "category":
            return [categories[value]] if value in categories else []
        if value not in facet_rows[facet]:
            facet_rows[facet][value] = new(value, value if facet == "channel" else (value or "not given"))
        return [facet_rows[facet][value]]

    for day, office_id, facet, value, one in rollups.read(
            session, offices=inside, integrity=scope.role == Role.ADMIN or scope.sees_integrity,
            since=since.date(), now=now):
        week = None if day is None else (day - since.date()).days // 7
        for row in rows_for(office_id, facet, value):
            row.tally.add(one)
            if week is not None:
                row.weekly[week] += one.received
    where = [scope.where(), Grievance.office_id.in_(sorted(inside))]
    mine = select(Grievance.id).where(Grievance.id == GrievanceEvent.grievance_id, *where).exists()
    for office_id, count in session.execute(  # no index on the steps' time: one cost the sweep 25 %
            select(GrievanceEvent.office_id, func.count()).where(ESCALATION_STEPS, GrievanceEvent.at >= since, mine)
            .group_by(GrievanceEvent.office_id)):
        total.escalations += count
        if office_id in child_of:
            children[child_of[office_id]].escalations += count
    for office_id, held in session.execute(
            select(RoutingCorrection.from_office_id, RoutingCorrection.held_seconds)
            .where(RoutingCorrection.kind == CorrectionKind.TRANSFER, RoutingCorrection.at >= since,
                   RoutingCorrection.from_office_id.in_(sorted(inside)))):
        for row in (total, children[child_of[office_id]]):
            row.transfers_out += 1
            if held is not None:
                row.held_hours.append(held / 3600)
    rows = [total, *children.values(), *(r for group in facet_rows.values() for r in group.values())]
    for row in rows:
        row.tally.settle(now)
        row.published = row.received >= min_count
    triage = session.scalar(select(func.count()).select_from(Grievance).where(
        scope.where(), Grievance.status == Status.TRIAGE)) if scope.sees_unrouted else 0
    return Dashboard(node=node, path=_path(offices, node, scope), since=since, total=total,
                     children=_worst_first(children.values()),
                     categories=_worst_first(r for r in categories.values() if r.received or r.open),
                     channels=sorted(facet_rows["channel"].values(), key=lambda r: -r.received),
                     areas=sorted(facet_rows["area"].values(), key=lambda r: (-r.received, -r.open, r.key)),
                     weeks=[(since + timedelta(weeks=i), count) for i, count in enumerate(total.weekly)],
                     triage=triage or 0)


def _child_map(parents: dict[int, int | None], node: int, inside: frozenset[int]) -> dict[int, int]:
    """Each office of the subtree → the node's child it lies under (the node itself for its own work)."""
    mapping = {}
    for office in inside:
        step = office
        while step != node and parents.get(step) != node:
            step = parents[step]
        mapping[office] = step
    return mapping


def _path(offices: dict[int, Office], node: Office, scope: Scope) -> list[Office]:
    path, step = [], node
    while step is not None and (scope.office_ids is None or step.id in scope.office_ids):
        path.append(step)
        step = offices.get(step.parent_id) if step.parent_id else None
    return list(reversed(path))


def _worst_first(rows) -> list[Row]:  # noqa: ANN001
    return sorted(rows, key=lambda r: (not r.published, -(r.silence_median or 0), -r.received, r.key))


def _monday(now: datetime) -> datetime:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())
