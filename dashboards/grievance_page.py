"""The grievance page: everything an officer needs to act, and the forms that act."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from core.errors import DomainError
from core.web import NowDep, SessionDep
from dashboards import actions
from dashboards import queries as dashboard_queries
from dashboards.pages import KIND_WORDS, STATUS_WORDS, render
from dashboards.signin import FormDep, Staff, StaffDep
from escalation.queries import current_deadlines
from intake import queries
from intake.access import phone_for
from intake.models import ActorType, Confidentiality, EventKind, Grievance, Status
from routing import related
from routing.models import CannedReply

router = APIRouter(prefix="/staff/grievances", include_in_schema=False)
Number = Annotated[str, Path(max_length=32)]
EVENT_WORDS = {
    EventKind.SUBMITTED: "Received", EventKind.STATUS_CHANGED: "Status changed", EventKind.ROUTED: "Routed",
    EventKind.TRANSFERRED: "Transferred", EventKind.ACKNOWLEDGED: "Acknowledged",
    EventKind.RESPONDED: "Replied to the citizen", EventKind.INFO_REQUESTED: "Asked the citizen for information",
    EventKind.NOTE: "Internal note", EventKind.RESOLVED: "Resolved", EventKind.REOPENED: "Reopened",
    EventKind.CLOSED: "Closed", EventKind.CITIZEN_ADDED: "The citizen added information",
    EventKind.ESCALATED: "Escalated", EventKind.LINKED: "Linked", EventKind.DELIVERY: "Message delivery"}
DONE_WORDS = {
    "acknowledge": "Acknowledged; the citizen is told.", "respond": "Your reply is on its way to the citizen.",
    "request_info": "Your question is on its way to the citizen; the resolution clock waits for the answer.",
    "note": "Note added (staff only).", "resolve": "Resolved; the citizen is told and may reopen it.",
    "reopen": "Reopened.", "close": "Closed.", "transfer": "Transferred.", "duplicate": "Marked as a duplicate."}


@router.get("/{number}", response_class=HTMLResponse)
def show(request: Request, number: Number, session: SessionDep, staff: StaffDep, now: NowDep,
         done: str = "") -> Response:
    grievance = queries.get_for_scope_or_404(session, tracking_number=number, scope=staff.scope)
    return _render(request, session, staff, grievance, now, notice=DONE_WORDS.get(done))


@router.post("/{number}/act", response_class=HTMLResponse)
def act(request: Request, number: Number, session: SessionDep, staff: StaffDep, form: FormDep, now: NowDep) -> Response:
    grievance = queries.get_for_scope_or_404(session, tracking_number=number, scope=staff.scope)
    action = _field(form, "action", 32)
    note = _field(form, "note", 10_000) or _canned(session, grievance, _field(form, "reply", 12)) or None
    try:
        with session.begin_nested():  # a refused action leaves nothing half-done
            actions.act(session, grievance=grievance, action=action, actor=staff.actor, scope=staff.scope, now=now,
                        policy=request.app.state.policy, note=note,
                        office=_field(form, "office", 64) or None, category=_field(form, "category", 64) or None,
                        duplicate_of=_field(form, "duplicate_of", 32) or None)
    except DomainError as error:
        session.refresh(grievance)
        return _render(request, session, staff, grievance, now, error=str(error), status=error.status)
    if not staff.scope.allows(grievance):  # passed to an office this person cannot see
        return RedirectResponse(f"/staff/inbox?done={action}", status_code=303)
    return RedirectResponse(f"/staff/grievances/{grievance.tracking_number}?done={action}", status_code=303)


def _canned(session: Any, grievance: Grievance, reply_id: str) -> str:
    """A standard reply chosen without editing (no JavaScript): its text, filled in for this grievance."""
    if not reply_id.isdigit():
        return ""
    reply = session.get(CannedReply, int(reply_id))
    if reply is None or not reply.active or reply.category_id not in (None, grievance.category_id):
        return ""
    return dashboard_queries.filled(reply, grievance)


def _field(form: Any, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _render(request: Request, session: Any, staff: Staff, grievance: Grievance, now: Any, *, notice: str | None = None,
            error: str | None = None, status: int = 200) -> Response:
    citizen = grievance.citizen if grievance.confidentiality != Confidentiality.ANONYMOUS else None
    earlier = []
    if citizen is not None:  # an anonymous complaint is never tied to the complainant's others, nor they to it
        earlier = session.scalars(select(Grievance).where(
            Grievance.citizen_id == grievance.citizen_id, Grievance.id != grievance.id, staff.scope.where(),
            Grievance.confidentiality != Confidentiality.ANONYMOUS)
            .order_by(Grievance.received_at.desc()).limit(10)).all()
    routed = [e for e in grievance.events if e.kind == EventKind.ROUTED and e.actor_type == ActorType.SYSTEM]
    return render(request, "grievance.html", staff, {
        "g": grievance, "now": now, "notice": notice, "error": error,
        "citizen": citizen, "phone": phone_for(staff.role, citizen.phone) if citizen else None,
        "deadlines": current_deadlines(session, [grievance.id])[grievance.id], "kind_words": KIND_WORDS,
        "status_words": STATUS_WORDS, "event_words": EVENT_WORDS, "routing": routed[-1].data if routed else None,
        "destinations": queries.destinations(session, grievance.events),  # a transfer's event is the sender's
        "links": [(kind, other) for kind, other in related.links(session, grievance) if staff.scope.allows(other)],
        "earlier": earlier, "replies": [(r, dashboard_queries.filled(r, grievance)) for r in
                                         dashboard_queries.replies_for(session, grievance, _language(grievance))],
        "allowed": set(actions.allowed(staff.role)), "open": grievance.status in _OPEN,
        "offices": [(o.code, o.name) for o in queries.offices(session) if o.active],
        "categories": [(c.code, c.name) for c in queries.categories(session)]}, status=status)


def _language(grievance: Grievance) -> str | None:
    return (grievance.citizen.language if grievance.citizen else None) or grievance.language


_OPEN = frozenset({Status.ASSIGNED, Status.IN_PROGRESS, Status.AWAITING_CITIZEN, Status.TRIAGE, Status.RECEIVED})
