"""One definition per figure, the same number everywhere: a generated history of several weeks (answers,
transfers, escalations, survey answers, reopenings, triage and integrity cases) read, for random periods and
scopes, through the KPI API, the dashboard's CSV files, the public pages and the open-data files, before and
after the rollups have run. Rows add up to their totals; no deadline still to come is counted as missed."""

from __future__ import annotations

import csv
import io
import json
import random
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dashboards import figures, meeting_files, rollups
from escalation import sweep
from escalation.models import Deadline
from intake import services
from intake.actors import Actor
from intake.models import ActorType, Channel, Confidentiality, Grievance, GrievanceEvent, Office, Role, Status
from intake.queries import office_by_code
from routing.services import transfer
from surveys.models import Survey, SurveyKind, SurveyStatus, SurveyStep
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

OFFICER = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, name="Officer")
NOW = START + timedelta(days=2, hours=5)  # a Wednesday: the current week is not over
KINDS = [("water", "RV-N"), ("roads", "RV-N"), ("water", "RV-C"), ("waste", "RV-C"), ("corruption", "RV-N"),
         (None, "RV-N-3")]
CHANNELS = [Channel.SMS, Channel.WEB, Channel.TELEGRAM, Channel.API, Channel.CALL_CENTRE]
ADDITIVE = [f.code for f in figures.FIGURES if f.additive]


def test_docs_kpis_md_is_written_from_the_registry(repo_root: Path):
    assert (repo_root / "docs" / "kpis.md").read_text() == figures.markdown(), "stale: run `make docs`"
    assert all(f"`{f.code}`" in figures.markdown() for f in figures.FIGURES)


@pytest.fixture
def history(session, session_factory, clock) -> None:
    """Five weeks of complaints across offices, kinds, channels and areas, with everything that moves a figure."""
    rng = random.Random(21)
    made = []
    for i in range(70):
        category, area = KINDS[i % len(KINDS)]
        received = START - timedelta(days=33) + timedelta(hours=i * 12 + rng.randint(0, 11), minutes=rng.randint(0, 59))
        grievance = builders.grievance(session, now=received, phone=f"+97798120060{i:02d}", category=category,
                                       admin_area=area, text=f"Complaint {i}: " + (
                                           "about something" if category is None else "no water, broken road"),
                                       channel=CHANNELS[i % len(CHANNELS)])
        made.append(grievance)
        fate = rng.random()
        if grievance.office_id is None:
            continue
        if fate < 0.15 and grievance.confidentiality is not Confidentiality.INTEGRITY:
            to = office_by_code(session, "RV-C-WASTE" if grievance.office.code != "RV-C-WASTE" else "RV-N-WATER")
            transfer(session, grievance=grievance, to_office=to, actor=OFFICER,
                     now=received + timedelta(hours=rng.choice([2, 30])), note="Not ours: the other office")
        if fate < 0.7:
            services.acknowledge(session, grievance=grievance, actor=OFFICER,
                                 now=received + timedelta(hours=rng.choice([0.5, 4, 30, 80])))
        if fate < 0.4:
            services.resolve(session, grievance=grievance, actor=OFFICER, now=received + timedelta(hours=100),
                             note="Fixed")
            if fate < 0.1:
                services.reopen(session, grievance=grievance, actor=OFFICER, now=received + timedelta(hours=120),
                                note="Still broken")
        session.commit()
    for day in range(0, 36, 3):  # the escalation sweep, every third day
        sweep.run(session_factory, now=START - timedelta(days=33) + timedelta(days=day))
    for n, grievance in enumerate(g for g in made if g.status is Status.RESOLVED):
        at = grievance.resolved_at + timedelta(hours=6)
        session.add(Survey(key=f"figures:{n}", kind=SurveyKind.RESOLUTION, grievance_id=grievance.id,
                           office_id=grievance.office_id, channel="sms" if n % 3 else "telegram",
                           recipient=f"+9779813330{n:03d}", language="en", status=SurveyStatus.ANSWERED,
                           step=SurveyStep.DONE, due_at=at, sent_at=at, answered_at=at, score=1 + n % 5,
                           created_at=at))
    session.commit()
    assert session.scalar(select(func.count()).select_from(GrievanceEvent).where(GrievanceEvent.level == 1)) > 5
    assert any(g.office_id is None for g in made) and any(
        g.confidentiality is Confidentiality.INTEGRITY for g in made)
    clock.now = NOW


