"""The administration pages as an administrator and a manager use them: the directory edited through the same
checks as a file, staff accounts, API keys, versions and the audit."""

from __future__ import annotations

import csv
import io
import re
import tomllib

import pytest
from sqlalchemy import select

from core.audit import AuditEntry
from directory.document import parse
from directory.export import live, to_document
from directory.format import DirectoryError
from directory.models import DirectoryVersion
from escalation.services import sync
from intake.models import ApiKey, Office, Role, StaffUser
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


@pytest.fixture
def admin(browser, session):
    builders.staff(session, username="page.admin", role=Role.ADMIN, office="RV", now=START)
    assert sign_in(browser, "page.admin").status_code == 303
    return browser


def save(client, section: str, fields: dict, *, key: str = "", page: str | None = None):
    page = page or client.get(f"/staff/admin/{section}/new").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return client.post(f"/staff/admin/{section}/save",
                       data={"csrf_token": csrf(page), "key": key, "version": version, **fields})


NEW_OFFICE = {"code": "RV-PARKS", "name": "Parks Office", "translations.ne": "पार्क कार्यालय", "level": "office",
              "parent": "RV", "jurisdiction": "RV-N, RV-C", "timezone": "Asia/Kathmandu"}


def test_an_administrator_adds_an_office_as_a_new_version_with_its_audit(admin, session):
    answer = save(admin, "offices", NEW_OFFICE | {"categories": ["land"], "jurisdiction": "RV"})
    assert answer.status_code == 422
    assert "area RV: covered by 2 offices for land: RV-LAND, RV-PARKS" in answer.text
    answer = save(admin, "offices", NEW_OFFICE)
    assert answer.status_code == 303, answer.text[:500]
    version = session.scalar(select(DirectoryVersion).order_by(DirectoryVersion.id.desc()))
    assert answer.headers["location"] == f"/staff/admin/offices?done={version.id}"
    assert version.actor == "page.admin" and version.source == "admin page: new office"
    listing = admin.get(answer.headers["location"]).text
    assert f"Saved as directory version {version.id}: 1 added, 0 changed, 0 retired." in listing
    assert "RV-PARKS" in listing and "Parks Office" in listing
    office = session.scalar(select(Office).where(Office.code == "RV-PARKS"))
    assert office.parent.code == "RV" and office.jurisdiction == ["RV-N", "RV-C"]
    assert office.translations == {"ne": "पार्क कार्यालय"}
    entry = session.scalar(select(AuditEntry).where(AuditEntry.version == version.id))
    assert (entry.actor, entry.action, entry.subject) == ("page.admin", "office.add", "office RV-PARKS")


def test_the_same_mistake_gets_the_same_message_on_a_page_and_in_a_file(admin, session):
    key = '["water", ""]'
    page = admin.get("/staff/admin/sla/edit", params={"key": key}).text
    assert 'value="8.0"' in page
    fields = {"first_response_hours": "-8", "resolution_hours": "40", "escalation_hours": "8", "basis": "business",
              "warn_fraction": "0.2", "transfer_hours": "4"}
    answer = save(admin, "sla", fields, key=key, page=page)
    assert answer.status_code == 422
    document = to_document(live(session))
    water = next(s for s in document["sla"] if s.get("category") == "water" and not s.get("office"))
    water["first_response_hours"] = -8
    with pytest.raises(DirectoryError) as in_a_file:
        parse(document)
    message = str(in_a_file.value.problems[0])
    assert message == "sla water/*: 'first_response_hours' must be a number above 0 to 8784"
    assert message.replace("'", "&#39;") in answer.text
    assert "Nothing was saved" in answer.text
    answer = save(admin, "sla", fields | {"first_response_hours": "six"}, key=key, page=page)
    assert answer.status_code == 422 and "must be a number above 0" in answer.text  # as typed, then checked


def test_retiring_an_office_with_open_work_on_its_page(admin, session):
    grievance = builders.grievance(session, now=START, category="land", admin_area="RV-N", commit=False)
    sync(session, grievance=grievance, now=START)
    session.commit()
    assert grievance.office.code == "RV-LAND"
    key = '["RV-LAND"]'
    page = admin.get("/staff/admin/offices/edit", params={"key": key}).text
    fields = {"name": "Provincial Land Registry", "level": "office", "parent": "RV", "jurisdiction": "RV",
              "timezone": "Asia/Kathmandu", "categories": ["land"], "retired": "yes"}
    answer = save(admin, "offices", fields, key=key, page=page)
    assert answer.status_code == 422
    assert "1 open grievances would be left with it" in answer.text
    assert "category land: no office would receive it any more" in answer.text
    page = admin.get("/staff/admin/offices/edit", params={"key": key}).text
    answer = save(admin, "offices", fields | {"successor": "RV"}, key=key, page=page)
    assert answer.status_code == 422  # RV alone would not receive land complaints
    assert "category land: no office would receive it any more" in answer.text
    answer = save(admin, "offices", fields | {"successor": "RV", "handover": "yes"}, key=key, page=page)
    assert answer.status_code == 303, answer.text[-1500:]
    rv = session.scalar(select(Office).where(Office.code == "RV"))
    session.refresh(rv)
    assert [c.code for c in rv.categories] == ["land"]
    session.expire_all()
    assert grievance.office.code == "RV" and not session.scalar(select(Office.active).where(Office.code == "RV-LAND"))


