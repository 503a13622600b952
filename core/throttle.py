"""Failed-attempt counters with a lockout, for anything a stranger could guess: staff passwords, the
secrets that open a citizen's tracking page.

Keyed by a SHA-256 of a namespaced key ("login:<username>", "track-ip:<address>"), so what people type
(passwords land in username fields) is never stored. A locked key refuses even the right answer until
the lockout ends, so guessing on gains nothing from a lucky hit.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base


class Throttle(Base):
    __tablename__ = "throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the namespaced key
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]


def key_of(namespace: str, value: str) -> str:
    return hashlib.sha256(f"{namespace}:{value}".encode()).hexdigest()


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    """When the key's lockout ends, if it is locked now."""
    found = session.get(Throttle, key)
    return found.locked_until if found is not None and found.locked_until and found.locked_until > now else None


def failed(session: Session, key: str, *, now: datetime, max_failures: int, lockout: timedelta) -> None:
    """Count a failure; the last one allowed within `lockout` locks the key for `lockout`."""
    found = session.get(Throttle, key)
    if found is None:
        found = Throttle(key=key, failures=0, window_started_at=now)
        session.add(found)
    if found.window_started_at + lockout < now or found.locked_until is not None:
        found.failures, found.window_started_at, found.locked_until = 0, now, None  # an old run
    found.failures += 1
    if found.failures >= max_failures:
        found.locked_until = now + lockout


def cleared(session: Session, key: str) -> None:
    found = session.get(Throttle, key)
    if found is not None:
        session.delete(found)