def periods(rng: random.Random) -> list[tuple[datetime, datetime]]:
    """Random periods: ragged starts and ends, whole weeks, and one that runs past now."""
    out = [(START - timedelta(days=7), START), (START - timedelta(days=40), NOW + timedelta(days=5))]
    for _ in range(4):
        since = START - timedelta(days=rng.randint(0, 34), hours=rng.randint(0, 23), minutes=rng.randint(0, 59))
        out.append((since, min(NOW, since + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 23)))))
    return out


def kpi(client, key, *, by: str, since: datetime, until: datetime, office: str = "") -> dict:
    answer = client.get("/api/v1/kpi", headers=key, params={"by": by, "since": since.isoformat(),
                                                           "until": until.isoformat(), "office": office})
    assert answer.status_code == 200, answer.text
    return answer.json()


def assert_adds_up(page: dict) -> None:
    for code in ADDITIVE:
        assert sum(item["figures"][code] for item in page["items"]) == page["totals"][code], (page["by"], code)


def grievances_received(session, since, until, *, offices, integrity: bool, unplaced: bool) -> int:
    where = [Grievance.received_at >= since, Grievance.received_at < until]
    place = Grievance.office_id.in_(offices)
    where.append(place | Grievance.office_id.is_(None) if unplaced else place)
    if not integrity:
        where.append(Grievance.confidentiality != Confidentiality.INTEGRITY)
    return session.scalar(select(func.count()).select_from(Grievance).where(*where))


def api_everywhere(client, session, keys: dict) -> dict:
    """Every API reading the checks below make, for comparing before and after the rollups ran."""
    rng = random.Random(5)
    seen = {}
    for since, until in periods(rng):
        for name, (key, office) in keys.items():
            for by in figures.DIMENSIONS:
                seen[(name, by, since, until)] = kpi(client, key, by=by, since=since, until=until, office=office)
    return seen


