"""What staff do to a grievance, for the staff pages and the JSON API alike: who may, and the one way to do it.

Each action goes through its service (which records who did it), then the deadlines follow the new
state (`escalation.services.sync`) in the same transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from escalation.services import sync
from intake import queries, services
from intake.access import Scope
from intake.actors import Actor
from intake.models import EventKind, Grievance, GrievanceLink, LinkKind, Role
from intake.services import record
from routing.services import Policy, transfer

OFFICE_ROLES = frozenset({Role.OFFICER, Role.OFFICE_HEAD, Role.OVERSIGHT, Role.MANAGER, Role.ADMIN})
ACTION_ROLES: dict[str, frozenset[Role]] = {
    "acknowledge": OFFICE_ROLES,
    "respond": OFFICE_ROLES,
    "request_info": OFFICE_ROLES,
    "resolve": OFFICE_ROLES,
    "reopen": OFFICE_ROLES,
    "close": OFFICE_ROLES,
    "transfer": OFFICE_ROLES | {Role.OPERATOR},
    "note": OFFICE_ROLES | {Role.OPERATOR},
    "duplicate": OFFICE_ROLES,
}
SERVICE_ACTIONS = {
    "acknowledge": services.acknowledge,
    "respond": services.respond,
    "request_info": services.request_info,
    "note": services.add_note,
    "resolve": services.resolve,
    "reopen": services.reopen,
    "close": services.close,
}


def allowed(role: Role) -> list[str]:
    return [action for action, roles in ACTION_ROLES.items() if role in roles]


def act(session: Session, *, grievance: Grievance, action: str, actor: Actor, scope: Scope, now: datetime,
        policy: Policy, note: str | None = None, office: str | None = None, category: str | None = None,
        duplicate_of: str | None = None) -> None:
    """Do `action` as `actor`; raises PermissionDenied, InvalidInput or Conflict with a message for people."""
    if action not in ACTION_ROLES:
        raise InvalidInput(f"unknown action {action!r}", field="action")
    if scope.role not in ACTION_ROLES[action]:
        raise PermissionDenied(f"the {scope.role.value} role may not {action.replace('_', ' ')}")
    if action == "transfer":
        _transfer(session, grievance=grievance, actor=actor, now=now, policy=policy, note=note, office=office,
                  category=category)
    elif action == "duplicate":
        _link_duplicate(session, grievance=grievance, actor=actor, scope=scope, now=now, of=duplicate_of, note=note)
    else:
        SERVICE_ACTIONS[action](session, grievance=grievance, actor=actor, now=now, note=note)
    sync(session, grievance=grievance, now=now)
    session.flush()


def _transfer(session: Session, *, grievance: Grievance, actor: Actor, now: datetime, policy: Policy,
              note: str | None, office: str | None, category: str | None) -> None:
    if not office:
        raise InvalidInput("transfer needs the code of the receiving office in 'office'", field="office")
    to_office = queries.office_by_code(session, office)
    if to_office is None:
        raise InvalidInput(f"unknown office {office!r}; GET /api/v1/offices lists them", field="office")
    correct = None
    if category:
        correct = queries.category_by_code(session, category)
        if correct is None:
            raise InvalidInput(f"unknown category {category!r}; GET /api/v1/categories lists them", field="category")
    transfer(session, grievance=grievance, to_office=to_office, actor=actor, now=now, note=note, category=correct,
             policy=policy)


def _link_duplicate(session: Session, *, grievance: Grievance, actor: Actor, scope: Scope, now: datetime,
                    of: str | None, note: str | None) -> None:
    """Mark this grievance a duplicate of another one the same person may see; both stay open until resolved."""
    if not of:
        raise InvalidInput("give the tracking number of the grievance this one duplicates", field="duplicate_of")
    try:
        original = queries.get_for_scope_or_404(session, tracking_number=of, scope=scope)
    except NotFound as exc:
        raise InvalidInput(f"no grievance {of!r} that you may see", field="duplicate_of") from exc
    if original.id == grievance.id:
        raise Conflict("a grievance cannot duplicate itself")
    link = session.get(GrievanceLink, (grievance.id, original.id))
    if link is not None and link.kind == LinkKind.DUPLICATE:
        raise Conflict(f"{grievance.tracking_number} is already marked a duplicate of {original.tracking_number}")
    if link is None:
        session.add(GrievanceLink(grievance_id=grievance.id, other_id=original.id, kind=LinkKind.DUPLICATE,
                                  created_at=now))
    else:
        link.kind = LinkKind.DUPLICATE  # "the same problem" becomes "the same complaint"
    record(grievance, kind=EventKind.LINKED, actor=actor, now=now, note=note, public=False,
           data={"duplicate_of": original.tracking_number})
