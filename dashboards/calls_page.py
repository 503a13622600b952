"""The call-centre console: find a caller by phone, read their news back, file or add for them, summarise voice
messages. Operators (and administrators) only."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core.errors import DomainError, PermissionDenied
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import calls
from dashboards.pages import STATUS_WORDS, render
from dashboards.signin import FormDep, Staff, StaffDep
from intake import queries
from intake.models import Role
from intake.normalise import phone_e164
from routing.web import ModelDep, PolicyDep

router = APIRouter(prefix="/staff/calls", include_in_schema=False)
CONSOLE_ROLES = frozenset({Role.OPERATOR, Role.ADMIN})
DONE_WORDS = {"added": "Added to the grievance; the office sees it on its timeline.",
              "summarised": "Summarised and sent to the office."}


def _operator(staff: Staff) -> None:
    if staff.role not in CONSOLE_ROLES:
        raise PermissionDenied("the call-centre console is for call-centre operators")


@router.get("", response_class=HTMLResponse)
def console(request: Request, session: SessionDep, staff: StaffDep, settings: SettingsDep, phone: str = "",
            done: str = "") -> Response:
    _operator(staff)
    return _page(request, session, staff, settings, phone=phone[:40], notice=DONE_WORDS.get(done))


@router.post("/file", response_class=HTMLResponse)
def file(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, settings: SettingsDep, now: NowDep,
         model: ModelDep, policy: PolicyDep) -> Response:
    """File on the caller's behalf; the page shows the tracking number and secret once, to read to the caller."""
    _operator(staff)
    phone = _field(form, "phone", 40)
    try:
        with session.begin_nested():
            result = calls.file_for_caller(
                session, phone=phone or None, name=_field(form, "name", 200) or None, text=_field(form, "text", 6000),
                category=_field(form, "category", 64) or None, language=_field(form, "language", 8) or None,
                anonymous=form.get("anonymous") == "yes", key=_field(form, "key", 64) or None, actor=staff.actor,
                now=now, region=settings.default_region, model=model, policy=policy)
    except DomainError as error:
        return _page(request, session, staff, settings, phone=phone, error=error.message, status=error.status,
                     draft={name: _field(form, name, 6000) for name in ("name", "text", "category", "language")})
    request.app.state.wake_delivery()
    return _page(request, session, staff, settings, phone=phone, filed=result)


@router.post("/add", response_class=HTMLResponse)
def add(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, settings: SettingsDep,
        now: NowDep) -> Response:
    _operator(staff)
    phone = _field(form, "phone", 40)
    grievance = queries.get_for_scope_or_404(session, tracking_number=_field(form, "number", 32), scope=staff.scope)
    try:
        with session.begin_nested():
            calls.add_for_caller(session, grievance=grievance, text=_field(form, "text", 6000), actor=staff.actor,
                                 now=now)
    except DomainError as error:
        return _page(request, session, staff, settings, phone=phone, error=error.message, status=error.status)
    return RedirectResponse("/staff/calls?" + urlencode({"phone": phone, "done": "added"}), status_code=303)


@router.post("/summarise", response_class=HTMLResponse)
def summarise(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, settings: SettingsDep,
              now: NowDep, policy: PolicyDep) -> Response:
    _operator(staff)
    grievance = queries.get_for_scope_or_404(session, tracking_number=_field(form, "number", 32), scope=staff.scope)
    try:
        with session.begin_nested():
            calls.summarise(session, grievance=grievance, summary=_field(form, "summary", 6000),
                            office=_field(form, "office", 64) or None, category=_field(form, "category", 64) or None,
                            actor=staff.actor, scope=staff.scope, now=now, policy=policy)
    except DomainError as error:
        session.refresh(grievance)
        return _page(request, session, staff, settings, error=f"{grievance.tracking_number}: {error.message}",
                     status=error.status)
    return RedirectResponse("/staff/calls?done=summarised", status_code=303)


def _field(form: Any, name: str, limit: int) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _page(request: Request, session: Any, staff: Staff, settings: Any, *, phone: str = "", notice: str | None = None,
          error: str | None = None, status: int = 200, filed: Any = None, draft: dict[str, str] | None = None
          ) -> Response:
    found, number = None, None
    if phone:
        try:
            number = phone_e164(phone, region=settings.default_region)
            found = calls.caller_grievances(session, phone=number, scope=staff.scope, timezone=staff.timezone)
        except DomainError as problem:
            error = error or problem.message
    return render(request, "calls.html", staff, {
        "phone": number or phone, "found": found, "filed": filed, "notice": notice, "error": error,
        "draft": draft or {}, "key": secrets.token_urlsafe(16), "voice": calls.voice_messages(session),
        "languages": settings.languages, "status_words": STATUS_WORDS,
        "categories": [(c.code, c.name) for c in queries.categories(session)],
        "offices": [(o.code, o.name) for o in queries.offices(session) if not o.is_integrity_unit]}, status=status)