def test_every_reading_of_a_figure_agrees(client, browser, session, session_factory, history):
    admin = builders.auth(builders.api_key(session, now=START))
    manager = builders.auth(builders.api_key(session, role=Role.MANAGER, office="RV-N", now=START))
    operator = builders.auth(builders.api_key(session, role=Role.OPERATOR, office="RV", now=START))
    offices = set(session.scalars(select(Office.id)))
    north = {o.id for o in session.scalars(select(Office).where(Office.code.like("RV-N%")))}
    keys = {"admin": (admin, ""), "manager": (manager, ""), "public": (operator, "")}
    before = api_everywhere(client, session, keys)

    for (name, by, since, until), page in before.items():
        assert_adds_up(page)
        totals = page["totals"]
        assert totals == before[(name, "office", since, until)]["totals"]  # whatever the rows, one total
        scope = {"admin": (offices, True, True), "manager": (north, False, False), "public": (offices, False, True)}
        inside, integrity, unplaced = scope[name]
        assert totals["received"] == grievances_received(session, since, min(until, NOW), offices=inside,
                                                         integrity=integrity, unplaced=unplaced), (name, since)
        missed = session.scalars(select(Deadline.due_at).join(GrievanceEvent, GrievanceEvent.deadline_id == Deadline.id)
                                 .where(GrievanceEvent.level == 1, GrievanceEvent.at >= since,
                                        GrievanceEvent.at < min(until, NOW))).all()
        assert all(due <= NOW for due in missed)  # a deadline still to come is never missed
        if name == "admin":
            assert totals["missed_deadlines"] == len(missed)
    assert any(page["totals"]["escalations"] and page["totals"]["transfers_out"] and page["totals"]["survey_answers"]
               for page in before.values())
    for (name, by, since, until), page in before.items():  # escalations, transfers, surveys on every dimension
        if page["totals"]["escalations"]:
            assert sum(1 for item in page["items"] if item["figures"]["escalations"]) >= 1, by

    builders.staff(session, username="figures.admin", role=Role.ADMIN, office="RV", now=START)
    sign_in(browser, "figures.admin")
    for weeks in (1, 3, 6):
        since = START - timedelta(days=START.weekday(), hours=START.hour) - timedelta(weeks=weeks - 1)
        for table, by in (("offices", "office"), ("categories", "category"), ("channels", "channel"),
                          ("areas", "area")):
            answer = browser.get("/staff/dashboard.csv", params={"table": table, "weeks": weeks})
            *lines, total = csv.DictReader(io.StringIO(answer.text))  # the last line: the whole province
            rows = {r["code"]: r for r in lines}
            page = kpi(client, admin, by=by, since=since, until=NOW)
            assert _csv(page["totals"]).items() <= total.items(), (table, weeks)
            for item in page["items"]:
                assert _csv(item["figures"]).items() <= rows[item["key"]].items(), (table, item["key"])
            assert len(rows) == len(page["items"]), table

    since = NOW - timedelta(days=30)
    public = kpi(client, operator, by="category", since=since, until=NOW)
    for fmt in ("json", "csv"):
        answer = client.get(f"/open-data/categories.{fmt}", params={"days": 30})
        rows = (answer.json()["rows"] if fmt == "json" else
                [{k: v for k, v in r.items()} for r in csv.DictReader(io.StringIO(answer.text))])
        opened = {r["code"]: r for r in rows}
        assert len(opened) == len(public["items"])
        for item in public["items"]:
            want = item["figures"] if fmt == "json" else _csv(item["figures"])
            assert {k: opened[item["key"]][k] for k in want} == want, (fmt, item["key"])
    offices_file = {r["code"]: r for r in client.get("/open-data/offices.json", params={"days": 30}).json()["rows"]}
    for leaf in ("RV-N-WATER", "RV-N-ROADS", "RV-C-WASTE"):
        page = kpi(client, operator, by="office", since=since, until=NOW, office=leaf)
        assert {k: offices_file[leaf][k] for k in page["totals"]} == page["totals"], leaf
    assert sum(r["received"] for r in offices_file.values()) == public["totals"]["received"]  # triage included
    html = client.get("/public", params={"days": 30}).text
    for item in public["items"]:
        if item["key"]:
            cell = re.search(rf'/public/categories/{item["key"]}\?[^>]*>[^<]*</a></th>\s*<td>(\d+)</td>', html)
            assert cell and int(cell[1]) == item["figures"]["received"], item["key"]

    assert next(r for r in client.get("/open-data/categories.json", params={"days": 60}).json()["rows"]
                if r["code"] == "water")["satisfaction_mean"] is not None  # resolution surveys, by their category

    packs = meeting_packs(client, session)
    assert rollups.run(session_factory, now=NOW) > 0
    assert api_everywhere(client, session, keys) == before  # the same with every day kept
    assert meeting_packs(client, session) == packs


