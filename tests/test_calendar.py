"""Business-hours arithmetic as pure functions: weekends, holidays, DST, year ends, different timezones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.calendar import CalendarError, WorkingCalendar, add_hours

KATHMANDU = WorkingCalendar.parse(timezone="Asia/Kathmandu", week={
    "sun": ["10:00-17:00"], "mon": ["10:00-17:00"], "tue": ["10:00-17:00"], "wed": ["10:00-17:00"],
    "thu": ["10:00-17:00"], "fri": ["10:00-15:00"]}, holidays=[date(2026, 12, 25)])
BERLIN = WorkingCalendar.parse(timezone="Europe/Berlin", week={
    day: ["08:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=[date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)])
NEW_YORK = WorkingCalendar.parse(timezone="America/New_York", week={
    day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")})
CALENDARS = [KATHMANDU, BERLIN, NEW_YORK]


def local(calendar: WorkingCalendar, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(calendar.timezone))


@pytest.mark.parametrize(("calendar", "start", "hours", "expected"), [
    (KATHMANDU, (2026, 11, 16, 11, 0), 2, (2026, 11, 16, 13, 0)),  # Monday, within the day
    (KATHMANDU, (2026, 11, 20, 14, 0), 3, (2026, 11, 22, 12, 0)),  # Friday closes at 15:00, Saturday off
    (KATHMANDU, (2026, 11, 21, 9, 0), 1, (2026, 11, 22, 11, 0)),  # asked on Saturday
    (KATHMANDU, (2026, 12, 24, 16, 0), 2, (2026, 12, 27, 11, 0)),  # Thursday, Christmas holiday, Saturday
    (KATHMANDU, (2026, 11, 16, 18, 0), 0, (2026, 11, 16, 18, 0)),  # nothing to add
    (BERLIN, (2026, 11, 16, 11, 0), 2, (2026, 11, 16, 14, 0)),  # the lunch break does not count
    (BERLIN, (2026, 12, 24, 15, 0), 4, (2026, 12, 28, 10, 0)),  # two holidays and a weekend
    (BERLIN, (2026, 12, 31, 16, 0), 3, (2027, 1, 4, 10, 0)),  # across the year end and New Year's Day
    (BERLIN, (2026, 3, 27, 16, 0), 2, (2026, 3, 30, 9, 0)),  # the weekend of the spring DST change
    (NEW_YORK, (2026, 10, 30, 16, 0), 2, (2026, 11, 2, 10, 0)),  # the weekend of the autumn DST change
], ids=["same-day", "friday-short", "saturday", "holiday", "zero", "lunch", "christmas", "year-end",
        "dst-spring", "dst-autumn"])
def test_known_deadlines(calendar, start, hours, expected):
    assert calendar.add(local(calendar, *start), hours) == local(calendar, *expected).astimezone(UTC)


def test_the_same_instant_gets_different_deadlines_in_different_timezones():
    instant = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # Friday: 14:45 in Kathmandu, 10:00 in Berlin
    assert KATHMANDU.add(instant, 1) == local(KATHMANDU, 2026, 11, 22, 10, 45).astimezone(UTC)
    assert BERLIN.add(instant, 1) == local(BERLIN, 2026, 11, 20, 11, 0).astimezone(UTC)


def test_a_dst_day_counts_the_hours_that_really_pass():
    """A 24/7 office on the night Europe springs forward: 02:00-03:00 does not exist."""
    always = WorkingCalendar.parse(timezone="Europe/Berlin", week={day: ["00:00-00:00"] for day in
                                                                   ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    start = local(always, 2026, 3, 29, 0, 0)
    assert always.add(start, 24) == local(always, 2026, 3, 30, 1, 0).astimezone(UTC)
    assert always.between(start, local(always, 2026, 3, 30, 0, 0)) == timedelta(hours=23)


def test_calendar_hours_ignore_the_schedule():
    start = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
    assert add_hours(start, 30, None) == start + timedelta(hours=30)
    assert add_hours(start, 1, KATHMANDU) == KATHMANDU.add(start, 1)


@pytest.mark.parametrize(("week", "says"), [
    ({"mon": ["9-17"]}, "not like 09:00-17:00"),
    ({"mon": ["17:00-09:00"]}, "closes before it opens"),
    ({"mon": ["09:00-13:00", "12:00-17:00"]}, "overlap"),
    ({"funday": ["09:00-17:00"]}, "unknown day"),
    ({"mon": "09:00-17:00"}, "as a list"),
    ({}, "some working hours"),
], ids=["format", "backwards", "overlap", "day", "string", "empty"])
def test_bad_schedules_are_refused(week, says):
    with pytest.raises(CalendarError, match=says):
        WorkingCalendar.parse(timezone="UTC", week=week)


def test_unknown_timezone_is_refused():
    with pytest.raises(CalendarError, match="unknown timezone"):
        WorkingCalendar.parse(timezone="Mars/Olympus", week={"mon": ["09:00-17:00"]})


instants = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31),
                        timezones=st.just(UTC))
hours = st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda h: round(h, 3))


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CALENDARS), instants, hours, hours)
def test_adding_in_two_steps_is_adding_once(calendar, start, first, second):
    assert calendar.add(calendar.add(start, first), second) == calendar.add(start, first + second)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CALENDARS), instants, hours)
def test_between_undoes_add(calendar, start, amount):
    due = calendar.add(start, amount)
    assert due >= start
    assert abs(calendar.between(start, due) - timedelta(hours=amount)) < timedelta(microseconds=10)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(CALENDARS), instants, st.floats(min_value=0.01, max_value=400, allow_nan=False))
def test_a_deadline_falls_in_working_time_and_never_on_a_holiday(calendar, start, amount):
    due = calendar.add(start, amount).astimezone(calendar.zone)
    assert due.date() not in calendar.holidays
    intervals = calendar.week.get(due.weekday(), ())
    moment = due.time()
    assert any(opens < moment <= closes for opens, closes in intervals), (due, intervals)
