"""Who is signed in: the session cookie, the CSRF check on every form, the redirect to the sign-in page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request
from starlette.datastructures import FormData

from core.settings import Settings
from core.web import NowDep, SessionDep, SettingsDep
from dashboards import auth
from intake.access import Scope, scope_for
from intake.actors import Actor
from intake.models import ActorType, Role, StaffSession

SESSION_COOKIE = "__Host-redress_session"  # __Host-: Secure, Path=/, no Domain: only this host gets it
LOGIN_COOKIE = "__Host-redress_login"  # the sign-in form's CSRF token, before there is a session
WELCOME_COOKIE = "__Host-redress_welcome"  # the same for the form of a one-time link that sets a password
ROLE_LABELS = {Role.OFFICER: "Officer", Role.OFFICE_HEAD: "Office head", Role.OPERATOR: "Call-centre operator",
               Role.OVERSIGHT: "Oversight", Role.MANAGER: "Manager", Role.ADMIN: "Administrator"}


@dataclass(frozen=True)
class Staff:
    """A signed-in member of staff, with what they may see."""

    session: StaffSession
    scope: Scope
    actor: Actor
    name: str
    office_name: str
    timezone: str  # pages show times in the office's own

    @property
    def role(self) -> Role:
        return self.scope.role

    @property
    def username(self) -> str:
        """Who the audit names for what this person changes."""
        return self.session.user.username

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


def _staff(request: Request, session: SessionDep, now: NowDep, settings: SettingsDep) -> Staff:
    found = auth.current(session, token=request.cookies.get(SESSION_COOKIE), now=now,
                         timeouts=auth.Timeouts.from_settings(settings))
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(303, headers={"Location": f"/staff/login?next={quote(target, safe='')}"})
    user = found.user
    actor = Actor(type=ActorType.STAFF, id=str(user.id), role=user.role, office_id=user.office_id,
                  name=user.display_name)
    return Staff(session=found, scope=scope_for(session, role=user.role, office_id=user.office_id), actor=actor,
                 name=user.display_name, office_name=user.office.name, timezone=user.office.timezone)


StaffDep = Annotated[Staff, Depends(_staff)]


async def _checked_form(request: Request, staff: StaffDep) -> FormData:
    """The posted form, once its CSRF token is this session's: a page on another site cannot post for staff."""
    form = await request.form()
    token = form.get("csrf_token")
    if not auth.csrf_matches(staff.session, token if isinstance(token, str) else None):
        raise HTTPException(403, "this form has expired or did not come from OpenRedress; reload the page")
    return form


FormDep = Annotated[FormData, Depends(_checked_form)]


def welcome_url(settings: Settings, token: str) -> str:
    """The one-time link that lets a new (or reset) account choose its password."""
    return f"{settings.public_base_url.rstrip('/')}/staff/welcome/{token}"


def safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in link must not send staff on to another site."""
    if not target or not target.startswith("/staff") or target.startswith("//") or "\\" in target:
        return "/staff/inbox"
    return target
