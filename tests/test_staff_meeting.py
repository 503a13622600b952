"""The weekly complaint meeting: the pack's sections, action items carried week to week, the CLI file."""

from __future__ import annotations

import contextlib
import dataclasses
import html as htmllib
import io
import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from dashboards import actions, meeting, meeting_files
from dashboards.models import ActionItem, ActionStatus
from escalation import sweep
from escalation.models import Deadline, DeadlineKind
from intake.access import scope_for
from intake.actors import Actor
from intake.models import ActorType, EventKind, Grievance, GrievanceEvent, Role, StaffSession, Status
from intake.queries import office_by_code, root_office
from routing.services import Policy
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


@pytest.fixture(scope="module")
def demo_url(new_database_url):
    """A database the CLI filled with the demo province, shared by this module's CLI tests."""
    from tests.test_cli import redress

    url = new_database_url()
    redress("init", "--demo", url=url)
    return url


def test_the_cli_writes_a_self_contained_pack(tmp_path, demo_url):
    from tests.test_cli import redress

    url = demo_url
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


def weasyprint_or_skip() -> None:
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # its banner when a library is missing
            import weasyprint  # noqa: F401
    except (ImportError, OSError) as exc:
        pytest.skip(f"WeasyPrint cannot load here (it needs the system Pango library): {exc}")


def pdf_text(path) -> str | None:
    """The PDF's text by poppler's pdftotext, or None where it is not installed (the text check is then skipped)."""
    if shutil.which("pdftotext") is None:
        return None
    done = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True, timeout=60)
    return re.sub(r"\s+", " ", done.stdout)


def words(html: str) -> str:
    return re.sub(r"\s+", " ", htmllib.unescape(re.sub(r"<[^>]+>", " ", html)))


def chart_title(html: str, chart: str) -> str:
    found = re.search(rf'<svg role="img" aria-labelledby="{chart}-title"[^>]*>\s*'
                      rf'<title id="{chart}-title">([^<]*)</title>', html)
    assert found, f"no chart {chart}"
    return htmllib.unescape(found[1])


def test_the_cli_writes_the_last_complete_week_as_json_by_default(tmp_path, demo_url):
    """Issue 21: --week may be left out (the week a Monday meeting reviews); --format or the extension chooses."""
    from tests.test_cli import redress

    before = datetime.now(UTC)
    done = redress("meeting-pack", "--office", "RV-N", "--format", "json", "--out", str(tmp_path / "pack.data"),
                   url=demo_url)
    after = datetime.now(UTC)
    pack = json.loads((tmp_path / "pack.data").read_text(encoding="utf-8"))
    zone = pack["office"]["timezone"]
    assert pack["week"] in {meeting.last_complete_week(moment, timezone=zone) for moment in (before, after)}
    assert f"meeting pack for {pack['week']}, RV-N, written to" in done.stdout
    assert pack["office"] == {"code": "RV-N", "name": "Northbank District Administration Office", "timezone": zone}
    assert pack["so_far"] is False and pack["start"].endswith("+05:45") and len(pack["weekly"]) == 8
    assert pack["weekly"][-1] == {"week": pack["week"], "start": pack["start"], "received": pack["received"]}
    assert pack["weekly"][-2]["received"] == pack["received_before"]

    by_extension = tmp_path / "pack.json"
    redress("meeting-pack", "--office", "RV-N", "--week", pack["week"], "--out", str(by_extension), url=demo_url)
    assert json.loads(by_extension.read_text(encoding="utf-8"))["received"] == pack["received"]
    page = tmp_path / "pack.html"
    redress("meeting-pack", "--office", "RV-N", "--week", pack["week"], "--out", str(page), url=demo_url)
    shown = words(page.read_text(encoding="utf-8"))
    assert f"{pack['received']} grievance" in shown and f"Week {pack['week']}" in shown
    bad = redress("meeting-pack", "--format", "docx", "--out", str(page), url=demo_url, check=False)
    assert bad.returncode == 2 and "invalid choice" in bad.stderr


