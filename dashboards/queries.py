"""Reads behind the staff pages; every one is limited by the caller's `Scope`, so lists and counts agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from escalation.models import Deadline, DeadlineKind
from intake.access import Scope
from intake.models import Category, Grievance, Office, Status
from intake.services import OPEN_STATUSES
from routing.models import CannedReply

PAGE = 50


@dataclass(frozen=True)
class InboxFilters:
    status: str = "open"  # open, all, or one Status value
    category: str = ""  # a category code
    office: str = ""  # an office code (heads and managers see sub-offices)
    q: str = ""  # tracking number or words of the text
    overdue: bool = False
    page: int = 1


@dataclass(frozen=True)
class InboxRow:
    tracking_number: str
    received_at: datetime
    status: Status
    category: str | None
    office: str | None
    text: str
    due_at: datetime | None  # the nearest deadline still running
    due_kind: DeadlineKind | None
    level: int  # the highest escalation level reached by a running deadline

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def inbox(session: Session, *, scope: Scope, now: datetime, filters: InboxFilters) -> tuple[list[InboxRow], int]:
    """The grievances this scope works, nearest deadline first (none last); and how many match in all."""
    running = (select(Deadline.grievance_id, func.min(Deadline.due_at).label("due_at"),
                      func.max(Deadline.level).label("level"))
               .where(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))
               .group_by(Deadline.grievance_id).subquery())
    conditions = [scope.where()]
    if filters.status == "open":
        conditions.append(Grievance.status.in_(sorted(OPEN_STATUSES)))
    elif filters.status in {s.value for s in Status}:
        conditions.append(Grievance.status == Status(filters.status))
    if filters.category:
        conditions.append(Category.code == filters.category.lower())
    if filters.office:
        conditions.append(Office.code == filters.office.upper())
    if filters.overdue:
        conditions.append(running.c.due_at <= now)
    if filters.q.strip():
        words = filters.q.strip()[:100]
        number = words.upper().replace(" ", "")
        conditions.append(or_(Grievance.tracking_number == number, Grievance.text.ilike(f"%{_escape(words)}%",
                                                                                        escape="\\")))
    base = (select(Grievance.tracking_number, Grievance.received_at, Grievance.status, Category.name, Office.name,
                   Grievance.text, running.c.due_at, running.c.level)
            .outerjoin(Category, Category.id == Grievance.category_id)
            .outerjoin(Office, Office.id == Grievance.office_id)
            .outerjoin(running, running.c.grievance_id == Grievance.id).where(*conditions))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    rows = session.execute(base.order_by(running.c.due_at.is_(None), running.c.due_at, Grievance.received_at)
                           .limit(PAGE).offset((max(filters.page, 1) - 1) * PAGE)).all()
    kinds = _nearest_kinds(session, [r.tracking_number for r in rows])
    return [InboxRow(r[0], r[1], r[2], r[3], r[4], r[5], r[6], kinds.get(r[0]), r[7] or 0) for r in rows], total


def _nearest_kinds(session: Session, numbers: list[str]) -> dict[str, DeadlineKind]:
    """Which clock each listed grievance's nearest deadline is (first response, resolution, transfer)."""
    if not numbers:
        return {}
    found: dict[str, tuple[datetime, DeadlineKind]] = {}
    for number, due_at, kind in session.execute(
            select(Grievance.tracking_number, Deadline.due_at, Deadline.kind)
            .join(Deadline, Deadline.grievance_id == Grievance.id)
            .where(Grievance.tracking_number.in_(numbers), Deadline.met_at.is_(None),
                   Deadline.cancelled_at.is_(None))):
        if number not in found or due_at < found[number][0]:
            found[number] = (due_at, kind)
    return {number: kind for number, (_, kind) in found.items()}


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def categories(session: Session) -> list[tuple[str, str]]:
    return [(c.code, c.name) for c in session.scalars(select(Category).order_by(Category.name))]


def offices(session: Session, scope: Scope) -> list[tuple[str, str]]:
    """The offices whose work this scope sees, for the inbox's office filter."""
    query = select(Office.code, Office.name).order_by(Office.name)
    if scope.office_ids is not None:
        query = query.where(Office.id.in_(sorted(scope.office_ids)))
    return [(code, name) for code, name in session.execute(query)]


def replies_for(session: Session, grievance: Grievance, language: str | None) -> list[CannedReply]:
    """The standard replies for the grievance's category and the general ones, in `language` first."""
    rows = session.scalars(select(CannedReply).where(or_(CannedReply.category_id.is_(None),
                                                         CannedReply.category_id == grievance.category_id))).all()
    return sorted(rows, key=lambda r: (r.language != (language or "en"), r.category_id is None, r.title))


def filled(reply: CannedReply, grievance: Grievance) -> str:
    """The reply with its {tracking} and {office} filled in (plain replacement: nothing else is interpreted)."""
    office = grievance.office.name if grievance.office else "the office"
    return reply.text.replace("{tracking}", grievance.tracking_number or "").replace("{office}", office)
