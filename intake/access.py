"""Who may see which grievances: enforced in every query, so lists, counts and exports agree.

Staff see their own office (heads and managers: its whole subtree); integrity complaints are seen
only by oversight and admins, never by the office complained about; the call centre sees all other
grievances, because callers ask about any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import Session

from intake.models import Confidentiality, Grievance, Office, Role
from intake.normalise import mask_phone

SUBTREE_ROLES = frozenset({Role.OFFICE_HEAD, Role.MANAGER, Role.OVERSIGHT})
PHONE_ROLES = frozenset({Role.OPERATOR, Role.OFFICER, Role.OFFICE_HEAD, Role.OVERSIGHT, Role.ADMIN})  # who calls back


def phone_for(role: Role, phone: str | None) -> str | None:
    """The citizen's number for roles that call citizens back; masked for the rest (managers read figures)."""
    return phone if role in PHONE_ROLES else mask_phone(phone)


@dataclass(frozen=True)
class Scope:
    role: Role
    office_id: int
    office_ids: frozenset[int] | None  # None: every office
    sees_integrity: bool
    sees_unrouted: bool

    def where(self) -> ColumnElement[bool]:
        """The SQL condition for the grievances this scope may see."""
        office_clause: ColumnElement[bool]
        if self.office_ids is None:
            office_clause = true() if self.sees_unrouted else Grievance.office_id.is_not(None)
        else:
            office_clause = Grievance.office_id.in_(sorted(self.office_ids)) if self.office_ids else false()
            if self.sees_unrouted:
                office_clause = or_(office_clause, Grievance.office_id.is_(None))
        if self.role == Role.ADMIN:
            return office_clause
        not_integrity = Grievance.confidentiality != Confidentiality.INTEGRITY
        if self.sees_integrity:
            return or_(and_(office_clause, not_integrity), Grievance.confidentiality == Confidentiality.INTEGRITY)
        return and_(office_clause, not_integrity)

    def allows(self, grievance: Grievance) -> bool:
        if grievance.confidentiality == Confidentiality.INTEGRITY:
            return self.role == Role.ADMIN or self.sees_integrity
        if grievance.office_id is None:
            return self.sees_unrouted
        return self.office_ids is None or grievance.office_id in self.office_ids


def subtree(parents: dict[int, int | None], office_id: int) -> frozenset[int]:
    """The office and every office below it, from a map of office id to parent id."""
    children: dict[int | None, list[int]] = {}
    for oid, parent in parents.items():
        children.setdefault(parent, []).append(oid)
    found, stack = {office_id}, [office_id]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return frozenset(found)


def scope_for(session: Session, *, role: Role, office_id: int) -> Scope:
    """One query at most: admins and the call centre need none, officers none, heads one for the tree."""
    if role in (Role.ADMIN, Role.OPERATOR):
        return Scope(role, office_id, None, sees_integrity=role == Role.ADMIN, sees_unrouted=True)
    if role not in SUBTREE_ROLES:
        return Scope(role, office_id, frozenset({office_id}), sees_integrity=False, sees_unrouted=False)
    rows = session.execute(select(Office.id, Office.parent_id))
    parents: dict[int, int | None] = {oid: parent for oid, parent in rows}
    return Scope(role, office_id, subtree(parents, office_id), sees_integrity=role == Role.OVERSIGHT,
                 sees_unrouted=role == Role.MANAGER and parents.get(office_id) is None)