def test_a_page_opened_before_another_change_does_not_overwrite_it(admin, session):
    stale = admin.get("/staff/admin/areas/edit", params={"key": '["RV-S"]'}).text
    fresh = admin.get("/staff/admin/areas/edit", params={"key": '["RV-S"]'}).text
    assert save(admin, "areas", {"names": "Southvale\nSouth vale"}, key='["RV-S"]', page=fresh).status_code == 303
    answer = save(admin, "areas", {"names": "Southvale"}, key='["RV-S"]', page=stale)
    assert answer.status_code == 409 and "the directory changed since this page was opened" in answer.text


@pytest.mark.parametrize(("section", "fields", "says"), [
    ("offices", NEW_OFFICE | {"name": "Parks\x00Office"}, "holds a control character"),
    ("offices", NEW_OFFICE | {"parent": "NOPE"}, "unknown parent"),
    ("offices", NEW_OFFICE | {"code": "RV-N"}, "duplicate: office RV-N is already listed"),
    ("calendars", {"code": "X", "name": "X", "timezone": "UTC", "week.mon": "9-5"}, "calendar X: mon"),
    ("calendars", {"code": "X", "name": "X", "timezone": "UTC", "week.mon": "09:00-17:00",
                   "holidays": "Christmas day"}, "holiday &#39;Christmas&#39; is not a date"),
    ("rules", {"name": "r", "pattern": "(", "regex": "yes", "category": "water", "priority": "1"},
     "not a valid regular expression"),
    ("replies", {"language": "en", "title": "t", "text": "Dear {name}"}, "only {tracking} and {office}"),
], ids=["nul", "parent", "duplicate", "week", "holiday", "regex", "placeholder"])
def test_bad_input_on_a_page_is_refused_in_place(admin, session, section, fields, says):
    versions = session.scalar(select(DirectoryVersion.id).order_by(DirectoryVersion.id.desc()).limit(1))
    answer = save(admin, section, fields)
    assert answer.status_code == 422 and says in answer.text, answer.text[-1500:]
    assert session.scalar(select(DirectoryVersion.id).order_by(DirectoryVersion.id.desc()).limit(1)) == versions


@pytest.mark.parametrize("url", ["/staff/admin/unicorns", "/staff/admin/offices/edit?key=%5B%22NOPE%22%5D",
                                 "/staff/admin/offices/edit?key=%7Bbroken", "/staff/admin/sla/edit?key=%5B%22x%22%5D",
                                 "/staff/admin/versions/99999.toml"])
def test_unknown_things_are_not_found(admin, url):
    assert admin.get(url).status_code == 404


def test_a_manager_may_look_but_not_change(browser, session):
    builders.staff(session, username="page.manager", role=Role.MANAGER, office="RV", now=START)
    assert sign_in(browser, "page.manager").status_code == 303
    page = browser.get("/staff/admin/offices/edit", params={"key": '["RV-N"]'})
    assert page.status_code == 200 and "<fieldset disabled>" in page.text and ">Save</button>" not in page.text
    assert save(browser, "offices", NEW_OFFICE, page=page.text).status_code == 403
    assert session.scalar(select(Office).where(Office.code == "RV-PARKS")) is None


def test_staff_accounts_on_their_page(admin, session, browser):
    page = admin.get("/staff/admin/staff").text
    answer = admin.post("/staff/admin/staff", data={"csrf_token": csrf(page), "username": "New.Officer",
                                                    "name": "New Officer", "office": "RV-N-WATER", "role": "officer"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    link = re.search(r'value="(http[^"]+/staff/welcome/[^"]+)"', answer.text).group(1)
    assert "Account new.officer created" in answer.text
    assert admin.get(link.split("testserver")[-1] if "testserver" in link else "/staff/welcome/" +
                     link.rsplit("/", 1)[1]).status_code == 200
    again = admin.post("/staff/admin/staff", data={"csrf_token": csrf(page), "username": "NEW.officer",
                                                   "name": "Twin", "office": "RV-N-WATER", "role": "officer"})
    assert again.status_code == 409 and "already a staff account new.officer" in again.text
    assert 'value="NEW.officer"' in again.text  # what was typed is kept
    moved = admin.post("/staff/admin/staff/new.officer/role", data={"csrf_token": csrf(page), "role": "office_head",
                                                                    "office": "RV-N"})
    assert moved.status_code == 303
    assert admin.post("/staff/admin/staff/new.officer/disable", data={"csrf_token": csrf(page)}).status_code == 303
    user = session.scalar(select(StaffUser).where(StaffUser.username == "new.officer"))
    session.refresh(user)
    assert (user.role, user.office.code, user.active) == (Role.OFFICE_HEAD, "RV-N", False)
    last = admin.post("/staff/admin/staff/page.admin/disable", data={"csrf_token": csrf(page)})
    assert last.status_code == 409 and "page.admin is the last active administrator" in last.text
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.subject == "staff new.officer")
                              .order_by(AuditEntry.id)).all()
    assert actions == ["staff.create", "staff.set_role", "staff.disable"]


