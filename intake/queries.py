"""Reads of the grievance store; every staff-facing read goes through a Scope."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from core.errors import NotFound
from intake import tracking
from intake.access import Scope
from intake.models import ApiKey, Category, EventKind, Grievance, GrievanceEvent, Office, StaffUser, Status


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


def destinations(session: Session, events: Iterable[GrievanceEvent]) -> dict[GrievanceEvent, Office]:
    """Where each routing or transfer event sent its grievance. A routing's office is where it went; a transfer's
    is the office that sent it, so where it went is the office its data names (a retired one too)."""
    events = list(events)
    codes = {(e.data or {}).get("to_office") for e in events if e.kind is EventKind.TRANSFERRED} - {None}
    offices = {o.code: o for o in session.scalars(select(Office).where(Office.code.in_(sorted(codes))))} \
        if codes else {}
    found = {e: e.office for e in events if e.kind is EventKind.ROUTED and e.office is not None}
    for event in events:
        if event.kind is EventKind.TRANSFERRED and (office := offices.get((event.data or {}).get("to_office"))):
            found[event] = office
    return found


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
    """A live key: not revoked, and not owned by a disabled account (a leaver's keys stop with the account)."""
    return session.scalar(select(ApiKey).outerjoin(ApiKey.owner)
                          .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None),
                                 or_(ApiKey.owner_id.is_(None), StaffUser.active)))


def api_keys(session: Session) -> Sequence[ApiKey]:
    """Every key, revoked ones too, oldest first."""
    return session.scalars(select(ApiKey).order_by(ApiKey.id)
                           .options(selectinload(ApiKey.office), selectinload(ApiKey.owner))).all()


def staff_accounts(session: Session, *, office_code: str | None = None) -> Sequence[StaffUser]:
    """Every account, disabled ones too, by username; only one office's if a code is given."""
    query = select(StaffUser).order_by(StaffUser.username).options(selectinload(StaffUser.office))
    if office_code:
        office = office_by_code(session, office_code[:32])
        if office is None:
            raise NotFound(f"no office {office_code.strip().upper()[:32]}", field="office")
        query = query.where(StaffUser.office_id == office.id)
    return session.scalars(query).all()


def staff_logins(session: Session) -> list[tuple[str, str, str]]:
    """(office code, username, role) of every active staff account, office by office."""
    rows = session.execute(select(Office.code, StaffUser.username, StaffUser.role).join(StaffUser.office)
                           .where(StaffUser.active).order_by(Office.code, StaffUser.username))
    return [(code, username, role.value) for code, username, role in rows]
