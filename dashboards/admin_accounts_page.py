"""Administration pages for people and machines: staff accounts (create, disable a leaver, reset a password,
change a role or office), API keys (create, revoke) and the audit log with its CSV. Administrators change;
managers may look. The same services as `redress staff` and `redress apikey` do the work and the audit."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from core import audit, times
from core.errors import DomainError, InvalidInput
from core.web import NowDep, SessionDep, SettingsDep
from dashboards.admin_page import may_change, may_view
from dashboards.pages import render
from dashboards.signin import ROLE_LABELS, FormDep, Staff, StaffDep, welcome_url
from directory.format import CONTROL
from intake import accounts, queries
from intake import staff as staff_accounts
from intake.models import Role

router = APIRouter(prefix="/staff/admin", include_in_schema=False)
DONE_WORDS = {"disabled": "Disabled: their sessions and keys stopped at once.", "enabled": "Enabled again.",
              "role": "Role and office changed.", "revoked": "Key revoked: it stopped working at once.",
              "unchanged": "Nothing to change."}
NO_STORE = {"Cache-Control": "no-store"}  # pages that show a one-time link or a key


def _field(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _role(raw: str) -> Role:
    try:
        return Role(raw)
    except ValueError:
        raise InvalidInput(f"choose a role: {', '.join(r.value for r in Role)}", field="role") from None


@router.get("/staff", response_class=HTMLResponse)
def staff_list(request: Request, session: SessionDep, staff: StaffDep, done: str = "") -> Response:
    may_view(staff)
    return _staff_page(request, session, staff, notice=DONE_WORDS.get(done))


def _staff_page(request: Request, session: Any, staff: Staff, *, notice: str | None = None, error: str | None = None,
                link: tuple[str, str] | None = None, draft: dict[str, str] | None = None,
                status: int = 200) -> Response:
    response = render(request, "admin_staff.html", staff, {
        "accounts": queries.staff_accounts(session), "offices": queries.offices(session), "roles": ROLE_LABELS,
        "notice": notice, "error": error, "link": link, "draft": draft or {}, "can_change": staff.role is Role.ADMIN},
        status=status)
    response.headers.update(NO_STORE)  # it may show a one-time link
    return response


@router.post("/staff", response_class=HTMLResponse)
def staff_create(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, settings: SettingsDep,
                 now: NowDep) -> Response:
    may_change(staff)
    draft = {name: _field(form, name) for name in ("username", "name", "office", "role", "email", "phone")}
    try:
        with session.begin_nested():
            user = staff_accounts.create_staff(
                session, username=draft["username"], display_name=draft["name"], role=_role(draft["role"]),
                office_code=draft["office"], email=draft["email"] or None, phone=draft["phone"] or None,
                region=settings.default_region, actor=staff.username, now=now)
            token = staff_accounts.issue_link(session, user=user, now=now,
                                              valid_for=timedelta(hours=settings.staff_link_hours))
    except DomainError as error:
        return _staff_page(request, session, staff, error=error.message, draft=draft, status=error.status)
    return _staff_page(request, session, staff, link=(user.username, welcome_url(settings, token)),
                       notice=f"Account {user.username} created. Give them this one-time link (it works once, for "
                              f"{settings.staff_link_hours:g} hours); it sets their password.")


@router.post("/staff/{username}/{action}", response_class=HTMLResponse)
def staff_action(request: Request, username: str, action: str, session: SessionDep, staff: StaffDep, form: FormDep,
                 settings: SettingsDep, now: NowDep) -> Response:
    may_change(staff)
    try:
        with session.begin_nested():
            if action == "reset":
                token = staff_accounts.reset_password(session, username=username, actor=staff.username, now=now,
                                                      valid_for=timedelta(hours=settings.staff_link_hours))
                user = staff_accounts.by_username(session, username)
                return _staff_page(request, session, staff, link=(user.username, welcome_url(settings, token)),
                                   notice=f"{user.username}'s password no longer works and their sessions ended. "
                                          "Give them this one-time link to choose a new one.")
            if action == "disable":
                changed = staff_accounts.disable_staff(session, username=username, actor=staff.username, now=now)
            elif action == "enable":
                changed = staff_accounts.enable_staff(session, username=username, actor=staff.username, now=now)
            elif action == "role":
                changed = staff_accounts.set_role(session, username=username, role=_role(_field(form, "role")),
                                                  office_code=_field(form, "office") or None, actor=staff.username,
                                                  now=now)
            else:
                raise InvalidInput("unknown action")
    except DomainError as error:
        return _staff_page(request, session, staff, error=error.message, status=error.status)
    done = {"disable": "disabled", "enable": "enabled", "role": "role"}[action] if changed else "unchanged"
    return RedirectResponse(f"/staff/admin/staff?done={done}", status_code=303)


@router.get("/keys", response_class=HTMLResponse)
def keys(request: Request, session: SessionDep, staff: StaffDep, done: str = "") -> Response:
    may_view(staff)
    return _keys_page(request, session, staff, notice=DONE_WORDS.get(done))


def _keys_page(request: Request, session: Any, staff: Staff, *, notice: str | None = None, error: str | None = None,
               secret: str | None = None, status: int = 200) -> Response:
    response = render(request, "admin_keys.html", staff, {
        "keys": queries.api_keys(session), "offices": queries.offices(session), "roles": ROLE_LABELS,
        "accounts": [a for a in queries.staff_accounts(session) if a.active], "notice": notice, "error": error,
        "secret": secret, "can_change": staff.role is Role.ADMIN}, status=status)
    response.headers.update(NO_STORE)
    return response


@router.post("/keys", response_class=HTMLResponse)
def key_create(request: Request, session: SessionDep, staff: StaffDep, form: FormDep, now: NowDep) -> Response:
    may_change(staff)
    try:
        with session.begin_nested():
            office = queries.office_by_code(session, _field(form, "office", 32))
            if office is None:
                raise InvalidInput("choose the office the key acts for", field="office")
            owner_name = _field(form, "owner", 64)
            owner = staff_accounts.by_username(session, owner_name) if owner_name else None
            issued = accounts.create_api_key(session, name=_field(form, "name", 100), role=_role(_field(form, "role")),
                                             office=office, owner=owner, actor=staff.username, now=now)
    except DomainError as error:
        return _keys_page(request, session, staff, error=error.message, status=error.status)
    return _keys_page(request, session, staff, secret=issued.secret,
                      notice=f"Key {issued.api_key.name!r} created. Copy it now: it is shown only once.")


@router.post("/keys/{key_id}/revoke", response_class=HTMLResponse)
def key_revoke(request: Request, key_id: int, session: SessionDep, staff: StaffDep, _form: FormDep,
               now: NowDep) -> Response:
    may_change(staff)
    try:
        with session.begin_nested():
            changed = accounts.revoke_api_key(session, key_id=key_id, actor=staff.username, now=now)
    except DomainError as error:
        return _keys_page(request, session, staff, error=error.message, status=error.status)
    return RedirectResponse(f"/staff/admin/keys?done={'revoked' if changed else 'unchanged'}", status_code=303)


AUDIT_ACTIONS = [("", "everything"), ("sign_in", "sign-ins"), ("staff.", "staff accounts"), ("apikey.", "API keys"),
                 ("office.", "offices"), ("area.", "areas"), ("category.", "categories"), ("sla.", "SLA policies"),
                 ("calendar.", "calendars"), ("rule.", "routing rules"), ("reply.", "standard replies")]


def _audit_filters(staff: Staff, action: str, actor: str, subject: str, since: str, until: str,
                   version: str) -> dict[str, Any]:
    """The filters as `audit.entries` takes them; dates are the office's own days."""
    zone = ZoneInfo(staff.timezone)
    if any(CONTROL.search(value) for value in (action, actor, subject, since, until, version)):
        raise InvalidInput("a filter holds a control character")

    def day(raw: str, *, end: bool) -> datetime | None:
        try:
            parsed = datetime.fromisoformat(raw[:10]).date() if raw else None
        except ValueError:
            raise InvalidInput(f"{raw[:20]!r} is not a date such as 2026-12-07") from None
        return datetime.combine(parsed + timedelta(days=1 if end else 0), time(), zone) if parsed else None

    return {"action": action[:32], "actor": actor[:100], "subject": subject[:100], "since": day(since, end=False),
            "until": day(until, end=True), "version": int(version) if version.isdigit() and len(version) < 10 else None}


