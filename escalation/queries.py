"""Reads of the clocks: a grievance's current deadlines, and silence figures per office and category."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from escalation.models import Deadline, DeadlineKind
from intake.models import Category, Grievance, Office


def current_deadlines(session: Session, grievance_ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
    """Per grievance, the latest deadline of each kind, in the API's shape, first response first."""
    found: dict[int, dict[str, Deadline]] = {gid: {} for gid in grievance_ids}
    if grievance_ids:
        for deadline in session.scalars(select(Deadline).where(Deadline.grievance_id.in_(grievance_ids))
                                        .order_by(Deadline.id)):
            found[deadline.grievance_id][deadline.kind.value] = deadline  # a later one replaces (a reopening)
    order = ("first_response", "resolution", "transfer")
    return {gid: [_shape(kinds[kind]) for kind in order if kind in kinds] for gid, kinds in found.items()}


def _shape(deadline: Deadline) -> dict[str, Any]:
    return {"kind": deadline.kind.value, "due_at": deadline.due_at, "met_at": deadline.met_at,
            "basis": f"{deadline.basis.value}_hours", "level": deadline.level,
            "next_escalation_at": deadline.next_at,
            "paused": deadline.paused_at is not None}


@dataclass(frozen=True)
class SilenceRow:
    """Figures for one office or category; None where fewer than the minimum count would single people out."""

    key: str
    name: str
    count: int
    answered: int
    silence_median_hours: float | None
    silence_p90_hours: float | None
    within_deadline_share: float | None
    resolved: int
    resolution_median_hours: float | None
    resolution_p90_hours: float | None
    published: bool


def silence(session: Session, *, where: ColumnElement[bool], since: datetime, now: datetime, by: str,
            min_count: int) -> list[SilenceRow]:
    """Silence (received → first public response) and time to resolve, per office or category, worst first.

    A grievance still unanswered counts with the silence it has had so far (a lower bound), so an office
    cannot look quick by not answering; within-deadline means its first-response deadline was met in time.
    """
    group = Grievance.office_id if by == "office" else Grievance.category_id
    rows = session.execute(
        select(group, Grievance.received_at, Grievance.first_response_at, Grievance.resolved_at,
               Deadline.due_at, Deadline.met_at)
        .outerjoin(Deadline, (Deadline.grievance_id == Grievance.id) & (Deadline.kind == DeadlineKind.FIRST_RESPONSE))
        .where(where, Grievance.received_at >= since, group.is_not(None)))
    groups: dict[int, list[Any]] = {}
    for key, *figures in rows:
        groups.setdefault(key, []).append(figures)
    names = dict(session.execute(select(Office.id, Office.code) if by == "office"
                                 else select(Category.id, Category.code)).all())
    labels = dict(session.execute(select(Office.id, Office.name) if by == "office"
                                  else select(Category.id, Category.name)).all())
    out = []
    for key, members in groups.items():
        silences = [((answer or now) - received).total_seconds() / 3600 for received, answer, *_ in members]
        answered = sum(1 for _, answer, *_ in members if answer is not None)
        judged = [(met, due) for *_, due, met in members if due is not None and (met is not None or due <= now)]
        within = sum(1 for met, due in judged if met is not None and met <= due)
        resolutions = [(resolved - received).total_seconds() / 3600 for received, _, resolved, *_ in members
                       if resolved is not None]
        published = len(members) >= min_count
        out.append(SilenceRow(
            key=names.get(key, str(key)), name=labels.get(key, ""), count=len(members), answered=answered,
            silence_median_hours=_quantile(silences, 0.5) if published else None,
            silence_p90_hours=_quantile(silences, 0.9) if published else None,
            within_deadline_share=round(within / len(judged), 3) if published and judged else None,
            resolved=len(resolutions),
            resolution_median_hours=_quantile(resolutions, 0.5) if published and resolutions else None,
            resolution_p90_hours=_quantile(resolutions, 0.9) if published and resolutions else None,
            published=published))
    return sorted(out, key=lambda r: (not r.published, -(r.silence_median_hours or 0), r.key))


def _quantile(values: list[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (the usual 'type 7' quantile)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)
