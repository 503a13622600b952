"""The management dashboard's figures for one node of the office tree: the whole, drilled down level by level.

Every figure counts only what the caller's `Scope` allows, inside the chosen office's subtree, through the
one count (`dashboards.counts`) and the one registry (`dashboards.figures`) that every other page, file and
API reads. The drill-down groups by the node's children (a province's districts, a district's offices), each
with its whole subtree; at the top of the tree, grievances still waiting in triage count too, for those who
place them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.errors import NotFound
from dashboards import counts
from dashboards.counts import Row
from intake.access import Scope, subtree
from intake.models import Grievance, Office, Role, Status
from intake.queries import root_office


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
    triage: int  # grievances waiting now for a person to place them (only for who sees unplaced ones)
    integrity: bool = False  # integrity complaints are counted (oversight, admins); the page says when not
    unplaced: bool = False  # grievances not placed yet are counted (at the top, for who places them)

    def weekly(self, row: Row) -> list[int]:
        """The row's grievances received per week of the period, oldest first."""
        return per_week(row, self.since.date(), len(self.weeks))


def per_week(row: Row, first: date, weeks: int) -> list[int]:
    out = [0] * weeks
    for day, received in row.daily.items():
        week = (day - first).days // 7
        if 0 <= week < weeks:
            out[week] += received
    return out


def view(session: Session, *, scope: Scope, node: Office) -> tuple[frozenset[int], bool, bool]:
    """What a caller counts at a node: the offices (its subtree, within the scope), whether integrity
    complaints count (oversight), and whether grievances not placed yet do (at the top, for who places them)."""
    parents = dict(session.execute(select(Office.id, Office.parent_id)).all())
    inside = subtree(parents, node.id)
    if scope.office_ids is not None:
        inside &= scope.office_ids
    return inside, scope.role == Role.ADMIN or scope.sees_integrity, scope.sees_unrouted and node.parent_id is None


def node_in_view(session: Session, *, scope: Scope, code: str) -> Office:
    """The office asked for, if the caller sees its work; by default their own office (or the top)."""
    if code:
        office = session.scalar(select(Office).where(Office.code == code.upper()))
    elif scope.office_ids is not None:
        office = session.get(Office, scope.office_id)
    else:
        office = root_office(session)
    if office is None or (scope.office_ids is not None and office.id not in scope.office_ids):
        raise NotFound(f"no office {code!r} among those whose work you see")
    return office


def drill_down(session: Session, counted: counts.Counts, *, node: Office, inside: frozenset[int],
               min_count: int) -> list[Row]:
    """One row per child of the node with everything under it, and one for the node's own work: every one,
    even when nothing counted."""
    child_of = _child_map(dict(session.execute(select(Office.id, Office.parent_id)).all()), node.id, inside)
    return counts.rows(session, counted, by="office", min_count=min_count, group=child_of.get,
                       include=set(child_of.values()))


def build(session: Session, *, scope: Scope, node: Office, now: datetime, weeks: int, min_count: int) -> Dashboard:
    since = _monday(now) - timedelta(weeks=weeks - 1)
    offices = {o.id: o for o in session.scalars(select(Office))}
    inside, integrity, unplaced = view(session, scope=scope, node=node)
    counted = counts.count(session, offices=inside, integrity=integrity, unplaced=unplaced, since=since,
                           until=now, now=now)
    total = counts.total(counted, min_count=min_count)
    total.key, total.name = node.code, node.name
    board = Dashboard(
        node=node, path=_path(offices, node, scope), since=since, total=total,
        children=_worst_first(drill_down(session, counted, node=node, inside=inside, min_count=min_count)),
        categories=_worst_first(counts.rows(session, counted, by="category", min_count=min_count)),
        channels=sorted(counts.rows(session, counted, by="channel", min_count=min_count),
                        key=lambda r: (-r.tally.received, r.key)),
        areas=sorted(counts.rows(session, counted, by="area", min_count=min_count),
                     key=lambda r: (-r.tally.received, -r.tally.open, r.key)),
        weeks=[], triage=0, integrity=integrity, unplaced=unplaced)
    board.weeks = [(since + timedelta(weeks=i), n) for i, n in enumerate(per_week(total, since.date(), weeks))]
    if scope.sees_unrouted:
        board.triage = session.scalar(select(func.count()).select_from(Grievance).where(
            scope.where(), Grievance.status == Status.TRIAGE)) or 0
    return board


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


def _worst_first(rows: list[Row]) -> list[Row]:
    return sorted(rows, key=lambda r: (not r.published, -(r.figures["silence_median_hours"] or 0),
                                       -r.tally.received, r.key))


def _monday(now: datetime) -> datetime:
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=start.weekday())