AUDIT_PAGE = 100


@router.get("/audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, staff: StaffDep, action: str = "", actor: str = "",
              subject: str = "", since: str = "", until: str = "", version: str = "", before: int = 0) -> Response:
    may_view(staff)
    shown = {"action": action, "actor": actor, "subject": subject, "since": since, "until": until, "version": version}
    try:
        rows = audit.entries(session, before=before if 0 < before < 2**62 else None, limit=AUDIT_PAGE,
                             **_audit_filters(staff, action, actor, subject, since, until, version))
        error = None
    except InvalidInput as problem:
        rows, error = [], problem.message
    query = {k: v for k, v in shown.items() if v}
    older = ("/staff/admin/audit?" + urlencode(query | {"before": rows[-1].id})) if len(rows) == AUDIT_PAGE else None
    return render(request, "admin_audit.html", staff, {
        "entries": rows, "filters": shown, "actions": AUDIT_ACTIONS, "error": error, "older": older,
        "csv": "/staff/admin/audit.csv?" + urlencode(query)},
        status=422 if error else 200)


@router.get("/audit.csv")
def audit_csv(session: SessionDep, staff: StaffDep, action: str = "", actor: str = "", subject: str = "",
              since: str = "", until: str = "", version: str = "") -> Response:
    may_view(staff)
    rows = audit.entries(session, limit=None, **_audit_filters(staff, action, actor, subject, since, until, version))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at_utc", "actor", "action", "subject", "before", "after", "address", "version"])
    for e in rows:
        writer.writerow([times.iso(e.at), _safe(e.actor), e.action, _safe(e.subject), _safe(_json(e.before)),
                         _safe(_json(e.after)), e.address or "", e.version or ""])
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="audit.csv"', "Cache-Control": "no-store"})


def _json(value: Any) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _safe(text: str) -> str:
    """A cell a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
