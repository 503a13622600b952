"""Staff sign-in: server-side sessions and the failed-attempt counters behind the lockout."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from intake.models import StaffUser


class StaffSession(Base):
    """A signed-in browser. The cookie holds a random token; only its SHA-256 is stored, so a copy of the
    database signs nobody in."""

    __tablename__ = "staff_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie's token
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))  # every form of this session carries it
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]  # the idle timeout counts from here
    expires_at: Mapped[datetime]  # the absolute timeout: no activity keeps a session past it
    ended_at: Mapped[datetime | None]  # signed out, or ended by an administrator

    user: Mapped[StaffUser] = relationship()


class LoginThrottle(Base):
    """Failed sign-ins per username, known or not, so a lockout tells nobody which usernames exist.
    Keyed by a hash: people type passwords into the username field, and those must not be stored."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the normalised username
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