def test_the_cli_prints_the_pack_to_pdf(tmp_path, demo_url):
    from tests.test_cli import redress

    weasyprint_or_skip()
    out = tmp_path / "pack.pdf"  # the extension asks for a PDF
    done = redress("meeting-pack", "--office", "RV-N", "--week", "2026-W47", "--out", str(out), url=demo_url)
    assert "(pdf)" in done.stdout and "Traceback" not in done.stderr
    assert out.read_bytes().startswith(b"%PDF")
    text = pdf_text(out)
    if text is not None:
        assert "Weekly complaint meeting · Northbank District Administration Office" in text
        assert "What came in, and why" in text and "2026-W40" in text  # the chart's labels are drawn as text
    forced = tmp_path / "pack.out"
    redress("meeting-pack", "--office", "RV-N", "--week", "2026-W47", "--format", "pdf", "--out", str(forced),
            url=demo_url)
    assert forced.read_bytes().startswith(b"%PDF")


def test_without_pango_a_pdf_fails_with_one_line_saying_what_to_install(tmp_path, demo_url):
    """A machine without Pango: WeasyPrint prints a banner and raises OSError on import; the CLI says it in a line."""
    from tests.test_cli import redress_env

    fake = tmp_path / "site" / "weasyprint"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(
        "print('-----\\nWeasyPrint could not import some external libraries.\\n-----')\n"
        "raise OSError(\"cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file\")\n")
    out = tmp_path / "pack.pdf"
    done = subprocess.run([sys.executable, "-m", "app.cli", "meeting-pack", "--out", str(out)], capture_output=True,
                          text=True, timeout=120, env=redress_env(demo_url) | {"PYTHONPATH": str(fake.parent)})
    assert done.returncode == 1 and not out.exists()
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("redress: a PDF needs WeasyPrint and the system Pango library")
    assert "apt-get install libpango-1.0-0" in done.stderr and "--format html" in done.stderr
    assert "-----" not in done.stdout


def test_the_json_holds_every_figure_and_list_the_html_shows(session, week):
    now = START + timedelta(days=7)
    built, data = meeting_files.pack_file(session, office_code="RV-N", week=WEEK, now=now, fmt="json")
    pack = json.loads(data)
    _, page = meeting_files.pack_file(session, office_code="RV-N", week=WEEK, now=now, fmt="html")
    shown = words(page.decode("utf-8"))
    fields = {f.name for f in dataclasses.fields(meeting.Pack)} | {"so_far", "last_day"}
    assert set(pack) == fields  # every field of the pack, with no code per field
    assert f"{pack['received']} grievances this week ({pack['received_before']} the week before)" in shown
    assert pack["received"] == 4 and pack["categories"][0] == {"name": "Water supply", "received": 3, "before": 0}
    for row in pack["categories"]:
        assert f"{row['name']} {row['received']} {row['before']}" in shown
    assert pack["silent"] and pack["escalated"] and pack["linked"] and pack["clusters"]
    for row in pack["silent"]:
        assert f"{row['office']} {row['missed']} {row['waiting']} {', '.join(row['oldest'])}" in shown
    for step in pack["escalated"]:
        assert f"{step['number']} {step['level']} {step['office']}" in shown
        assert step["at"].endswith("+05:45")  # in the office's time, with its offset
    for case in pack["linked"]:
        assert f"Case {case['case']}:" in shown and f"({', '.join(case['joined'])})" in shown
    for cluster in pack["clusters"]:
        assert ", ".join(cluster["numbers"]) in shown
    assert pack["weekly"][-1] == {"week": WEEK, "start": "2026-11-16T00:00:00+05:45", "received": 4}
    assert [w["received"] for w in pack["weekly"][:-1]] == [0] * 7 and pack["weekly"][0]["week"] == "2026-W40"
    assert pack["escalation_levels"] == [{"level": level, "steps": n} for level, n in
                                         sorted(Counter(s["level"] for s in pack["escalated"]).items())]
    assert pack["triage"] is None and pack["integrity_left_out"] is True  # a district manager's pack
    assert pack["so_far"] is False and pack["last_day"] == "2026-11-22" and pack["as_of"] == now.astimezone(
        built.start.tzinfo).isoformat()
    assert pack["satisfaction"]["total"]["answered"] == 0 and pack["carried"] == [] and pack["decided"] == []


