"""Staff accounts: create, disable and enable, change role and office, set a password through a one-time link.

Nobody chooses or sees another person's password: an account starts without one, and a one-time link (or the
person's own `--password-stdin`) sets it. Every change is audited with the account's public fields only.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit
from core.errors import Conflict, DomainError, InvalidInput, NotFound
from intake.accounts import hash_password
from intake.models import Office, Role, SignInLink, StaffSession, StaffUser
from intake.normalise import one_line, phone_e164

USERNAME = re.compile(r"[A-Za-z0-9._-]{2,64}")  # checked before lower-casing: "K" (Kelvin) must not become "k"
EMAIL = re.compile(r"[^@\s\x00-\x1f\x7f]{1,64}@[^@\s\x00-\x1f\x7f.]+(\.[^@\s\x00-\x1f\x7f.]+)+")
MAX_TOKEN = 100
LINK_REFUSED = ("This link has expired, has been used already or is not valid. "
                "Ask an administrator for a new link.")


class LinkNotValid(DomainError):
    """A sign-in link that is unknown, used, expired or of a disabled account: all look the same."""

    status = 400
    code = "link_not_valid"

    def __init__(self) -> None:
        super().__init__(LINK_REFUSED)


def normal_username(raw: str) -> str:
    """The stored form of a username: 2-64 characters of a-z, 0-9, '.', '_', '-', lower-cased."""
    name = raw.strip()
    if not USERNAME.fullmatch(name):
        raise InvalidInput("a username is 2 to 64 characters of letters a-z, digits, '.', '_' and '-'",
                           field="username")
    return name.lower()


def public_fields(user: StaffUser) -> dict[str, Any]:
    """What the audit and listings show of an account: never its password hash."""
    return {"username": user.username, "name": user.display_name, "role": user.role.value,
            "office": user.office.code, "email": user.email, "phone": user.phone, "active": user.active}


def by_username(session: Session, username: str) -> StaffUser:
    """The account of this username, whatever its case; NotFound names it only if it is a valid username."""
    try:
        name = normal_username(username)
    except InvalidInput:
        raise NotFound("no staff account has that username", field="username") from None
    user = session.scalar(select(StaffUser).where(StaffUser.username == name))
    if user is None:
        raise NotFound(f"no staff account {name}", field="username")
    return user


def create_staff(session: Session, *, username: str, display_name: str, role: Role, office_code: str,
                 email: str | None = None, phone: str | None = None, region: str, actor: str,
                 now: datetime) -> StaffUser:
    """A new, active account without a password; the caller issues its one-time link or sets one."""
    name = normal_username(username)
    display = one_line(display_name, field="name", max_chars=200)
    if not display:
        raise InvalidInput("a staff account needs a name", field="name")
    office = _active_office(session, office_code)
    email = _email(email)
    phone = phone_e164(phone.strip(), region=region) if phone and phone.strip() else None
    if session.scalar(select(StaffUser.id).where(StaffUser.username == name)) is not None:
        raise Conflict(f"there is already a staff account {name} (usernames ignore case; disabled accounts keep "
                       "theirs)", field="username")
    user = StaffUser(username=name, display_name=display, password_hash="", role=role, office=office, active=True,
                     created_at=now, email=email, phone=phone)
    session.add(user)
    session.flush()
    audit.record(session, at=now, actor=actor, action="staff.create", subject=_subject(user),
                 after=public_fields(user))
    return user


def disable_staff(session: Session, *, username: str, actor: str, now: datetime) -> bool:
    """Disable a leaver: sessions end, owned API keys and unused links stop at once. False if already disabled."""
    user = by_username(session, username)
    if not user.active:
        return False
    _keep_an_admin(session, user, doing="disable")
    with _audited(session, user, action="staff.disable", actor=actor, now=now):
        user.active = False
        _end_sessions(session, user=user, now=now)
        _expire_links(session, user=user, now=now)
    return True


def enable_staff(session: Session, *, username: str, actor: str, now: datetime) -> bool:
    """Enable a disabled account again (its owned keys work again); False if it was active."""
    user = by_username(session, username)
    if user.active:
        return False
    with _audited(session, user, action="staff.enable", actor=actor, now=now):
        user.active = True
    return True


def reset_password(session: Session, *, username: str, actor: str, now: datetime, valid_for: timedelta) -> str:
    """Forget the password at once, end the sessions, and return the token of a new one-time link."""
    user = by_username(session, username)
    if not user.active:
        raise Conflict(f"staff {user.username} is disabled; enable the account before resetting its password")
    with _audited(session, user, action="staff.reset_password", actor=actor, now=now):
        user.password_hash = ""
        _end_sessions(session, user=user, now=now)
        token = issue_link(session, user=user, now=now, valid_for=valid_for)
    return token


def set_role(session: Session, *, username: str, role: Role, office_code: str | None = None, actor: str,
             now: datetime) -> bool:
    """Change an account's role, and its office if given; False if nothing changes."""
    user = by_username(session, username)
    office = _active_office(session, office_code) if office_code else user.office
    if role is user.role and office.id == user.office_id:
        return False
    if role is not Role.ADMIN:
        _keep_an_admin(session, user, doing="demote")
    with _audited(session, user, action="staff.set_role", actor=actor, now=now):
        user.role = role
        user.office = office
    return True


