"""Reads of the clocks: a grievance's current deadlines (figures about them: dashboards.figures)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from escalation.models import Deadline


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
