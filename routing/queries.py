"""Routing reads: rules, and how quickly each office passes on what it cannot handle."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from intake.models import Office
from routing.models import CorrectionKind, RoutingCorrection, RoutingRule


@dataclass(frozen=True)
class TransferLatency:
    office: str
    transfers: int
    median_hours: float
    longest_hours: float


def rules(session: Session) -> Sequence[RoutingRule]:
    return session.scalars(select(RoutingRule).order_by(RoutingRule.active.desc(), RoutingRule.priority,
                                                        RoutingRule.id)).all()


def transfer_latency(session: Session, *, since: datetime | None = None,
                     office_ids: frozenset[int] | None = None) -> list[TransferLatency]:
    """Per office (of `office_ids`, None: all): how many grievances it passed on, and how long it held them
    first (slowest median first)."""
    query = (select(Office.code, RoutingCorrection.held_seconds)
             .join(Office, Office.id == RoutingCorrection.from_office_id)
             .where(RoutingCorrection.kind == CorrectionKind.TRANSFER, RoutingCorrection.held_seconds.is_not(None)))
    if since is not None:
        query = query.where(RoutingCorrection.at >= since)
    if office_ids is not None:
        query = query.where(RoutingCorrection.from_office_id.in_(sorted(office_ids)))
    held: dict[str, list[float]] = {}
    for code, seconds in session.execute(query):
        held.setdefault(code, []).append(seconds / 3600)
    rows = [TransferLatency(code, len(hours), round(statistics.median(hours), 2), round(max(hours), 2))
            for code, hours in held.items()]
    return sorted(rows, key=lambda row: (-row.median_hours, row.office))