def set_password(session: Session, *, username: str, password: str, actor: str, now: datetime) -> StaffUser:
    """Set an account's password directly (the command line's --password-stdin, for scripts)."""
    user = by_username(session, username)
    if not user.active:
        raise Conflict(f"staff {user.username} is disabled; enable the account first")
    _store_password(session, user=user, password_hash=hash_password(password), actor=actor, now=now)
    return user


def issue_link(session: Session, *, user: StaffUser, now: datetime, valid_for: timedelta) -> str:
    """A new one-time link's token (256 random bits; only its SHA-256 is stored); earlier unused ones stop."""
    _expire_links(session, user=user, now=now)
    token = secrets.token_urlsafe(32)
    session.add(SignInLink(id=_hash(token), user_id=user.id, created_at=now, expires_at=now + valid_for))
    session.flush()
    return token


def usable_link(session: Session, *, token: str, now: datetime) -> SignInLink | None:
    """The link of this token if it can still set a password: known, unused, unexpired, of an active account."""
    if not token or len(token) > MAX_TOKEN:
        return None
    link = session.get(SignInLink, _hash(token))
    if link is None or link.used_at is not None or now >= link.expires_at or not link.user.active:
        return None
    return link


def use_link(session: Session, *, token: str, password: str, now: datetime) -> StaffUser:
    """Set the password through a one-time link; a link sets one password only, even used twice at once."""
    link = usable_link(session, token=token, now=now)
    if link is None:
        raise LinkNotValid
    password_hash = hash_password(password)  # a too-short password leaves the link usable
    claimed = session.execute(update(SignInLink).where(SignInLink.id == link.id, SignInLink.used_at.is_(None))
                              .values(used_at=now).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        raise LinkNotValid
    session.refresh(link)
    _store_password(session, user=link.user, password_hash=password_hash, actor=link.user.username, now=now)
    return link.user


@contextmanager
def _audited(session: Session, user: StaffUser, *, action: str, actor: str, now: datetime) -> Iterator[None]:
    """Record what the block changes on the account: its public fields before and after."""
    before = public_fields(user)
    yield
    audit.record(session, at=now, actor=actor, action=action, subject=_subject(user), before=before,
                 after=public_fields(user))


def _store_password(session: Session, *, user: StaffUser, password_hash: str, actor: str, now: datetime) -> None:
    """A new password ends the account's other sessions and any link still waiting."""
    user.password_hash = password_hash
    _end_sessions(session, user=user, now=now)
    _expire_links(session, user=user, now=now)
    audit.record(session, at=now, actor=actor, action="staff.password_set", subject=_subject(user),
                 after=public_fields(user))


def _keep_an_admin(session: Session, user: StaffUser, *, doing: str) -> None:
    """Refuse to remove the last active admin: nobody could administer the service any more.

    The active admins' rows are locked in one order (PostgreSQL; SQLite writes one at a time anyway), so two
    admins disabling each other at once cannot both succeed.
    """
    if user.role is not Role.ADMIN or not user.active:
        return
    admins = session.scalars(select(StaffUser.id).where(StaffUser.role == Role.ADMIN, StaffUser.active)
                             .order_by(StaffUser.id).with_for_update()).all()
    if [admin for admin in admins if admin != user.id]:
        return
    raise Conflict(f"staff {user.username} is the last active administrator; make another account admin "
                   f"before you {doing} this one")


def _end_sessions(session: Session, *, user: StaffUser, now: datetime) -> None:
    session.execute(update(StaffSession).where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
                    .values(ended_at=now).execution_options(synchronize_session="fetch"))


def _expire_links(session: Session, *, user: StaffUser, now: datetime) -> None:
    session.execute(update(SignInLink).where(SignInLink.user_id == user.id, SignInLink.used_at.is_(None),
                                             SignInLink.expires_at > now)
                    .values(expires_at=now).execution_options(synchronize_session="fetch"))


def _active_office(session: Session, code: str) -> Office:
    office = session.scalar(select(Office).where(Office.code == code.strip().upper()))
    if office is None:
        shown = code.strip().upper()
        raise InvalidInput(f"no office {shown}" if len(shown) <= 32 else "no office has that code", field="office")
    if not office.active:
        raise InvalidInput(f"office {office.code} is retired; choose an active office", field="office")
    return office


def _email(raw: str | None) -> str | None:
    if raw is None or not raw.strip():
        return None
    email = raw.strip()
    if len(email) > 200 or not EMAIL.fullmatch(email):
        raise InvalidInput("the email address is not valid; write it as name@example.org", field="email")
    return email


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _subject(user: StaffUser) -> str:
    return f"staff {user.username}"
