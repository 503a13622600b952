"""The weekly complaint meeting as a printable page, with the forms that record and close its decisions."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import DomainError, InvalidInput
from core.i18n import SOURCE_LANGUAGE
from core.web import NowDep, SessionDep
from dashboards import figures, meeting, services
from dashboards.dashboard_page import office_in_view
from dashboards.pages import KIND_WORDS, render
from dashboards.signin import FormDep, StaffDep
from intake import queries
from intake.access import subtree

router = APIRouter(prefix="/staff/meeting", include_in_schema=False)
Text = Annotated[str, Query(max_length=32)]


@router.get("", response_class=HTMLResponse)
def pack(request: Request, session: SessionDep, staff: StaffDep, now: NowDep, week: Text = "",
         office: Text = "") -> Response:
    node = office_in_view(session, staff, office)
    built = meeting.build(session, scope=staff.scope, office=node, now=now,
                          week=week or meeting.iso_week(now, timezone=node.timezone),
                          min_count=request.app.state.settings.kpi_min_count)
    return render(request, "meeting.html", staff, page_context(session, built, editable=True))


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
        return render(request, "meeting.html", staff, page_context(session, built, editable=True, error=str(error)),
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


def page_context(session: Any, built: meeting.Pack, *, editable: bool, error: str | None = None) -> dict[str, Any]:
    """What meeting.html needs besides the pack: the page and the file (`meeting_files`) render it alike."""
    offices = queries.offices(session)
    inside = subtree({o.id: o.parent_id for o in offices}, built.office.id)
    owners = [o for o in offices if o.id in inside]
    return {"p": built, "kind_words": KIND_WORDS, "editable": editable, "error": error,
            "owners": [(o.code, o.name) for o in owners],
            "zone": built.office.timezone,  # the week is on the office's calendar
            "language": SOURCE_LANGUAGE, "registry": figures.FIGURES}


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
