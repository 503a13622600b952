"""Staff sign-in: password check with a lockout, server-side sessions with idle and absolute timeouts.

Every refusal looks the same — a wrong password, an unknown username, a locked or disabled account —
and takes the same time (an unknown username is checked against a dummy hash), so the sign-in page
tells an attacker nothing about which accounts exist.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit, throttle
from core.settings import Settings
from intake.accounts import hash_password, password_matches
from intake.models import StaffSession, StaffUser

_DUMMY_HASH = hash_password("not-a-password-of-anyone")
TOUCH_EVERY = timedelta(minutes=1)  # a busy page does not write the session on every request


@dataclass(frozen=True)
class Timeouts:
    idle: timedelta
    absolute: timedelta
    max_failures: int
    lockout: timedelta

    @classmethod
    def from_settings(cls, settings: Settings) -> Timeouts:
        return cls(idle=timedelta(minutes=settings.staff_idle_minutes),
                   absolute=timedelta(hours=settings.staff_session_hours),
                   max_failures=settings.login_max_failures,
                   lockout=timedelta(minutes=settings.login_lockout_minutes))


@dataclass(frozen=True)
class SignedIn:
    token: str  # for the cookie; only its hash is stored
    session: StaffSession


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def sign_in(session: Session, *, username: str, password: str, now: datetime, timeouts: Timeouts,
            address: str | None = None) -> SignedIn | None:
    """A new session for the right password of an active, unlocked account; None for every other case.

    Both outcomes are audited with the client's address. A failure names the account only if it exists: what
    was typed is never stored, since people type passwords into the username field.
    """
    name = username.strip().lower()[:200]
    key = throttle.key_of("login", name)
    user = session.scalar(select(StaffUser).where(StaffUser.username == name)) if name else None
    matches = password_matches(password[:1024], user.password_hash if user and user.password_hash else _DUMMY_HASH)
    if throttle.locked_until(session, key, now):
        _failed(session, user=user, reason="locked", now=now, address=address)
        return None  # not even the right password gets in until the lockout ends
    if not (matches and user is not None and user.active):
        throttle.failed(session, key, now=now, max_failures=timeouts.max_failures, lockout=timeouts.lockout)
        reason = ("disabled" if user is not None and not user.active else
                  "no password yet" if user is not None and not user.password_hash else "wrong password")
        _failed(session, user=user, reason=reason, now=now, address=address)
        return None
    throttle.cleared(session, key)
    token = secrets.token_urlsafe(32)
    staff_session = StaffSession(id=token_hash(token), user_id=user.id, csrf_token=secrets.token_urlsafe(32),
                                 created_at=now, last_seen_at=now, expires_at=now + timeouts.absolute)
    session.add(staff_session)
    audit.record(session, at=now, actor=user.username, action="sign_in", subject=f"staff {user.username}",
                 address=address)
    session.flush()
    return SignedIn(token=token, session=staff_session)


def _failed(session: Session, *, user: StaffUser | None, reason: str, now: datetime, address: str | None) -> None:
    subject = f"staff {user.username}" if user is not None else "unknown account"
    audit.record(session, at=now, actor="anonymous", action="sign_in.failed", subject=subject,
                 after={"reason": reason} if user is not None else None, address=address)


def current(session: Session, *, token: str | None, now: datetime, timeouts: Timeouts) -> StaffSession | None:
    """The live session of this cookie, kept alive by this request; None once idle, expired or ended."""
    if not token or len(token) > 100:
        return None
    found = session.get(StaffSession, token_hash(token))
    if found is None or found.ended_at is not None or not found.user.active:
        return None
    if now >= found.expires_at or now - found.last_seen_at >= timeouts.idle:
        found.ended_at = found.ended_at or now
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        found.last_seen_at = now
    return found


def sign_out(staff_session: StaffSession, *, now: datetime) -> None:
    staff_session.ended_at = now


def csrf_matches(staff_session: StaffSession, submitted: str | None) -> bool:
    return submitted is not None and secrets.compare_digest(staff_session.csrf_token, submitted)
