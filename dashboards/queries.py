"""Reads behind the staff pages; every one is limited by the caller's `Scope`, so lists and counts agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from escalation.models import Deadline, DeadlineKind
from intake.access import Scope
from intake.models import Category, Grievance, Office, Status
from intake.services import OPEN_STATUSES
from routing.models import CannedReply

PAGE = 50
MAX_PAGE = 200  # 10,000 grievances deep: past that, filters find work faster than paging
SMALL = 2000  # counted exactly up to here, and read whole and sorted here; more: walked, "more than" counted


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
    """The grievances this scope works, nearest running deadline first (none last); and how many match, up
    to SMALL + 1 (a province's 100,000 open grievances took a third of a second to count exactly, for a
    number nobody pages through; "more than 2,000" says what matters).

    Driven from the running deadlines in due order (a partial index holds only those), so a page needs
    about as many index entries as the scope's share of the work, not a pass over every open grievance.
    """
    conditions = _conditions(session, scope=scope, filters=filters)
    late = aliased(Deadline)
    overdue = select(late.id).where(late.grievance_id == Grievance.id, late.met_at.is_(None),
                                    late.cancelled_at.is_(None), late.due_at <= now).correlate(Grievance).exists()
    total = session.scalar(select(func.count()).select_from(
        select(Grievance.id).where(*conditions, *([overdue] if filters.overdue else [])).limit(SMALL + 1)
        .subquery())) or 0
    wanted = max(filters.page, 1) * PAGE
    found: dict[int, tuple[datetime, DeadlineKind, int]] = {}
    running = (select(Deadline.grievance_id, Deadline.due_at, Deadline.kind, Deadline.level)
               .join(Grievance, Grievance.id == Deadline.grievance_id)
               .where(Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None), *conditions,
                      *([Deadline.due_at <= now] if filters.overdue else [])))  # walked in due order: the first
    # deadline found for a grievance is its nearest, so "overdue" is that one having passed
    if total <= SMALL:  # few grievances: read them all through the scope's indexes and sort here, rather
        _keep_nearest(found, sorted(session.execute(running).all(), key=lambda r: (r[1], r[0])))  # than walk
    else:  # every running deadline of the service in due order looking for this scope's
        batch = wanted * 2
        while True:
            rows = session.execute(running.order_by(Deadline.due_at, Deadline.id).limit(batch)).all()
            _keep_nearest(found, rows)
            if len(found) >= wanted or len(rows) < batch:
                break
            batch *= 4
    ids = list(found)[:wanted]
    if len(ids) < wanted and not filters.overdue:  # then those with no running clock, oldest first
        ids += session.scalars(select(Grievance.id).where(*conditions, ~select(Deadline.id).where(
            Deadline.grievance_id == Grievance.id, Deadline.met_at.is_(None), Deadline.cancelled_at.is_(None))
            .exists()).order_by(Grievance.received_at, Grievance.id).limit(wanted - len(ids))).all()
    ids = ids[(max(filters.page, 1) - 1) * PAGE:]
    details = {row[0]: row for row in session.execute(
        select(Grievance.id, Grievance.tracking_number, Grievance.received_at, Grievance.status, Category.name,
               Office.name, Grievance.text)
        .outerjoin(Category, Category.id == Grievance.category_id)
        .outerjoin(Office, Office.id == Grievance.office_id).where(Grievance.id.in_(ids)))}
    out = []
    for grievance_id in ids:
        _, number, received, status, category, office, text = details[grievance_id]
        due_at, kind, level = found.get(grievance_id, (None, None, 0))
        out.append(InboxRow(number, received, status, category, office, text, due_at, kind, level))
    return out, total


def _keep_nearest(found: dict[int, tuple[datetime, DeadlineKind, int]], rows: list) -> None:  # noqa: ANN001
    """Per grievance, in the rows' order: its first (nearest) deadline, and the highest level of any."""
    for grievance_id, due_at, kind, level in rows:
        if grievance_id not in found:
            found[grievance_id] = (due_at, kind, level)
        else:
            first = found[grievance_id]
            found[grievance_id] = (first[0], first[1], max(first[2], level))


def _conditions(session: Session, *, scope: Scope, filters: InboxFilters) -> list:
    """The filters as conditions on grievances alone (the category and office by id; overdue is the caller's)."""
    conditions = [scope.where()]
    if filters.status == "open":
        conditions.append(Grievance.status.in_(sorted(OPEN_STATUSES)))
    elif filters.status in {s.value for s in Status}:
        conditions.append(Grievance.status == Status(filters.status))
    if filters.category:
        conditions.append(Grievance.category_id == select(Category.id).where(
            Category.code == filters.category.lower()).scalar_subquery())
    if filters.office:
        conditions.append(Grievance.office_id == select(Office.id).where(
            Office.code == filters.office.upper()).scalar_subquery())
    if filters.q.strip():
        words = filters.q.strip()[:100]
        number = words.upper().replace(" ", "")
        conditions.append(or_(Grievance.tracking_number == number,
                              Grievance.text.ilike(f"%{_escape(words)}%", escape="\\")))
    return conditions


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
    rows = session.scalars(select(CannedReply).where(CannedReply.active, or_(CannedReply.category_id.is_(None),
                                                         CannedReply.category_id == grievance.category_id))).all()
    return sorted(rows, key=lambda r: (r.language != (language or "en"), r.category_id is None, r.title))


def filled(reply: CannedReply, grievance: Grievance) -> str:
    """The reply with its {tracking} and {office} filled in (plain replacement: nothing else is interpreted)."""
    office = grievance.office.name if grievance.office else "the office"
    return reply.text.replace("{tracking}", grievance.tracking_number or "").replace("{office}", office)
