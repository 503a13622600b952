"""The weekly complaint meeting: the pack's sections, action items carried week to week, the CLI file."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from dashboards.models import ActionItem, ActionStatus
from escalation import sweep
from escalation.models import Deadline, DeadlineKind
from intake.models import Grievance, Role, StaffSession
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

WEEK = "2026-W47"  # START is Monday 16 November 2026
NEXT_WEEK = "2026-W48"


@pytest.fixture
def week(session, session_factory):
    """A burst main reported three times, a pothole, and deadlines left to pass and escalate."""
    for i, text in enumerate(["Water main burst near the Northbank temple, road flooded",
                              "The water main has burst by the temple in Northbank, water everywhere",
                              "Burst water main at Northbank temple, no water in taps"]):
        builders.grievance(session, now=START + timedelta(hours=i), phone=f"+97798120050{i:02d}", text=text)
    builders.grievance(session, now=START, phone="+9779812005100", category="roads", text="Pothole in Northbank")
    session.commit()
    sweep.run(session_factory, now=START + timedelta(days=3))  # the week's deadlines pass and climb


def csrf(session) -> str:
    return session.scalar(select(StaffSession.csrf_token).where(StaffSession.ended_at.is_(None))
                          .order_by(StaffSession.created_at.desc()))


def section(page, name: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text.split(f'id="{name}"')[1].split("</section>")[0]))


def test_the_pack_says_what_came_in_who_was_silent_and_what_escalated(browser, session, clock, week):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    clock.now = START + timedelta(days=7)
    sign_in(browser, "north.head")
    page = browser.get(f"/staff/meeting?week={WEEK}")
    assert page.status_code == 200
    came_in = section(page, "came-in")
    assert "4 grievances this week" in came_in and "Water supply 3" in came_in
    assert "3 × Water supply in RV-N" in came_in and "burst" in came_in and "temple" in came_in
    silent = section(page, "silent")
    assert "Northbank Water Utility Branch 3 3" in silent  # three first responses missed, none answered
    escalated = section(page, "escalated")
    numbers = session.scalars(select(Grievance.tracking_number)).all()
    assert all(f"{number} 1 " in escalated for number in numbers)  # each climbed to level 1 this week
    assert "first response" in escalated
    assert browser.get("/staff/meeting?week=2026-W99").status_code == 422


def test_decisions_are_tracked_into_the_next_weeks_pack_until_closed(browser, session, clock, week):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    clock.now = START + timedelta(days=7)  # the Monday meeting about week 47
    sign_in(browser, "north.head")
    recorded = browser.post("/staff/meeting/actions", data={
        "csrf_token": csrf(session), "office": "RV-N", "week": WEEK, "owner": "RV-N-WATER",
        "text": "Replace the main at the temple and tell the three complainants", "due_on": "2026-11-27"})
    assert recorded.status_code == 303
    assert "Replace the main" in section(browser.get(f"/staff/meeting?week={WEEK}"), "decided")

    clock.now = START + timedelta(days=14)
    sign_in(browser, "north.head")
    carried = section(browser.get(f"/staff/meeting?week={NEXT_WEEK}"), "carried")
    assert "Replace the main" in carried and "open" in carried
    item = session.scalar(select(ActionItem))
    closed = browser.post(f"/staff/meeting/actions/{item.id}", data={
        "csrf_token": csrf(session), "office": "RV-N", "week": NEXT_WEEK, "status": "done", "note": "Main replaced"})
    assert closed.status_code == 303
    session.expire_all()
    assert session.get(ActionItem, item.id).status is ActionStatus.DONE
    assert "done: Main replaced" in section(browser.get(f"/staff/meeting?week={NEXT_WEEK}"), "carried")
    clock.now = START + timedelta(days=30)
    sign_in(browser, "north.head")
    assert "Replace the main" not in browser.get("/staff/meeting?week=2026-W51").text  # closed long ago: gone


@pytest.mark.parametrize(("fields", "says"), [
    ({"text": "  ", "owner": "RV-N-WATER", "due_on": "2026-12-30"}, "describe the action"),
    ({"text": "Fix it", "owner": "RV-C-WATER", "due_on": "2026-12-30"}, "an office under it"),
    ({"text": "Fix it", "owner": "RV-N-WATER", "due_on": "2020-01-01"}, "from today on"),
    ({"text": "Fix it", "owner": "RV-N-WATER", "due_on": "soon"}, "a date such as"),
])
def test_a_bad_action_item_is_refused_with_a_reason(browser, session, clock, week, fields, says):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "north.head")
    answer = browser.post("/staff/meeting/actions", data={"csrf_token": csrf(session), "office": "RV-N",
                                                          "week": WEEK, **fields})
    assert answer.status_code in (404, 422) and says in answer.text
    assert session.scalar(select(ActionItem)) is None


def test_the_cli_writes_a_self_contained_pack(tmp_path, new_database_url):
    from tests.test_cli import redress

    url = new_database_url()
    redress("init", "--demo", url=url)
    out = tmp_path / "pack.html"
    done = redress("meeting-pack", "--week", WEEK, "--office", "RV-N", "--out", str(out), url=url)
    assert f"written to {out}" in done.stdout
    html = out.read_text(encoding="utf-8")
    assert "<style>" in html and "/staff/static" not in html and "<form" not in html
    assert "Weekly complaint meeting · Northbank District Administration Office" in html
    bad = redress("meeting-pack", "--week", "last week", "--out", str(out), url=url, check=False)
    assert bad.returncode == 1 and "ISO week such as 2026-W47" in bad.stderr


def test_a_week_not_over_counts_only_the_deadlines_already_passed(browser, session, clock):
    """Issue 21's first defect: the current week listed first-response deadlines due in two days as missed."""
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    early = builders.grievance(session, now=START, phone="+9779812005200", text="No water in Northbank ward 2")
    late = builders.grievance(session, now=START + timedelta(days=2), phone="+9779812005201",
                              text="No water in Northbank ward 5 either")
    session.commit()
    clock.now = START + timedelta(days=3)  # Thursday: the first's deadline has passed, the second's has not
    due = dict(session.execute(select(Grievance.tracking_number, Deadline.due_at).join(
        Deadline, Deadline.grievance_id == Grievance.id).where(Deadline.kind == DeadlineKind.FIRST_RESPONSE)).all())
    assert due[early.tracking_number] < clock.now < due[late.tracking_number] < START + timedelta(days=7)
    sign_in(browser, "north.head")
    page = browser.get(f"/staff/meeting?week={WEEK}")
    silent = section(page, "silent")
    assert "Northbank Water Utility Branch 1 1" in silent and early.tracking_number in silent
    assert late.tracking_number not in silent
    assert "so far" in re.sub(r"<[^>]+>", " ", page.text.split('id="silent"')[0])  # the week is labelled so far
    assert "Still unanswered now" in page.text  # not "at week's end": the week has not ended
    clock.now = START + timedelta(days=7)  # once the week is over, both were missed and it no longer says so far
    browser.cookies.clear()
    sign_in(browser, "north.head")  # the session has idled out meanwhile
    page = browser.get(f"/staff/meeting?week={WEEK}")
    assert "Northbank Water Utility Branch 2 2" in section(page, "silent") and "so far" not in page.text


def test_the_category_rows_add_up_to_both_weeks_totals(browser, session, clock):
    """Issue 21: the pack's 'week before' total was 10 while its rows added to 5 (categories only last week were
    left out)."""
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    builders.grievance(session, now=START - timedelta(days=3), phone="+9779812005300", category="roads",
                       text="Pothole on the Northbank school road")
    builders.grievance(session, now=START - timedelta(days=2), phone="+9779812005301", category="health",
                       text="No doctor at the Northbank clinic")
    builders.grievance(session, now=START + timedelta(hours=2), phone="+9779812005302",
                       text="No water in Northbank ward 4")
    session.commit()
    clock.now = START + timedelta(days=7)
    sign_in(browser, "north.head")
    came_in = section(browser.get(f"/staff/meeting?week={WEEK}"), "came-in")
    assert "1 grievance this week (2 the week before)" in came_in
    assert "Water supply 1 0" in came_in and "Roads and public works 0 1" in came_in and "Health clinics 0 1" in came_in
