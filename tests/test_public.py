"""The public responsiveness pages and the open data: real figures, none below the minimum count, in every
shipped language without sign-in; and an anonymisation test over every public page, export and Open311 answer."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from escalation.services import sync
from intake import services
from intake.actors import Actor
from intake.models import ActorType, Role
from tests import builders

MARKERS = ("Bishnu Maya Tamang", "+9779817770001", "9817770001", "secret-canal-dumping", "bribe-of-5000",
           "Anonymous-Andheri")


@pytest.fixture
def world(session, clock):
    """Seven answered water grievances in Northbank (above the minimum count) and a few that must stay private."""
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, name="Officer")

    for n in range(7):
        grievance = builders.grievance(session, now=clock.now - timedelta(days=3, hours=n), phone=None,
                                       text=f"No water in Northbank ward {n}", commit=False)
        answered = clock.now - timedelta(days=3) + timedelta(hours=2)
        services.acknowledge(session, grievance=grievance, actor=officer, now=answered, note="On our way")
        sync(session, grievance=grievance, now=answered)
    builders.grievance(session, now=clock.now - timedelta(days=1), phone="+9779817770001", name="Bishnu Maya Tamang",
                       text="My neighbour keeps secret-canal-dumping every night", commit=False)
    builders.grievance(session, now=clock.now - timedelta(days=1), phone="+9779817770002", category="corruption",
                       text="The clerk asked for a bribe-of-5000 to register my land", commit=False)
    builders.grievance(session, now=clock.now - timedelta(days=1), phone="+9779817770003", anonymous=True,
                       text="Anonymous-Andheri street has no light", category="electricity", commit=False)
    session.commit()


def test_the_league_table_shows_real_figures_and_withholds_small_counts(client, world):
    page = client.get("/public")
    assert page.status_code == 200 and "<script" not in page.text
    assert "Northbank Water Utility Branch" in page.text and "Offices, most responsive first" in page.text
    water = page.text.split("Northbank Water Utility Branch")[1].split("</tr>")[0]
    assert "100 %" in water and " h<" in water  # answered within the deadline; a wait in hours
    assert "fewer than 5: not shown" in page.text  # an office with one grievance


def test_the_pages_speak_every_shipped_language(client, world):
    nepali = client.get("/public", params={"lang": "ne"})
    assert 'lang="ne"' in nepali.text and "हाम्रा कार्यालयहरू कति छिटो जवाफ दिन्छन्?" in nepali.text
    detail = client.get("/public/offices/RV-N-WATER", params={"lang": "ne"})
    assert detail.status_code == 200 and "महिना अनुसार" in detail.text
    assert client.get("/public/categories/water").status_code == 200
    assert client.get("/public/offices/NOWHERE").status_code == 404


def test_open_data_files_match_the_page(client, world):
    offices = list(csv.DictReader(io.StringIO(client.get("/open-data/offices.csv").text)))
    water = next(row for row in offices if row["code"] == "RV-N-WATER")
    assert water["published"] == "True" and float(water["within_deadline_share"]) == 1.0
    small = [row for row in offices if row["published"] == "False"]
    assert small and all(row["silence_median_hours"] == "" for row in small)
    as_json = client.get("/open-data/categories.json").json()
    assert as_json["min_count"] == 5 and any(row["code"] == "water" for row in as_json["rows"])
    feed = client.get("/open-data/grievances.json").json()["rows"]
    assert feed and set(feed[0]) == {"reference", "received_on", "category", "office", "channel", "area", "status",
                                     "first_response_hours", "resolution_hours", "escalated"}
    assert all(row["area"] is None or row["area"].count("-") <= 1 for row in feed)
    assert client.get("/open-data/people.csv").status_code == 404
    assert client.get("/open-data/offices.csv", params={"days": 0}).status_code == 422


def test_no_phone_name_or_private_text_appears_in_any_public_page_or_export(client, world):
    urls = ["/public", "/public?lang=ne", "/public/offices/RV-N-WATER", "/public/offices/RV-N-POWER",
            "/public/offices/RV-OIU", "/public/categories/corruption", "/public/categories/water"]
    urls += [f"/open-data/{table}.{fmt}" for table in ("offices", "categories", "grievances")
             for fmt in ("csv", "json")]
    urls += [f"/open311/v2/requests.{fmt}" for fmt in ("json", "xml")]
    for url in urls:
        text = client.get(url).text
        for marker in MARKERS:
            assert marker not in text, (url, marker)
    feed = client.get("/open-data/grievances.json").json()["rows"]
    assert not any(row["category"] == "corruption" for row in feed)  # integrity grievances are left out


def test_public_pages_need_no_sign_in_and_survive_no_data(client):
    assert client.get("/public").status_code == 200
    assert client.get("/open-data/offices.csv").status_code == 200



def test_the_front_door_and_the_open_data_folder_answer_a_browser(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/complain"
    folder = client.get("/open-data/")
    assert folder.status_code == 200 and 'href="/open-data/offices.csv"' in folder.text
    assert 'href="/open-data/grievances.json"' in folder.text
