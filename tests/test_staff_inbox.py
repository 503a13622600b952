"""The office inbox: only the office's own work (heads: their subtree), nearest deadline first, filters."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from escalation.models import Deadline
from intake.models import Grievance, Role
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in


def listed(page) -> list[str]:
    return re.findall(r'href="/staff/grievances/([^"]+)"', page.text)


@pytest.fixture
def work(session, clock):
    """Water complaints in Northbank and Central, and a road complaint in Northbank."""
    north = builders.grievance(session, now=START, phone="+9779812001001", text="No water in Northbank ward 3")
    later = builders.grievance(session, now=START + timedelta(hours=3), phone="+9779812001002",
                               text="Pipe burst near the Northbank school")
    central = builders.grievance(session, now=START, phone="+9779812001003", admin_area="RV-C",
                                 text="No water in Central ward 1")
    road = builders.grievance(session, now=START, phone="+9779812001004", category="roads",
                              text="Pothole on the Northbank main road")
    return {"north": north.tracking_number, "later": later.tracking_number,
            "central": central.tracking_number, "road": road.tracking_number}


def test_an_officer_sees_only_the_offices_own_grievances_nearest_deadline_first(browser, session, work):
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    page = browser.get("/staff/inbox")
    assert page.status_code == 200
    assert listed(page) == [work["north"], work["later"]]
    assert work["central"] not in page.text and work["road"] not in page.text
    assert "2 grievances" in page.text


def test_a_head_sees_the_subtree_and_can_filter_by_office_and_category(browser, session, work):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "north.head")
    assert set(listed(browser.get("/staff/inbox"))) == {work["north"], work["later"], work["road"]}
    assert listed(browser.get("/staff/inbox?category=roads")) == [work["road"]]
    assert listed(browser.get("/staff/inbox?office=RV-N-WATER")) == [work["north"], work["later"]]
    assert listed(browser.get("/staff/inbox?office=RV-C-WATER")) == []  # not theirs: nothing, not an error


def test_search_and_overdue(browser, session, clock, work):
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    assert listed(browser.get("/staff/inbox", params={"q": "school"})) == [work["later"]]
    assert listed(browser.get("/staff/inbox", params={"q": work["north"].lower()})) == [work["north"]]
    assert listed(browser.get("/staff/inbox", params={"q": "100%_"})) == []
    assert listed(browser.get("/staff/inbox?overdue=1")) == []
    first, second = (nearest_due(session, work[name]) for name in ("north", "later"))
    assert first < second
    clock.now = first  # the first one's nearest deadline has come; the second's has not
    sign_in(browser, "water.officer")  # hours later: the session has timed out
    page = browser.get("/staff/inbox?overdue=1")
    assert listed(page) == [work["north"]] and "overdue" in page.text


def nearest_due(session, number):
    return session.scalar(select(func.min(Deadline.due_at)).join(Grievance, Grievance.id == Deadline.grievance_id)
                          .where(Grievance.tracking_number == number))


@pytest.mark.parametrize("query", ["page=-5", "page=abc", "status=nonsense", "overdue=maybe", "q=" + "x" * 5000])
def test_odd_filters_get_an_answer_not_a_crash(browser, session, work, query):
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    assert browser.get(f"/staff/inbox?{query}").status_code in (200, 422)


@pytest.mark.parametrize("small", [2000, 0], ids=["sorted-here", "walked-in-due-order"])
def test_pages_hold_each_grievance_once_in_deadline_order(browser, session, clock, monkeypatch, small):
    """Sixty grievances, each with several running clocks: two pages, no repeats, nearest first, whichever
    way the inbox reads them (a big scope walks the running deadlines in due order)."""
    monkeypatch.setattr("dashboards.queries.SMALL", small)
    for i in range(60):
        builders.grievance(session, now=START + timedelta(minutes=7 * i), phone=f"+97798120090{i:02d}",
                           text=f"No water at house {i} in Northbank", commit=False)
    session.commit()
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    first, second = listed(browser.get("/staff/inbox")), listed(browser.get("/staff/inbox?page=2"))
    assert len(first) == 50 and len(second) == 10 and not set(first) & set(second)
    ordered = [nearest_due(session, number) for number in first + second]
    assert ordered == sorted(ordered)
    clock.now = ordered[9]  # the ten nearest have come due
    sign_in(browser, "water.officer")
    overdue = listed(browser.get("/staff/inbox?overdue=1"))
    assert overdue == (first + second)[:len(overdue)] and len(overdue) >= 10
    assert all(nearest_due(session, number) <= clock.now for number in overdue)


def test_a_page_far_past_the_end_is_bounded_and_empty(browser, session, work):
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    page = browser.get("/staff/inbox?page=99999999")
    assert page.status_code == 200 and listed(page) == [] and "2 grievances" in page.text


def test_a_count_past_the_last_page_says_more_than(browser, session, monkeypatch, work):
    """Counting stops at the cap: the heading says "more than", and paging goes on to the last page."""
    monkeypatch.setattr("dashboards.queries.PAGE", 1)
    monkeypatch.setattr("dashboards.queries.SMALL", 1)
    builders.staff(session, username="water.officer", office="RV-N-WATER", now=START)
    sign_in(browser, "water.officer")
    page = browser.get("/staff/inbox")
    assert page.status_code == 200 and "more than 1 grievances" in page.text and len(listed(page)) == 1
    assert ">Next<" in page.text
    second = browser.get("/staff/inbox?page=2")
    assert len(listed(second)) == 1 and listed(second) != listed(page)
    monkeypatch.setattr("dashboards.queries.MAX_PAGE", 2)
    assert ">Next<" not in browser.get("/staff/inbox?page=2").text  # the last page there is
