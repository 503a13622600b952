"""Times people can read: one format per language that names its zone, and one deadline reading the same on the
citizen's tracking page and the staff pages."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
from sqlalchemy import select

from core import times
from core.segments import segments
from escalation.models import Deadline, DeadlineKind
from intake.models import Grievance, Role
from tests import builders
from tests.conftest import START
from tests.test_portal_tracking import filed
from tests.test_staff_grievance_page import act
from tests.test_staff_signin import sign_in

MOMENT = datetime(2026, 12, 9, 11, 15, tzinfo=UTC)  # a Wednesday: 17:00 in Kathmandu


@pytest.mark.parametrize(("zone", "language", "expected"), [
    ("Asia/Kathmandu", "en", "Wed 9 Dec 2026, 17:00 Nepal Time"),
    ("Asia/Kathmandu", "ne", "बुध 9 डिसेम्बर 2026, 17:00 नेपाली समय"),  # babel keeps Latin digits for 'ne'
    ("UTC", "en", "Wed 9 Dec 2026, 11:15 Coordinated Universal Time"),
    ("America/New_York", "en", "Wed 9 Dec 2026, 06:15 Eastern Standard Time"),
    ("Asia/Kolkata", "en", "Wed 9 Dec 2026, 16:45 India Standard Time"),
], ids=["kathmandu-en", "kathmandu-ne", "utc", "new-york", "kolkata"])
def test_a_moment_on_a_page_names_its_zone_in_the_readers_language(zone, language, expected):
    assert times.shown(MOMENT, zone=zone, language=language) == expected


@pytest.mark.parametrize(("zone", "language", "expected"), [
    ("Asia/Kathmandu", "en", "9 Dec 17:00 +0545"),
    ("Asia/Kathmandu", "ne", "9 डिसेम्बर 17:00 +0545"),
    ("UTC", "en", "9 Dec 11:15 UTC"),
    ("America/New_York", "en", "9 Dec 06:15 EST"),
], ids=["kathmandu-en", "kathmandu-ne", "utc", "new-york"])
def test_a_moment_in_an_sms_is_short_and_still_names_its_zone(zone, language, expected):
    assert times.brief(MOMENT, zone=zone, language=language) == expected


def test_days_files_and_naive_times():
    assert times.shown_day(date(2026, 12, 9), language="en") == "Wed 9 Dec 2026"
    assert times.shown_day(date(2026, 12, 9), language="ne") == "बुध 9 डिसेम्बर 2026"
    assert times.brief_day(date(2026, 12, 9), language="en") == "9 Dec"
    assert times.iso(MOMENT.replace(microsecond=5)) == "2026-12-09T11:15:00+00:00"
    with pytest.raises(ValueError, match="naive"):
        times.shown(MOMENT.replace(tzinfo=None), zone="UTC", language="en")  # would read as the server's zone
    with pytest.raises(ValueError, match="naive"):
        times.iso(MOMENT.replace(tzinfo=None))


def test_the_sms_that_names_a_deadline_stays_in_one_segment():
    text = f"K7MQ-4QXD: the office has until {times.brief(MOMENT, zone='Asia/Kathmandu', language='en')} to " \
           "answer. You can send ESCALATE after that."
    assert segments(text) == 1


def test_one_deadline_reads_the_same_on_the_tracking_page_and_the_staff_pages(browser, session):
    """The issue: '09 Dec 2026, 17:00' on /track, 'Wed 09 Dec 22:45' in the inbox, and no page said the zone."""
    number, secret = filed(browser)  # water in Northbank: the Northbank water office, in Kathmandu
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    assert act(browser, session, number, "acknowledge").status_code == 303  # taken up: resolution is next due
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    due = session.scalar(select(Deadline.due_at).where(Deadline.grievance_id == grievance.id,
                                                       Deadline.kind == DeadlineKind.RESOLUTION))
    expected = times.shown(due, zone="Asia/Kathmandu", language="en")
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2} Nepal Time", expected), expected

    tracked = unescape(browser.post("/track", data={"tracking_number": number, "secret": secret}).text)
    inbox = unescape(browser.get("/staff/inbox").text)
    page = unescape(browser.get(f"/staff/grievances/{number}").text)
    assert re.search(rf"Expected resolution by</dt><dd>{expected}<", tracked)
    assert re.search(rf"{expected} <span class=\"hint\">resolution", inbox)
    assert expected in page
    nepali = unescape(browser.post("/track", data={"tracking_number": number, "secret": secret,
                                                   "language": "ne"}).text)
    assert times.shown(due, zone="Asia/Kathmandu", language="ne") in nepali and "नेपाली समय" in nepali


STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def stamps(value: object) -> list[str]:
    """Every string in a JSON document that holds a date and time."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in stamps(v)]
    if isinstance(value, list):
        return [s for v in value for s in stamps(v)]
    return [value] if isinstance(value, str) and STAMP.match(value) else []


def test_the_api_and_the_audit_file_give_every_time_with_its_offset(client, browser, session, clock):
    headers = builders.auth(builders.api_key(session, office="RV", now=clock.now))
    created = client.post("/api/v1/grievances", headers=headers, json={
        "text": "Water pipe burst near the school", "phone": "9812345678", "category": "water", "admin_area": "RV-N"})
    number = created.json()["tracking_number"]
    clock.advance(hours=2)
    for action in ({"action": "acknowledge"}, {"action": "resolve", "note": "Pipe replaced"}):
        assert client.post(f"/api/v1/grievances/{number}/actions", json=action, headers=headers).status_code == 200
    found = []
    for url in (f"/api/v1/grievances/{number}", "/api/v1/grievances", "/api/v1/kpi", "/api/v1/kpi/silence",
                "/api/v1/routing/models", "/api/v1/routing/transfer-latency"):
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, (url, answer.text)
        found += stamps(answer.json())
    builders.staff(session, username="the.admin", role=Role.ADMIN, office="RV", now=START)
    sign_in(browser, "the.admin")
    audit = browser.get("/staff/admin/audit.csv").text.splitlines()[1:]
    found += [line.split(",")[0] for line in audit]
    assert len(found) > 10 and audit
    naive = [s for s in found if not re.search(r"(Z|[+-]\d{2}:\d{2})$", s)]
    assert not naive, naive


def test_the_office_is_warned_of_a_deadline_in_its_own_zone_named(session, session_factory):
    from core.outbox import OutboxMessage
    from escalation import sweep

    grievance = builders.grievance(session, now=START)
    due = session.scalar(select(Deadline).where(Deadline.grievance_id == grievance.id,
                                                Deadline.kind == DeadlineKind.FIRST_RESPONSE))
    sweep.run(session_factory, now=due.warn_at)
    [warning] = session.scalars(select(OutboxMessage.body).where(OutboxMessage.purpose == "deadline_warning",
                                                                 OutboxMessage.body.contains("first response"))).all()
    assert warning == (f"{grievance.tracking_number}: the first response deadline is "
                       f"{times.shown(due.due_at, zone='Asia/Kathmandu', language='en')}.")
    assert warning.endswith("Nepal Time.")