def test_action_items_reach_the_json_as_small_objects(session, week):
    from dashboards import services

    north = office_by_code(session, "RV-N")
    services.record_action(session, meeting_office=north, week=WEEK, text="Replace the main at the temple",
                           owner=office_by_code(session, "RV-N-WATER"), due_on=START.date() + timedelta(days=11),
                           by="North Head", now=START + timedelta(days=7))
    session.commit()
    _, data = meeting_files.pack_file(session, office_code="RV-N", week=WEEK, now=START + timedelta(days=7),
                                      fmt="json")
    [item] = json.loads(data)["decided"]
    assert item["text"] == "Replace the main at the temple" and item["status"] == "open"
    assert item["owner"] == {"code": "RV-N-WATER", "name": "Northbank Water Utility Branch",
                             "timezone": "Asia/Kathmandu"}
    assert item["due_on"] == "2026-11-27" and item["created_at"] == "2026-11-23T14:45:00+05:45"


def test_a_pdf_of_the_pack_has_its_charts(session, week, tmp_path):
    weasyprint_or_skip()
    built, data = meeting_files.pack_file(session, office_code="RV-N", week=WEEK, now=START + timedelta(days=7),
                                          fmt="pdf")
    assert data.startswith(b"%PDF")
    out = tmp_path / "pack.pdf"
    out.write_bytes(data)
    text = pdf_text(out)
    if text is not None:
        assert "Weekly complaint meeting · Northbank District Administration Office" in text
        assert "2026-W40" in text and "2026-W47" in text and "Level 1" in text  # the charts' labels
        assert built.escalated[0].number in text


def triage_grievance(session) -> Grievance:
    waiting = builders.grievance(session, now=START + timedelta(hours=1), category=None, admin_area=None,
                                 phone="+9779812005500", text="Someone keeps dumping something odd behind my house")
    assert waiting.office_id is None and waiting.status is Status.TRIAGE
    return waiting


def test_triage_is_counted_at_the_top_for_those_who_see_it_and_not_for_an_office(session, browser, clock):
    """Issue 21: a grievance waiting in triage counted nowhere; the top's pack now counts it as not placed yet."""
    triage_grievance(session)
    builders.grievance(session, now=START, phone="+9779812005501", text="No water in Northbank ward 2")
    root, water = root_office(session), office_by_code(session, "RV-N-WATER")
    now = START + timedelta(days=7)
    top = meeting.build(session, scope=scope_for(session, role=Role.MANAGER, office_id=root.id), office=root,
                        week=WEEK, now=now)
    assert top.received == 2 and top.triage == 1 and ("Not placed yet", 1, 0) in top.categories
    assert sum(row.received for row in top.categories) == top.received and top.weekly[-1].received == 2
    officer = meeting.build(session, scope=scope_for(session, role=Role.OFFICER, office_id=water.id), office=root,
                            week=WEEK, now=now)
    assert officer.received == 1 and officer.triage is None
    assert all(row.name != "Not placed yet" for row in officer.categories)

    builders.staff(session, username="rv.manager", role=Role.MANAGER, office="RV", now=START)
    builders.staff(session, username="water.officer", role=Role.OFFICER, office="RV-N-WATER", now=START)
    clock.now = now
    sign_in(browser, "rv.manager")
    came_in = section(browser.get(f"/staff/meeting?week={WEEK}"), "came-in")
    assert "2 grievances this week" in came_in and "1 of them is still waiting in triage" in came_in
    assert "Not placed yet 1 0" in came_in
    browser.cookies.clear()
    sign_in(browser, "water.officer")
    came_in = section(browser.get(f"/staff/meeting?week={WEEK}"), "came-in")
    assert "1 grievance this week" in came_in and "triage" not in came_in


def test_integrity_complaints_are_counted_only_for_who_sees_them_and_the_pack_says_when_left_out(session):
    bribe = builders.grievance(session, now=START + timedelta(hours=2), category="corruption", phone="+9779812005600",
                               text="The clerk at the land office asked me for a bribe")
    builders.grievance(session, now=START, phone="+9779812005601", text="No water in Northbank ward 2")
    assert bribe.confidentiality.value == "integrity"
    root = root_office(session)
    now = START + timedelta(days=7)
    manager = meeting.build(session, scope=scope_for(session, role=Role.MANAGER, office_id=root.id), office=root,
                            week=WEEK, now=now)
    assert manager.received == 1 and manager.integrity_left_out
    admin = meeting.build(session, scope=scope_for(session, role=Role.ADMIN, office_id=root.id), office=root,
                          week=WEEK, now=now)
    assert admin.received == 2 and not admin.integrity_left_out
    _, page = meeting_files.pack_file(session, office_code="RV", week=WEEK, now=now)
    assert "Integrity complaints are left out of this pack" in words(page.decode("utf-8"))


