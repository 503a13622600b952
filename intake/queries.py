"""Reads of the grievance store; every staff-facing read goes through a Scope."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound
from intake import tracking
from intake.access import Scope
from intake.models import ApiKey, Category, Grievance, GrievanceEvent, Office, StaffUser, Status


def get_for_scope_or_404(session: Session, *, tracking_number: str, scope: Scope) -> Grievance:
    """A grievance this scope may see; anything else is 'not found', so its existence is not revealed."""
    number = tracking.parse(tracking_number)
    grievance = session.scalar(
        select(Grievance).where(Grievance.tracking_number == number, scope.where())
        .options(selectinload(Grievance.events).selectinload(GrievanceEvent.office)))
    if grievance is None:
        raise NotFound(f"no grievance {number} that you can see")
    return grievance


def list_for_scope(session: Session, *, scope: Scope, office_id: int | None = None, status: Status | None = None,
                   since: datetime | None = None, after_id: int | None = None, limit: int = 50) -> Sequence[Grievance]:
    """Oldest first by row id, so a cursor (the last id seen) pages through without gaps or repeats."""
    query = (select(Grievance).where(scope.where()).order_by(Grievance.id).limit(limit)
             .options(selectinload(Grievance.office), selectinload(Grievance.category),
                      selectinload(Grievance.citizen)))
    if office_id is not None:
        query = query.where(Grievance.office_id == office_id)
    if status is not None:
        query = query.where(Grievance.status == status)
    if since is not None:
        query = query.where(Grievance.received_at >= since)
    if after_id is not None:
        query = query.where(Grievance.id > after_id)
    return session.scalars(query).all()


def office_by_code(session: Session, code: str) -> Office | None:
    return session.scalar(select(Office).where(Office.code == code.strip().upper()))


def root_office(session: Session) -> Office | None:
    """The top of the office tree (the first, if a directory has several)."""
    return session.scalar(select(Office).where(Office.parent_id.is_(None)).order_by(Office.id))


def category_by_code(session: Session, code: str) -> Category | None:
    return session.scalar(select(Category).where(Category.code == code.strip().lower(), Category.active))


def offices(session: Session) -> Sequence[Office]:
    return session.scalars(select(Office).where(Office.active).order_by(Office.code)).all()


def categories(session: Session) -> Sequence[Category]:
    return session.scalars(select(Category).where(Category.active).order_by(Category.code)).all()


def api_key_by_hash(session: Session, key_hash: str) -> ApiKey | None:
    return session.scalar(select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None)))


def staff_logins(session: Session) -> list[tuple[str, str, str]]:
    """(office code, username, role) of every active staff account, office by office."""
    rows = session.execute(select(Office.code, StaffUser.username, StaffUser.role).join(StaffUser.office)
                           .where(StaffUser.active).order_by(Office.code, StaffUser.username))
    return [(code, username, role.value) for code, username, role in rows]
