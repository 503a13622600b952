"""Time is an argument: the app has one clock, jobs and services take `now`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    """The real clock, timezone-aware UTC."""
    return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """Parse ISO-8601 from a person or script; naive times are taken as UTC."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return value if value.tzinfo else value.replace(tzinfo=UTC)
