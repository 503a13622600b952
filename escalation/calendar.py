"""Business-hours arithmetic: pure functions over a weekly schedule, a timezone and holidays.

Deadlines are counted in the working hours of the responsible office: "8 working hours" from Friday
16:00 in Kathmandu lands on Sunday afternoon. Intervals are walked in the office's local time and
measured in UTC, so a day that loses or gains an hour to DST counts the hours that really pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a deadline further than this many days of calendar is a configuration error


class CalendarError(ValueError):
    """A schedule that cannot be read, or one with no working time at all."""


@dataclass(frozen=True)
class WorkingCalendar:
    timezone: str
    week: Mapping[int, tuple[tuple[time, time], ...]]  # weekday (0 = Monday) → working intervals
    holidays: frozenset[date] = field(default_factory=frozenset)

    @classmethod
    def parse(cls, *, timezone: str, week: Mapping[str, Sequence[str]],
              holidays: Sequence[date] = ()) -> WorkingCalendar:
        """From {"mon": ["09:00-13:00", "14:00-17:00"], ...}; days not named are closed."""
        try:
            ZoneInfo(timezone)
        except (KeyError, ValueError) as exc:
            raise CalendarError(f"unknown timezone {timezone!r}") from exc
        schedule: dict[int, tuple[tuple[time, time], ...]] = {}
        for day, spans in week.items():
            if day not in DAYS:
                raise CalendarError(f"unknown day {day!r}; use {', '.join(DAYS)}")
            if isinstance(spans, str):
                raise CalendarError(f"{day}: write the hours as a list, e.g. [\"09:00-17:00\"]")
            intervals = sorted(_interval(day, span) for span in spans)
            for (_, end), (start, _) in zip(intervals, intervals[1:], strict=False):
                if start < end:
                    raise CalendarError(f"{day}: working hours overlap")
            schedule[DAYS.index(day)] = tuple(intervals)
        if not any(schedule.values()):
            raise CalendarError("a calendar needs some working hours")
        return cls(timezone=timezone, week=schedule, holidays=frozenset(holidays))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def spans(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals (UTC) from the local day of `start` on, clipped to begin no earlier than it."""
        local_day = start.astimezone(self.zone).date()
        for offset in range(MAX_DAYS):
            day = local_day + timedelta(days=offset)
            if day in self.holidays:
                continue
            for opens, closes in self.week.get(day.weekday(), ()):
                begin = _instant(day, opens, self.zone)
                end = _instant(day, closes, self.zone) if closes != time(0) else _instant(
                    day + timedelta(days=1), time(0), self.zone)
                if end <= start:
                    continue
                yield max(begin, start), end
        raise CalendarError(f"no working time within {MAX_DAYS} days of {start.isoformat()}")

    def add(self, start: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `start` (UTC)."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        start = start.astimezone(UTC)
        left = timedelta(hours=hours)
        if not left:
            return start
        for begin, end in self.spans(start):
            if end - begin >= left:
                return begin + left
            left -= end - begin
        raise AssertionError("spans() ends by raising")  # pragma: no cover

    def between(self, start: datetime, end: datetime) -> timedelta:
        """Working time from `start` to `end` (zero if end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        total = timedelta()
        if end <= start:
            return total
        for begin, close in self.spans(start):
            if begin >= end:
                break
            total += min(close, end) - begin
        return total


def add_hours(start: datetime, hours: float, calendar: WorkingCalendar | None) -> datetime:
    """Working hours on a calendar, or plain hours when the policy counts calendar time (None)."""
    if calendar is None:
        return start.astimezone(UTC) + timedelta(hours=hours)
    return calendar.add(start, hours)


def _interval(day: str, span: str) -> tuple[time, time]:
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in span.split("-"))
    except ValueError as exc:
        raise CalendarError(f"{day}: {span!r} is not like 09:00-17:00") from exc
    if closes <= opens and closes != time(0):
        raise CalendarError(f"{day}: {span!r} closes before it opens")
    return opens, closes


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall time as UTC (PEP 495 fold=0: a time skipped by DST moves forward by the gap, a repeated
    one is its first instance)."""
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
