"""The management dashboard: drill-down by level, the minimum-count guard, CSV of every table."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from intake import services
from intake.models import Role
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in


@pytest.fixture
def month(session, clock):
    """Six water complaints in Northbank (four answered within an hour), two in Central, one road complaint."""
    from intake.actors import Actor
    from intake.models import ActorType

    officer = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, name="Officer")
    for i in range(6):
        grievance = builders.grievance(session, now=START - timedelta(days=i), phone=f"+97798120040{i:02d}",
                                       text=f"No water in Northbank ward {i}")
        if i < 4:
            services.acknowledge(session, grievance=grievance, actor=officer, now=START - timedelta(days=i, hours=-1))
    for i in range(2):
        builders.grievance(session, now=START, phone=f"+97798120041{i:02d}", admin_area="RV-C",
                           text=f"No water in Central ward {i}")
    builders.grievance(session, now=START, phone="+9779812004200", category="roads", text="Pothole in Northbank")
    session.commit()
    clock.now = START + timedelta(days=1)


def table_rows(page, section: str) -> dict[str, list[str]]:
    block = page.text.split(f'id="{section}"')[1].split("</section>")[0]
    rows = {}
    for row in re.findall(r"<tr>\s*(.*?)</tr>", block, re.S):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        if cells:
            rows[cells[0]] = cells[1:]
    return rows


def test_the_province_drills_down_to_districts_and_then_offices(browser, session, month):
    builders.staff(session, username="rv.manager2", role=Role.MANAGER, office="RV", now=START)
    sign_in(browser, "rv.manager2")
    province = browser.get("/staff/dashboard")
    assert province.status_code == 200
    districts = table_rows(province, "offices")
    assert "Integrity complaints are left out" in province.text  # a manager does not see them, and is told
    assert "still waiting in triage count too" in province.text  # the province's manager places them
    assert districts["Northbank District Administration Office"][0] == "7"
    assert districts["Central District Administration Office"][0] == "2"
    assert "/staff/dashboard?office=RV-N&amp;" in province.text
    district = browser.get("/staff/dashboard?office=RV-N")
    offices = table_rows(district, "offices")
    assert offices["Northbank Water Utility Branch"][0] == "6"
    water = offices["Northbank Water Utility Branch"]
    assert water[4] == "1.0 h"  # six grievances, four answered in an hour: published
    assert "—" in offices["Northbank Roads and Public Works Division"][4]  # one grievance: counts only, no times
    assert 'aria-label="Received per week: 0, 0, 0, 0, 0, 0, 5, 1"' in district.text  # the water office's trend
    assert 'href="/staff/dashboard?office=RV&amp;' in district.text  # back up the tree


def test_every_table_downloads_as_csv_with_the_same_figures(browser, session, month):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "north.head")
    for table in ("offices", "categories", "channels", "areas", "weeks"):
        answer = browser.get(f"/staff/dashboard.csv?table={table}")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"]
        rows = list(csv.DictReader(io.StringIO(answer.text)))
        assert rows, table
    offices = {r["code"]: r for r in csv.DictReader(io.StringIO(browser.get("/staff/dashboard.csv").text))}
    assert offices["RV-N-WATER"]["received"] == "6" and offices["RV-N-WATER"]["published"] == "True"
    assert offices["RV-N-WATER"]["within_deadline_share"] != ""
    assert offices["RV-N-WATER"]["received_per_week"] == "0;0;0;0;0;0;5;1"  # oldest week first
    categories = {r["code"]: r for r in csv.DictReader(io.StringIO(
        browser.get("/staff/dashboard.csv?table=categories").text))}
    assert categories["water"]["open"] == "6" and categories["roads"]["open"] == "1"  # open work by category too
    areas = {r["code"]: r for r in csv.DictReader(io.StringIO(browser.get("/staff/dashboard.csv?table=areas").text))}
    assert areas["RV-N"]["received"] == "7" and areas["RV-N"]["open"] == "7"
    assert offices["RV-N-ROADS"]["silence_median_hours"] == ""  # below the minimum count
    assert sum(int(r["received"]) for r in csv.DictReader(io.StringIO(
        browser.get("/staff/dashboard.csv?table=weeks").text))) == 7
    assert browser.get("/staff/dashboard.csv?table=secrets").status_code == 422


def test_an_office_outside_ones_tree_is_not_found(browser, session, month):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "north.head")
    assert browser.get("/staff/dashboard?office=RV-C").status_code == 404
    assert browser.get("/staff/dashboard?office=RV").status_code == 404  # above them, too
    assert browser.get("/staff/dashboard?weeks=0").status_code == 422
