"""Staff pages: sign-in and sign-out, the one-time link that sets a password, and the office inbox."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from core.errors import InvalidInput
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import auth, queries
from dashboards.pages import KIND_WORDS, STATUS_CHOICES, STATUS_WORDS, render, templates
from dashboards.signin import LOGIN_COOKIE, SESSION_COOKIE, WELCOME_COOKIE, FormDep, StaffDep, safe_next
from intake import staff as staff_accounts

router = APIRouter(prefix="/staff", include_in_schema=False)
static = StaticFiles(directory=Path(__file__).parent / "static")
REFUSED = "Wrong username or password, or too many attempts. Try again later or ask your administrator."
WELCOME_DONE = "Your password is set. Sign in with your username and the new password."
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}  # the link's token must not leak


@router.get("", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/staff/inbox", status_code=303)


@router.get("/inbox", response_class=HTMLResponse)
def inbox(request: Request, session: SessionDep, staff: StaffDep, now: NowDep, status: str = "open",
          category: str = "", office: str = "", q: str = "", overdue: bool = False, page: int = 1) -> Response:
    filters = queries.InboxFilters(status=status[:24], category=category[:32], office=office[:32], q=q[:100],
                                   overdue=overdue, page=min(max(page, 1), queries.MAX_PAGE))
    rows, total = queries.inbox(session, scope=staff.scope, now=now, filters=filters)
    done = "The grievance moved to an office whose work you do not see." if request.query_params.get("done") else None

    def page_url(number: int) -> str:
        return "/staff/inbox?" + urlencode({**{k: v for k, v in asdict(filters).items() if v}, "page": number})

    return render(request, "inbox.html", staff, {
        "rows": rows, "total": total, "notice": done, "filters": filters, "now": now,
        "default_filters": queries.InboxFilters(),
        "page_size": queries.PAGE, "max_page": queries.MAX_PAGE, "count_cap": queries.SMALL,
        "page_url": page_url, "categories": queries.categories(session),
        "offices": queries.offices(session, staff.scope), "statuses": STATUS_CHOICES, "status_words": STATUS_WORDS,
        "kind_words": KIND_WORDS})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep, next: str | None = None,  # noqa: A002
               done: str = "") -> Response:
    token = secrets.token_urlsafe(32)
    response = _login(request, settings, token=token, next_=safe_next(next),
                      notice=WELCOME_DONE if done == "password" else None)
    _cookie(response, LOGIN_COOKIE, token, max_age=3600)
    return response


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=200)] = "", password: Annotated[str, Form(max_length=1024)] = "",
          csrf_token: Annotated[str, Form(max_length=100)] = "", next: Annotated[str, Form(max_length=500)] = "",  # noqa: A002
          ) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise HTTPException(403, "the sign-in form has expired; reload the page")
    signed_in = auth.sign_in(session, username=username, password=password, now=now,
                             timeouts=auth.Timeouts.from_settings(settings),
                             address=request.client.host if request.client else None)
    if signed_in is None:
        response = _login(request, settings, token=expected, next_=safe_next(next), message=REFUSED,
                          username=username[:64], status=401)
        return response  # returned, not raised: the failed attempt must be counted (committed)
    response = RedirectResponse(safe_next(next), status_code=303)
    _cookie(response, SESSION_COOKIE, signed_in.token, max_age=int(settings.staff_session_hours * 3600))
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


@router.post("/logout")
def logout(staff: StaffDep, _form: FormDep, now: NowDep) -> Response:
    auth.sign_out(staff.session, now=now)
    response = RedirectResponse("/staff/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.get("/welcome/{token}", response_class=HTMLResponse)
def welcome_page(request: Request, token: str, session: SessionDep, now: NowDep) -> Response:
    link = staff_accounts.usable_link(session, token=token, now=now)
    if link is None:
        return _welcome(request, token="", message=staff_accounts.LINK_REFUSED, status=400)
    form_token = secrets.token_urlsafe(32)
    response = _welcome(request, token=token, form_token=form_token, username=link.user.username,
                        name=link.user.display_name)
    _cookie(response, WELCOME_COOKIE, form_token, max_age=3600)
    return response


@router.post("/welcome/{token}", response_class=HTMLResponse)
def welcome(request: Request, token: str, session: SessionDep, now: NowDep,
            password: Annotated[str, Form(max_length=1024)] = "", confirm: Annotated[str, Form(max_length=1024)] = "",
            csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    expected = request.cookies.get(WELCOME_COOKIE)
    if not expected or not secrets.compare_digest(expected, csrf_token):
        raise HTTPException(403, "this form has expired; open the link again", headers=PRIVATE)
    link = staff_accounts.usable_link(session, token=token, now=now)
    if link is None:
        return _welcome(request, token="", message=staff_accounts.LINK_REFUSED, status=400)
    user = link.user
    if password != confirm:
        return _welcome(request, token=token, form_token=expected, username=user.username, name=user.display_name,
                        message="The two passwords are not the same. Type the same password twice.", status=422)
    try:
        staff_accounts.use_link(session, token=token, password=password, now=now)
    except staff_accounts.LinkNotValid:
        return _welcome(request, token="", message=staff_accounts.LINK_REFUSED, status=400)
    except InvalidInput as exc:
        return _welcome(request, token=token, form_token=expected, username=user.username, name=user.display_name,
                        message=exc.message[:1].upper() + exc.message[1:] + ".", status=422)
    response = RedirectResponse("/staff/login?done=password", status_code=303, headers=PRIVATE)
    response.delete_cookie(WELCOME_COOKIE, path="/", secure=True, httponly=True, samesite="strict")
    return response


def _welcome(request: Request, *, token: str, form_token: str = "", username: str = "", name: str = "",
             message: str | None = None, status: int = 200) -> Response:
    """The page of a one-time link: the form while the link works, else only the message (no token in it)."""
    return templates.TemplateResponse(request, "welcome.html", {
        "token": token, "form_token": form_token, "username": username, "name": name, "message": message,
        "staff": None}, status_code=status, headers=PRIVATE)


def _login(request: Request, settings: SettingsDep, *, token: str, next_: str, message: str | None = None,
           notice: str | None = None, username: str = "", status: int = 200) -> Response:
    return templates.TemplateResponse(request, "login.html", {
        "login_token": token, "next": next_, "message": message, "notice": notice, "username": username,
        "staff": None,
        "max_failures": settings.login_max_failures, "lockout_minutes": f"{settings.login_lockout_minutes:g}",
        "idle_minutes": f"{settings.staff_idle_minutes:g}"}, status_code=status)


def _cookie(response: Response, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="lax" if name == SESSION_COOKIE else "strict")
