"""The weekly complaint meeting as a printable page, with the forms that record and close its decisions."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import DomainError, InvalidInput, NotFound
from core.web import NowDep, SessionDep
from dashboards import meeting, services
from dashboards.dashboard_page import office_in_view
from dashboards.pages import KIND_WORDS, render, templates
from dashboards.signin import FormDep, StaffDep
from intake import queries
from intake.access import scope_for, subtree
from intake.models import Role

router = APIRouter(prefix="/staff/meeting", include_in_schema=False)
Text = Annotated[str, Query(max_length=32)]


@router.get("", response_class=HTMLResponse)
def pack(request: Request, session: SessionDep, staff: StaffDep, now: NowDep, week: Text = "",
         office: Text = "") -> Response:
    node = office_in_view(session, staff, office)
    built = meeting.build(session, scope=staff.scope, office=node, week=week or meeting.iso_week(now), now=now,
                          min_count=request.app.state.settings.kpi_min_count)
    return render(request, "meeting.html", staff, _context(session, built, editable=True))


@router.post("/actions", response_class=HTMLResponse)
def record(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, now: NowDep) -> Response:
    node = office_in_view(session, staff, _field(form, "office"))
    week = _field(form, "week")
    meeting.week_bounds(week, node.timezone)  # a real ISO week
    try:
        with session.begin_nested():
            owner = queries.office_by_code(session, _field(form, "owner"))
            services.record_action(session, meeting_office=node, week=week, text=_field(form, "text", 1000),
                                   owner=owner, due_on=_date(_field(form, "due_on")), by=staff.name, now=now)
    except DomainError as error:
        built = meeting.build(session, scope=staff.scope, office=node, week=week, now=now,
                              min_count=request.app.state.settings.kpi_min_count)
        return render(request, "meeting.html", staff, _context(session, built, editable=True, error=str(error)),
                      status=error.status)
    return RedirectResponse(f"/staff/meeting?week={week}&office={node.code}#decided", status_code=303)


@router.post("/actions/{item_id}", response_class=HTMLResponse)
def close(request: Request, item_id: int, session: SessionDep, staff: StaffDep, form: FormDep,
          now: NowDep) -> Response:
    node = office_in_view(session, staff, _field(form, "office"))
    week = _field(form, "week")
    services.close_action(session, item_id=item_id, meeting_office=node, status=_field(form, "status"),
                          note=_field(form, "note", 1000), now=now)
    return RedirectResponse(f"/staff/meeting?week={week}&office={node.code}#carried", status_code=303)


def pack_file(session: Any, *, office_code: str, week: str, now: datetime) -> str:
    """The pack as one self-contained HTML file (styles inline, no forms) for `redress meeting-pack`.

    It is what a manager of that office sees: its whole subtree, integrity complaints left to oversight.
    """
    node = queries.office_by_code(session, office_code) if office_code else queries.root_office(session)
    if node is None:
        raise NotFound(f"no office {office_code!r}; GET /api/v1/offices lists them")
    scope = scope_for(session, role=Role.MANAGER, office_id=node.id)
    built = meeting.build(session, scope=scope, office=node, week=week, now=now)
    css = (Path(__file__).parent / "static" / "staff.css").read_text(encoding="utf-8")
    return templates.get_template("meeting.html").render(
        **_context(session, built, editable=False), staff=None, standalone=True, css=css)


def _context(session: Any, built: meeting.Pack, *, editable: bool, error: str | None = None) -> dict[str, Any]:
    offices = queries.offices(session)
    inside = subtree({o.id: o.parent_id for o in offices}, built.office.id)
    owners = [o for o in offices if o.id in inside]
    return {"p": built, "kind_words": KIND_WORDS, "editable": editable, "error": error,
            "owners": [(o.code, o.name) for o in owners], "local": lambda at: at.astimezone(
                built.start.tzinfo).strftime("%a %d %b %H:%M")}


def _field(form: Any, name: str, limit: int = 64) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _date(value: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput("the due date is a date such as 2026-12-07", field="due_on") from exc