def meeting_packs(client, session) -> dict:
    """Each office's meeting pack (the JSON file, as `redress meeting-pack` writes it) against the KPI API with
    the key of a manager of that office: the pack's scope."""
    packs = {}
    for code in ("RV", "RV-N", "RV-C-WASTE"):
        key = builders.auth(builders.api_key(session, role=Role.MANAGER, office=code, now=START))
        for week in ("2026-W45", "2026-W46", "2026-W47"):  # the last one is not over: "so far"
            _, body = meeting_files.pack_file(session, office_code=code, week=week, now=NOW, fmt="json")
            pack = json.loads(body)
            page = kpi(client, key, by="category", since=datetime.fromisoformat(pack["start"]),
                       until=datetime.fromisoformat(pack["end"]), office=code)
            assert pack["figures"] == page["totals"], (code, week)
            assert pack["received"] == page["totals"]["received"] == pack["weekly"][-1]["received"], (code, week)
            assert sum(row["received"] for row in pack["categories"]) == pack["received"], (code, week)
            assert sum(row["before"] for row in pack["categories"]) == pack["received_before"], (code, week)
            assert len(pack["escalated"]) == pack["figures"]["escalations"], (code, week)
            late = pack["figures"]["first_response_missed"]
            assert sum(row["missed"] for row in pack["silent"]) == late, (code, week)
            assert pack["so_far"] == (week == "2026-W47")
            for row in pack["silent"]:  # only deadlines passed by now are missed
                for number in row["oldest"]:
                    due = session.scalar(select(Deadline.due_at).join(Grievance).where(
                        Grievance.tracking_number == number, Deadline.kind == "first_response"))
                    assert due <= NOW, (code, week, number)
            packs[(code, week)] = pack["figures"]
    return packs


def _csv(values: dict) -> dict[str, str]:
    """Figures as the CSV files write them."""
    return {k: "" if v is None else str(v) for k, v in values.items()}


def test_escalations_transfers_and_surveys_count_on_every_dimension(client, session, history):
    admin = builders.auth(builders.api_key(session, now=START))
    since, until = START - timedelta(days=40), NOW
    for by in figures.DIMENSIONS:
        page = kpi(client, admin, by=by, since=since, until=until)
        for code in ("escalations", "missed_deadlines", "transfers_out", "survey_answers"):
            assert page["totals"][code] > 0, code
            assert sum(item["figures"][code] for item in page["items"]) == page["totals"][code], (by, code)
        assert any(item["figures"]["satisfaction_mean"] is not None for item in page["items"]), by


def test_a_period_that_has_not_ended_counts_only_what_has_happened(client, session, history):
    admin = builders.auth(builders.api_key(session, now=START))
    page = kpi(client, admin, by="office", since=START, until=START + timedelta(days=7))
    assert page["totals"]["received"] == grievances_received(
        session, START, NOW, offices=set(session.scalars(select(Office.id))), integrity=True, unplaced=True)
    bad = client.get("/api/v1/kpi", headers=admin, params={"since": "2026-11-01T00:00:00"})
    assert bad.status_code == 422 and bad.json()["field"] == "since"
    assert client.get("/api/v1/kpi", headers=admin, params={"since": NOW.isoformat(), "until": START.isoformat()}
                      ).status_code == 422
    assert client.get("/api/v1/kpi", headers=admin, params={"by": "mood"}).status_code == 422
    assert client.get("/api/v1/kpi", headers=admin, params={"office": "NOPE"}).status_code == 404


def test_triage_counts_at_the_top_for_who_places_it_and_nowhere_else(client, session, history):
    admin = builders.auth(builders.api_key(session, now=START))
    head = builders.auth(builders.api_key(session, role=Role.OFFICE_HEAD, office="RV", now=START))
    since = START - timedelta(days=40)
    top = kpi(client, admin, by="office", since=since, until=NOW)
    unplaced = [item for item in top["items"] if item["key"] == ""]
    waiting = session.scalar(select(func.count()).select_from(Grievance).where(Grievance.office_id.is_(None)))
    assert waiting and unplaced and unplaced[0]["figures"]["received"] == waiting
    head_sees = kpi(client, head, by="office", since=since, until=NOW)  # the province's head does not place them
    assert not [item for item in head_sees["items"] if item["key"] == ""]
    integrity = session.scalar(select(func.count()).select_from(Grievance).where(
        Grievance.confidentiality == Confidentiality.INTEGRITY, Grievance.office_id.is_not(None)))
    assert head_sees["totals"]["received"] == top["totals"]["received"] - waiting - integrity