def test_api_keys_on_their_page(admin, session, client):
    page = admin.get("/staff/admin/keys").text
    answer = admin.post("/staff/admin/keys", data={"csrf_token": csrf(page), "name": "partner app", "office": "RV-N",
                                                   "role": "officer", "owner": "page.admin"})
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    secret = re.search(r'value="(rk_[^"]+)"', answer.text).group(1)
    assert client.get("/api/v1/grievances", headers=builders.auth(secret)).status_code == 200
    assert secret not in admin.get("/staff/admin/keys").text  # shown once
    key_id = session.scalar(select(ApiKey.id).where(ApiKey.name == "partner app"))
    assert admin.post(f"/staff/admin/keys/{key_id}/revoke", data={"csrf_token": csrf(page)}).status_code == 303
    assert client.get("/api/v1/grievances", headers=builders.auth(secret)).status_code == 401


def test_versions_download_and_the_audit_with_its_csv(admin, session):
    save(admin, "offices", NEW_OFFICE | {"name": "=HYPERLINK(\"http://x\")"})
    version = session.scalar(select(DirectoryVersion).order_by(DirectoryVersion.id.desc()))
    listing = admin.get("/staff/admin/versions").text
    assert f"directory-v{version.id}.toml" in listing and "page.admin" in listing
    download = admin.get(f"/staff/admin/versions/{version.id}.toml")
    assert download.headers["content-disposition"] == f'attachment; filename="directory-v{version.id}.toml"'
    assert any(o["code"] == "RV-PARKS" for o in tomllib.loads(download.text)["offices"])
    audit = admin.get("/staff/admin/audit", params={"action": "office.", "subject": "RV-PARKS"}).text
    assert "<td>office.add" in audit and "<td>office RV-PARKS</td>" in audit and "<td>sign_in" not in audit
    signins = admin.get("/staff/admin/audit", params={"action": "sign_in"}).text
    assert "staff page.admin" in signins
    rows = list(csv.reader(io.StringIO(admin.get("/staff/admin/audit.csv", params={"subject": "RV-PARKS"}).text)))
    assert rows[0][:4] == ["at_utc", "actor", "action", "subject"] and rows[1][2] == "office.add"
    assert '"name": "=HYPERLINK' in rows[1][5] and not rows[1][5].startswith("=")
    everything = admin.get("/staff/admin/audit.csv").text
    assert "password" not in everything and "rk_" not in everything
    assert admin.get("/staff/admin/audit", params={"since": "yesterday"}).status_code == 422


@pytest.mark.parametrize("params", [{"subject": "RV\x00N"}, {"actor": "a\x1bb"}, {"since": "2026-12-01\x00"}],
                         ids=["nul-subject", "escape-actor", "nul-date"])
def test_hostile_audit_filters_are_refused_not_crashed(admin, params):
    answer = admin.get("/staff/admin/audit", params=params)
    assert answer.status_code == 422 and "control character" in answer.text


def test_offices_are_listed_as_their_tree(admin):
    page = admin.get("/staff/admin/offices").text
    assert page.index(">RV</td>") < page.index("RV-N</td>") < page.index("RV-N-WATER</td>")
    assert 'style="padding-left: 3.5rem"><span aria-hidden="true">└ </span>RV-N-WATER' in page


def test_the_audit_pages_through_older_entries(admin, session):
    from core import audit

    for n in range(105):
        audit.record(session, at=START, actor="page.admin", action="staff.enable", subject=f"staff paged.{n:03d}")
    session.commit()
    first = admin.get("/staff/admin/audit", params={"subject": "paged."}).text
    assert first.count("<td>staff paged.") == 100 and "staff paged.104" in first and "staff paged.004" not in first
    older = re.search(r'href="(/staff/admin/audit\?[^"]*before=\d+)"', first).group(1).replace("&amp;", "&")
    rest = admin.get(older).text
    assert rest.count("<td>staff paged.") == 5 and "staff paged.000" in rest and "Older entries" not in rest
