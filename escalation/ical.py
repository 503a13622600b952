"""Holidays from an iCalendar file (RFC 5545): each all-day event, over every day it spans, is a day off."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import icalendar

from core.errors import InvalidInput

MAX_EVENT_DAYS = 31


def holidays_from_ical(data: bytes) -> list[tuple[date, str]]:
    """(day, name) for every day of every event, sorted; a file that is not iCalendar is a clear error."""
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except ValueError as exc:
        raise InvalidInput(f"not an iCalendar file: {exc}") from exc
    days: dict[date, str] = {}
    for event in calendar.walk("VEVENT"):
        start = event.decoded("DTSTART", None)
        if start is None:
            continue
        first = start.date() if isinstance(start, datetime) else start
        end = event.decoded("DTEND", None)
        last = (end.date() if isinstance(end, datetime) else end) - timedelta(days=1) if end else first
        if (last - first).days >= MAX_EVENT_DAYS:
            raise InvalidInput(f"event {str(event.get('SUMMARY', ''))[:60]!r} spans more than {MAX_EVENT_DAYS} days")
        name = str(event.get("SUMMARY", "holiday"))[:200]
        day = first
        while day <= max(first, last):
            days[day] = name
            day += timedelta(days=1)
    if not days:
        raise InvalidInput("the file has no events with a start date")
    return sorted(days.items())
