"""Management figures for one node of the office tree: volumes, silence, resolution, escalations, transfers.

Every figure counts only grievances the caller's `Scope` allows, inside the chosen office's subtree.
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

from escalation.models import Deadline, DeadlineKind, Escalation
from intake.access import Scope, subtree
from intake.models import Category, Channel, Grievance, Office, Status
from intake.services import OPEN_STATUSES
from routing.models import CorrectionKind, RoutingCorrection


@dataclass
class Row:
    """One line of a table: a child office, a category, a channel or an area."""

    key: str
    name: str
    received: int = 0
    open: int = 0
    overdue: int = 0
    answered: int = 0
    silences: list[float] = field(default_factory=list, repr=False)
    within: int = 0
    judged: int = 0
    resolutions: list[float] = field(default_factory=list, repr=False)
    escalations: int = 0
    transfers_out: int = 0
    held_hours: list[float] = field(default_factory=list, repr=False)
    published: bool = False

    def median(self, values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if self.published and values else None

    def p90(self, values: list[float]) -> float | None:
        if not self.published or not values:
            return None
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1)

    @property
    def silence_median(self) -> float | None:
        return self.median(self.silences)

    @property
    def silence_p90(self) -> float | None:
        return self.p90(self.silences)

    @property
    def within_share(self) -> float | None:
        return round(self.within / self.judged, 3) if self.published and self.judged else None

    @property
    def resolution_median(self) -> float | None:
        return self.median(self.resolutions)

    @property
    def transfer_median(self) -> float | None:
        return self.median(self.held_hours)


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
    parents = dict(session.execute(select(Office.id, Office.parent_id)).all())
    offices = {o.id: o for o in session.scalars(select(Office))}
    inside = subtree(parents, node.id)
    child_of = _child_map(parents, node.id, inside)
    where = [scope.where(), Grievance.office_id.in_(sorted(inside))]

    total = Row(node.code, node.name)
    children = {cid: Row(offices[cid].code, offices[cid].name) for cid in set(child_of.values())}
    categories = {c.id: Row(c.code, c.name) for c in session.scalars(select(Category))}
    channels: dict[str, Row] = {}
    areas: dict[str, Row] = {}
    week_counts: dict[datetime, int] = {since + timedelta(weeks=i): 0 for i in range(weeks)}

    def rows_of(office_id: int, category_id: int | None, channel: Channel, area: str | None) -> list[Row]:
        """Every table line a grievance counts in."""
        rows = [total, children[child_of[office_id]], channels.setdefault(channel.value, Row(channel.value,
                                                                                            channel.value)),
                areas.setdefault(area or "", Row(area or "", area or "not given"))]
        return rows + ([categories[category_id]] if category_id in categories else [])

    for office_id, category_id, channel, area, status, received, answered, resolved, due_at, met_at in (
            session.execute(select(Grievance.office_id, Grievance.category_id, Grievance.channel,
                                   Grievance.admin_area, Grievance.status, Grievance.received_at,
                                   Grievance.first_response_at, Grievance.resolved_at, Deadline.due_at,
                                   Deadline.met_at)
                            .outerjoin(Deadline, (Deadline.grievance_id == Grievance.id)
                                       & (Deadline.kind == DeadlineKind.FIRST_RESPONSE))
                            .where(*where, Grievance.received_at >= since))):
        rows = rows_of(office_id, category_id, channel, area)
        week_counts[since + timedelta(weeks=(received - since).days // 7)] += 1
        for row in rows:
            _count(row, status, received, answered, resolved, due_at, met_at, now)
    for office_id, count in session.execute(
            select(Escalation.office_id, func.count()).join(Grievance, Grievance.id == Escalation.grievance_id)
            .where(*where, Escalation.at >= since).group_by(Escalation.office_id)):
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
    overdue_now(session, where=where, now=now, rows_of=rows_of)
    for row in [total, *children.values(), *categories.values(), *channels.values(), *areas.values()]:
        row.published = row.received >= min_count
    triage = session.scalar(select(func.count()).select_from(Grievance).where(
        scope.where(), Grievance.status == Status.TRIAGE)) if scope.sees_unrouted else 0
    return Dashboard(node=node, path=_path(offices, node, scope), since=since, total=total,
                     children=_worst_first(children.values()),
                     categories=_worst_first(r for r in categories.values() if r.received or r.open),
                     channels=sorted(channels.values(), key=lambda r: -r.received),
                     areas=sorted(areas.values(), key=lambda r: (-r.received, -r.open, r.key)),
                     weeks=sorted(week_counts.items()), triage=triage or 0)


def overdue_now(session: Session, *, where: list, now: datetime, rows_of) -> None:  # noqa: ANN001
    """Open grievances, and those with a deadline passed and unmet, whenever they came in."""
    late = select(Deadline.id).where(Deadline.grievance_id == Grievance.id, Deadline.met_at.is_(None),
                                     Deadline.cancelled_at.is_(None), Deadline.due_at <= now).exists()
    for office_id, category_id, channel, area, is_late, count in session.execute(
            select(Grievance.office_id, Grievance.category_id, Grievance.channel, Grievance.admin_area, late,
                   func.count())
            .where(*where, Grievance.status.in_(sorted(OPEN_STATUSES)))
            .group_by(Grievance.office_id, Grievance.category_id, Grievance.channel, Grievance.admin_area, late)):
        for row in rows_of(office_id, category_id, channel, area):
            row.open += count
            row.overdue += count if is_late else 0


def _count(row: Row, status: Status, received: datetime, answered: datetime | None, resolved: datetime | None,
           due_at: datetime | None, met_at: datetime | None, now: datetime) -> None:
    row.received += 1
    row.answered += answered is not None
    row.silences.append(((answered or now) - received).total_seconds() / 3600)  # unanswered: silence so far
    if due_at is not None and (met_at is not None or due_at <= now):
        row.judged += 1
        row.within += met_at is not None and met_at <= due_at
    if resolved is not None:
        row.resolutions.append((resolved - received).total_seconds() / 3600)


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
