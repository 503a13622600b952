"""Times as people read them: one babel format per language that always names its zone, and ISO 8601 for files.

Every page, SMS and staff message formats a moment here, so one deadline reads the same everywhere and no
reader has to guess the zone. Which zone is the caller's choice: staff see their office's, citizens that of
the office handling their grievance (else the service's); see the callers.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, pass_context

from core.i18n import SOURCE_LANGUAGE

# Weekday, day, month and year, the 24-hour clock, then the zone's long name ("Nepal Time"; babel falls back
# to "GMT+05:45" where a zone has no name). Babel puts the words and the zone name in the reader's language.
PAGE = "EEE d MMM y, HH:mm zzzz"
PAGE_DAY = "EEE d MMM y"
# An SMS pays for every character: the zone as its short name or offset ("+0545", "UTC", "EST").
SMS = "d MMM HH:mm z"
SMS_DAY = "d MMM"
NOTHING = "—"  # what a page shows for a time that has not happened


def _zone(zone: str | tzinfo) -> tzinfo:
    return ZoneInfo(zone) if isinstance(zone, str) else zone


def _aware(moment: datetime) -> datetime:
    """A naive time would be read as the server's local time: refuse it, as the UTC column type does."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime given to be shown; pass an aware datetime")
    return moment


def shown(moment: datetime, *, zone: str | tzinfo, language: str) -> str:
    """'Wed 9 Dec 2026, 17:00 Nepal Time': a moment on a page or in a staff message, in `zone`, named."""
    return format_datetime(_aware(moment), PAGE, tzinfo=_zone(zone), locale=language)


def shown_day(day: date, *, language: str) -> str:
    """'Wed 9 Dec 2026': a calendar day on a page (a day, not a moment: the caller takes it in the reader's zone)."""
    return format_date(day, PAGE_DAY, locale=language)


def brief(moment: datetime, *, zone: str | tzinfo, language: str) -> str:
    """'9 Dec 17:00 +0545': the same moment in an SMS, shorter but still naming its zone."""
    return format_datetime(_aware(moment), SMS, tzinfo=_zone(zone), locale=language)


def brief_day(day: date, *, language: str) -> str:
    """'9 Dec': a day in an SMS (the caller picks the day in the reader's zone)."""
    return format_date(day, SMS_DAY, locale=language)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with its offset, to the second, for files: '2026-12-09T11:15:00+00:00'."""
    return _aware(moment).astimezone(UTC).replace(microsecond=0).isoformat()


@pass_context
def _shown_in_page(context: Any, moment: datetime | None, zone: str | tzinfo | None = None,
                   language: str | None = None) -> str:
    """`{{ at|shown }}` in a template: the page's `zone` and `language` unless given."""
    if moment is None:
        return NOTHING
    zone = zone or context.get("zone")
    if not zone:
        raise ValueError("a template that shows times needs a `zone` in its context")
    return shown(moment, zone=zone, language=language or context.get("language") or SOURCE_LANGUAGE)


@pass_context
def _day_in_page(context: Any, day: date | None, language: str | None = None) -> str:
    """`{{ day|shown_day }}` in a template, in the page's `language`."""
    return NOTHING if day is None else shown_day(day, language=language or context.get("language") or SOURCE_LANGUAGE)


def install(env: Environment) -> None:
    """Offer these to every template of a Jinja environment: the filters `shown` and `shown_day` (which read the
    page's `zone` and `language`) and the functions themselves."""
    env.filters["shown"] = _shown_in_page
    env.filters["shown_day"] = _day_in_page
    env.globals["shown"] = shown
    env.globals["shown_day"] = shown_day