def test_reports_joined_to_a_case_are_listed_from_the_linked_events(session, browser, clock):
    """Issue 21: the pack said "No complaint was reported more than once" while citizens had been told their report
    joined a case. The list now comes from those LINKED events, and from duplicates staff marked."""
    case = builders.grievance(session, now=START, phone="+9779812005700",
                              text="Water main burst near the Northbank temple, road flooded")
    joined = builders.grievance(session, now=START + timedelta(hours=2), phone="+9779812005701",
                                text="Water main burst near the Northbank temple, the road is flooded")
    told = session.scalar(select(GrievanceEvent).where(GrievanceEvent.grievance_id == joined.id,
                                                       GrievanceEvent.kind == EventKind.LINKED))
    assert told is not None and told.public and told.data == {"case": case.tracking_number}
    pothole = builders.grievance(session, now=START, phone="+9779812005702", category="roads",
                                 text="Deep pothole in front of the Northbank school")
    again = builders.grievance(session, now=START + timedelta(hours=3), phone="+9779812005703", category="roads",
                               text="Children trip on the broken road by the school gate")
    north = office_by_code(session, "RV-N")
    head = scope_for(session, role=Role.OFFICE_HEAD, office_id=north.id)
    actions.act(session, grievance=again, action="duplicate", duplicate_of=pothole.tracking_number, scope=head,
                actor=Actor(type=ActorType.STAFF, id="1", role=Role.OFFICE_HEAD, office_id=north.id, name="Head"),
                now=START + timedelta(days=1), policy=Policy())
    session.commit()

    built = meeting.build(session, scope=head, office=north, week=WEEK, now=START + timedelta(days=7))
    assert sorted(built.linked, key=lambda item: item.case) == sorted([
        meeting.Linked(case=case.tracking_number, joined=[joined.tracking_number], duplicates=[]),
        meeting.Linked(case=pothole.tracking_number, joined=[], duplicates=[again.tracking_number])],
        key=lambda item: item.case)
    assert meeting.build(session, scope=head, office=north, week=NEXT_WEEK, now=START + timedelta(days=14)).linked == []
    officer = scope_for(session, role=Role.OFFICER, office_id=office_by_code(session, "RV-N-ROADS").id)
    roads = meeting.build(session, scope=officer, office=office_by_code(session, "RV-N-ROADS"), week=WEEK,
                          now=START + timedelta(days=7))
    assert [item.case for item in roads.linked] == [pothole.tracking_number]  # only what is in its scope

    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    clock.now = START + timedelta(days=7)
    sign_in(browser, "north.head")
    page = browser.get(f"/staff/meeting?week={WEEK}")
    came_in = section(page, "came-in")
    assert f"Case {case.tracking_number}: 1 report joined it ({joined.tracking_number})" in came_in
    assert f"Case {pothole.tracking_number}: 1 marked a duplicate by staff ({again.tracking_number})" in came_in
    assert "No report joined" not in came_in and "reported more than once." not in page.text


def test_the_charts_are_inline_svg_that_read_out_their_numbers(browser, session, clock, week):
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    clock.now = START + timedelta(days=7)
    sign_in(browser, "north.head")
    page = browser.get(f"/staff/meeting?week={WEEK}").text
    assert chart_title(page, "chart-weekly") == (
        "Grievances received per week, 2026-W40 to 2026-W47: 2026-W40 0, 2026-W41 0, 2026-W42 0, 2026-W43 0, "
        "2026-W44 0, 2026-W45 0, 2026-W46 0, 2026-W47 4")
    assert chart_title(page, "chart-silent") == ("First answer late, by office: "
                                                 "Northbank Water Utility Branch 3, Northbank Roads and Public Works "
                                                 "Division 1")  # worst first, as the table
    levels = Counter(session.scalars(select(GrievanceEvent.level).where(GrievanceEvent.level.is_not(None))).all())
    assert levels and chart_title(page, "chart-levels") == "Escalations by level: " + ", ".join(
        f"Level {level} {n}" for level, n in sorted(levels.items()))
    weekly = page.split('id="chart-weekly"')[1].split("</svg>")[0]
    assert weekly.count("<rect") == 8 and "<script" not in page and "http://" not in weekly
    _, file = meeting_files.pack_file(session, office_code="RV-N", week=WEEK, now=clock.now)
    assert chart_title(file.decode("utf-8"), "chart-weekly") == chart_title(page, "chart-weekly")

