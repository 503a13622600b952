"""Routing writers: first routing of a new grievance, and transfers ("no wrong door")."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, InvalidInput
from intake import normalise
from intake.actors import SYSTEM, Actor
from intake.models import EventKind, Grievance, Office, Status, office_categories
from intake.services import notify_citizen, transition


def covers(office: Office, area: str | None) -> bool:
    """An office covers an area code it lists, or any area inside one (RV covers RV-N and RV-N-07)."""
    if area is None:
        return False
    return any(area == code or area.startswith(code + "-") for code in office.jurisdiction or [])


def _specificity(office: Office, area: str) -> int:
    """How closely an office's jurisdiction fits the area: the longest of its codes that covers it."""
    return max(len(code) for code in office.jurisdiction if area == code or area.startswith(code + "-"))


def candidate_offices(session: Session, *, grievance: Grievance) -> list[Office]:
    """Active offices that handle the grievance's category and cover its area, nearest jurisdiction first."""
    if grievance.category is None or grievance.admin_area is None:
        return []
    offices = session.scalars(select(Office).join(office_categories).where(
        Office.active, office_categories.c.category_id == grievance.category_id))
    area = grievance.admin_area
    return sorted((o for o in offices if covers(o, area)), key=lambda o: -_specificity(o, area))


def route_new(session: Session, *, grievance: Grievance, now: datetime) -> Office | None:
    """Send a new grievance to the one office that clearly handles it, else to the human triage queue.

    The classifier (a later step) will propose categories for uncategorised text; until then a
    grievance without a category, or with no single office for its area, waits in triage.
    """
    candidates = candidate_offices(session, grievance=grievance)
    best = _specificity(candidates[0], grievance.admin_area) if candidates else 0
    nearest = [o for o in candidates if _specificity(o, grievance.admin_area) == best]
    if len(nearest) == 1:
        office = nearest[0]
        grievance.office = office
        transition(session, grievance=grievance, to=Status.ASSIGNED, actor=SYSTEM, now=now, kind=EventKind.ROUTED,
                   office_id=office.id, data={"office": office.code, "reason": "category and area"})
        return office
    reason = "no category" if grievance.category is None else (
        "no office covers this area" if not candidates else "several offices could handle it")
    transition(session, grievance=grievance, to=Status.TRIAGE, actor=SYSTEM, now=now, kind=EventKind.ROUTED,
               data={"reason": reason})
    return None


def transfer(session: Session, *, grievance: Grievance, to_office: Office, actor: Actor, now: datetime,
             note: str | None) -> None:
    """Pass a grievance to the office that can act on it, with a reason; from triage this is the first routing.

    An office can never close a grievance as "not ours": it transfers it. The citizen's silence clock
    keeps running, because first_response_at is untouched.
    """
    reason = normalise.clean_text(note or "", field="note", max_chars=2000, required=False)
    from_office = grievance.office
    if not to_office.active:
        raise InvalidInput(f"office {to_office.code} is not active", field="office")
    if from_office is not None and from_office.id == to_office.id:
        raise Conflict(f"the grievance is already with {to_office.code}")
    if grievance.status in (Status.RESOLVED, Status.CLOSED):
        raise Conflict(f"a {grievance.status.value} grievance cannot be transferred; reopen it first")
    first_routing = grievance.status in (Status.RECEIVED, Status.TRIAGE)
    if not first_routing and not reason:
        raise InvalidInput("a transfer needs a reason in note", field="note")
    kind = EventKind.ROUTED if first_routing else EventKind.TRANSFERRED
    data = {"from_office": from_office.code if from_office else None, "to_office": to_office.code}
    grievance.office = to_office
    transition(session, grievance=grievance, to=Status.ASSIGNED, actor=actor, now=now, kind=kind,
               note=reason or None, office_id=to_office.id, data=data)
    if not first_routing:
        grievance.transfer_count += 1
        notify_citizen(session, grievance=grievance, now=now, purpose="transferred",
                       body=f"{grievance.tracking_number}: your complaint was passed to {to_office.name}, "
                            "which can act on it.")
