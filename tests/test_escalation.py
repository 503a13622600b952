"""Deadlines follow the grievance, and the sweep climbs the ladder exactly once per level."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import BigInteger, String, func, literal, select
from sqlalchemy.exc import IntegrityError

from app import migrate
from core.db import UTCDateTime, make_engine, make_sessionmaker, transaction
from core.outbox import OutboxChannel, OutboxMessage
from directory.services import load_file
from escalation import sweep
from escalation.models import Deadline, DeadlineKind
from escalation.services import sync
from intake import services
from intake.actors import Actor
from intake.models import (
    ESCALATION_STEPS,
    ActorType,
    Channel,
    EventKind,
    Grievance,
    GrievanceEvent,
    Office,
    Role,
    Status,
)
from tests import builders
from tests.conftest import START

OFFICER = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, name="Officer")
TUESDAY_15_45_NPT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # 8 working hours after Monday 14:45 in Kathmandu


def deadlines(session, grievance) -> dict[DeadlineKind, Deadline]:
    session.flush()
    rows = session.scalars(select(Deadline).where(Deadline.grievance_id == grievance.id).order_by(Deadline.id))
    return {d.kind: d for d in rows}


def water(session, *, now=START, phone="+9779812000500"):
    return builders.grievance(session, now=now, phone=phone, commit=False)


def test_a_new_grievance_gets_its_deadlines_in_the_offices_working_hours(session):
    grievance = water(session)
    clocks = deadlines(session, grievance)
    assert set(clocks) == {DeadlineKind.FIRST_RESPONSE, DeadlineKind.RESOLUTION, DeadlineKind.TRANSFER}
    assert clocks[DeadlineKind.FIRST_RESPONSE].due_at == TUESDAY_15_45_NPT
    assert clocks[DeadlineKind.FIRST_RESPONSE].next_at == TUESDAY_15_45_NPT
    assert clocks[DeadlineKind.FIRST_RESPONSE].warn_at < TUESDAY_15_45_NPT


def test_a_public_answer_ends_the_silence_and_the_transfer_clock(session, clock):
    grievance = water(session)
    services.acknowledge(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1))
    sync(session, grievance=grievance, now=clock.now)
    clocks = deadlines(session, grievance)
    first = clocks[DeadlineKind.FIRST_RESPONSE]
    assert first.met_at == clock.now and first.next_at is None
    assert clocks[DeadlineKind.TRANSFER].met_at == clock.now
    assert clocks[DeadlineKind.RESOLUTION].met_at is None


def test_waiting_for_the_citizen_pauses_the_resolution_clock(session, clock):
    grievance = water(session)
    before = deadlines(session, grievance)[DeadlineKind.RESOLUTION].due_at
    services.request_info(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1), note="Which ward?")
    sync(session, grievance=grievance, now=clock.now)
    paused = deadlines(session, grievance)[DeadlineKind.RESOLUTION]
    assert paused.paused_at == clock.now and paused.next_at is None
    services.add_citizen_info(session, grievance=grievance, actor=Actor(type=ActorType.CITIZEN), now=clock.advance(
        days=7), text="Ward 3")
    sync(session, grievance=grievance, now=clock.now)
    resumed = deadlines(session, grievance)[DeadlineKind.RESOLUTION]
    assert resumed.paused_at is None and resumed.due_at > before + timedelta(days=6)


def test_a_reopened_grievance_gets_a_new_resolution_deadline(session, clock):
    grievance = water(session)
    services.resolve(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=2), note="Fixed.")
    sync(session, grievance=grievance, now=clock.now)
    first = deadlines(session, grievance)[DeadlineKind.RESOLUTION]
    assert first.met_at == clock.now
    services.reopen(session, grievance=grievance, actor=OFFICER, now=clock.advance(days=2), note="Dry again.")
    sync(session, grievance=grievance, now=clock.now)
    again = deadlines(session, grievance)[DeadlineKind.RESOLUTION]
    assert again.id != first.id and again.started_at == clock.now and again.met_at is None


def escalations(session, grievance) -> list[tuple[int, str]]:
    session.expire_all()
    return [(e.level, e.data["deadline"]) for e in session.scalars(
        select(GrievanceEvent).where(GrievanceEvent.grievance_id == grievance.id, ESCALATION_STEPS)
        .order_by(GrievanceEvent.level, GrievanceEvent.id))]


def test_the_ladder_climbs_once_per_level_to_the_top_oversight(session, session_factory):
    grievance = water(session)
    session.commit()
    transfer_due = datetime(2026, 11, 17, 6, 0, tzinfo=UTC)  # 4 working hours: Tuesday 11:45 in Kathmandu
    assert sweep.run(session_factory, now=transfer_due - timedelta(minutes=1)) == 0
    assert sweep.run(session_factory, now=transfer_due) == 1
    assert sweep.run(session_factory, now=TUESDAY_15_45_NPT - timedelta(minutes=1)) == 0
    assert sweep.run(session_factory, now=TUESDAY_15_45_NPT) == 1
    assert sweep.run(session_factory, now=TUESDAY_15_45_NPT) == 0  # a re-run changes nothing
    session.refresh(grievance)
    assert grievance.office.code == "RV-N-WATER"  # level 1 alerts the head; the office keeps it
    escalated = [e for e in grievance.events if e.kind is EventKind.ESCALATED]
    assert [e.data["level"] for e in escalated] == [1, 1] and all(e.public for e in escalated)
    assert [(e.data["deadline"], e.data["due_at"]) for e in escalated] == [
        ("transfer", "2026-11-17T06:00:00+00:00"), ("first_response", "2026-11-17T10:00:00+00:00")]
    staff = session.scalars(select(OutboxMessage).where(OutboxMessage.channel == OutboxChannel.STAFF,
                                                        OutboxMessage.purpose == "escalation")).all()
    assert {m.recipient for m in staff} == {"RV-N-WATER"}
    assert staff[0].body == (f"{grievance.tracking_number}: the take-up or transfer deadline passed; escalated to "
                             "Northbank Water Utility Branch (level 1).")
    citizen = session.scalars(select(OutboxMessage.body).where(OutboxMessage.purpose == "escalated")).all()
    assert len(citizen) == 2 and all("head of Northbank Water Utility Branch" in body for body in citizen)

    later = TUESDAY_15_45_NPT
    levels = []
    for _ in range(10):
        later += timedelta(days=7)
        sweep.run(session_factory, now=later)
        session.refresh(grievance)
        levels.append(grievance.office.code)
    first_response = [level for level, kind in escalations(session, grievance) if kind == "first_response"]
    assert first_response == [1, 2, 3, 4]  # office head, district, province, oversight
    assert levels[0] == "RV-N" and levels[-1] == "RV-OIU"


def test_the_figures_count_the_steps_of_the_ladder(session, session_factory):
    """Management's KPIs count every step, the public pages the missed deadlines (level 1 only), the open data
    marks the grievance escalated; a step written twice would be refused."""
    from dashboards import kpis, open_data, public
    from intake.access import Scope

    grievance = water(session)
    session.commit()
    sweep.run(session_factory, now=TUESDAY_15_45_NPT)  # take-up and first response: level 1 each
    sweep.run(session_factory, now=TUESDAY_15_45_NPT + timedelta(days=7))  # level 2 of those, resolution's 1
    session.expire_all()
    steps = escalations(session, grievance)
    assert sorted(steps) == [(1, "first_response"), (1, "resolution"), (1, "transfer"), (2, "first_response"),
                             (2, "transfer")]
    root = session.scalar(select(Office).where(Office.parent_id.is_(None)))
    admin = Scope(role=Role.ADMIN, office_id=root.id, office_ids=None, sees_integrity=True, sees_unrouted=True)
    figures = kpis.build(session, scope=admin, node=root, now=TUESDAY_15_45_NPT + timedelta(days=7), weeks=4,
                         min_count=5)
    assert figures.total.figures["escalations"] == 5
    assert figures.total.figures["missed_deadlines"] == 3  # first response, resolution and transfer passed unmet
    league = public.league(session, by="category", since=START - timedelta(days=1),
                           now=TUESDAY_15_45_NPT + timedelta(days=7), min_count=5)
    assert next(row for row in league if row.key == "water").figures["missed_deadlines"] == 3
    [row] = open_data.feed(session, since=START - timedelta(days=1))
    assert row["reference"] == grievance.tracking_number and row["escalated"] is True
    first = session.scalar(select(GrievanceEvent).where(GrievanceEvent.level == 1).limit(1))
    session.add(GrievanceEvent(grievance_id=grievance.id, kind=EventKind.ESCALATED, at=first.at,
                               actor_type=ActorType.SYSTEM, data={}, deadline_id=first.deadline_id, level=1))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_an_office_that_got_the_grievance_by_escalation_gets_no_take_up_deadline(session, session_factory):
    grievance = water(session)
    session.commit()
    sweep.run(session_factory, now=TUESDAY_15_45_NPT)
    sweep.run(session_factory, now=TUESDAY_15_45_NPT + timedelta(days=7))  # level 2: the district holds it
    session.expire_all()
    assert grievance.office.code == "RV-N" and grievance.status is Status.ASSIGNED
    sync(session, grievance=grievance, now=TUESDAY_15_45_NPT + timedelta(days=7, minutes=1))
    session.flush()
    take_up = session.scalars(select(Deadline.office_id).where(Deadline.grievance_id == grievance.id,
                                                               Deadline.kind == DeadlineKind.TRANSFER)).all()
    assert take_up == [water_office_id(session)]  # the branch's own, escalated; none for the district


def water_office_id(session) -> int:
    return session.scalar(select(Office.id).where(Office.code == "RV-N-WATER"))


def test_an_answer_that_was_not_synced_still_stops_the_escalation(session, session_factory, clock):
    grievance = water(session)
    grievance.first_response_at = START + timedelta(hours=1)  # as if a writer forgot to sync
    grievance.status = Status.IN_PROGRESS
    session.commit()
    sweep.run(session_factory, now=TUESDAY_15_45_NPT + timedelta(hours=1))
    assert escalations(session, grievance) == []


def test_a_warning_goes_out_once_before_the_breach(session, session_factory):
    grievance = water(session)
    session.commit()
    warn_at = deadlines(session, grievance)[DeadlineKind.FIRST_RESPONSE].warn_at
    sweep.run(session_factory, now=warn_at)
    sweep.run(session_factory, now=warn_at + timedelta(minutes=5))
    warnings = session.scalars(select(OutboxMessage).where(OutboxMessage.purpose == "deadline_warning")).all()
    assert [m.recipient for m in warnings].count("RV-N-WATER") >= 1
    assert len([m for m in warnings if "first response" in m.body]) == 1


def test_four_concurrent_sweeper_processes_escalate_each_level_once(new_database_url):
    """Four `redress jobs run escalation` processes at once over the same due deadlines."""
    import subprocess
    import sys

    from tests.test_cli import redress_env

    url = new_database_url()
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        from app.demo import DIRECTORY

        with transaction(factory) as session:
            load_file(session, path=DIRECTORY, actor="test", now=START)
            for i in range(30):
                builders.grievance(session, now=START, phone=f"+97798120006{i:02d}", commit=False)
        command = [sys.executable, "-m", "app.cli", "jobs", "run", "escalation", "--now", TUESDAY_15_45_NPT.isoformat()]
        sweepers = [subprocess.Popen(command, env=redress_env(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True) for _ in range(4)]
        outputs = [process.communicate(timeout=120) for process in sweepers]
        assert [process.returncode for process in sweepers] == [0] * 4, outputs
        with factory() as session:
            per_level = session.execute(select(GrievanceEvent.deadline_id, GrievanceEvent.level, func.count())
                                        .where(GrievanceEvent.kind == EventKind.ESCALATED)
                                        .group_by(GrievanceEvent.deadline_id, GrievanceEvent.level)).all()
            assert len(per_level) == 60 and all(count == 1 for _, _, count in per_level)
            notices = session.scalar(select(func.count()).select_from(OutboxMessage)
                                     .where(OutboxMessage.purpose == "escalation"))
            assert notices == 60
    finally:
        engine.dispose()


def test_parallel_workers_in_one_sweep_escalate_each_deadline_once(new_database_url):
    """Several connections of one sweep, in small batches, over the same due deadlines."""
    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        from app.demo import DIRECTORY

        with transaction(factory) as session:
            load_file(session, path=DIRECTORY, actor="test", now=START)
            for i in range(40):
                builders.grievance(session, now=START, phone=f"+97798120007{i:02d}", commit=False)
        assert sweep.run(factory, now=TUESDAY_15_45_NPT, batch=7, workers=3) == 80
        assert sweep.run(factory, now=TUESDAY_15_45_NPT, batch=7, workers=3) == 0
        with factory() as session:
            per_level = session.execute(select(GrievanceEvent.deadline_id, GrievanceEvent.level, func.count())
                                        .where(GrievanceEvent.kind == EventKind.ESCALATED)
                                        .group_by(GrievanceEvent.deadline_id, GrievanceEvent.level)).all()
            assert len(per_level) == 80 and all(count == 1 for _, _, count in per_level)
            notices = session.scalars(select(OutboxMessage.grievance_id).where(OutboxMessage.purpose == "escalated"))
            assert sorted(Counter(notices).values()) == [2] * 40  # first response and take-up, one notice each
    finally:
        engine.dispose()


def test_escalated_grievances_show_the_climb_in_the_api(client, session, session_factory):
    admin = builders.auth(builders.api_key(session, now=START))
    grievance = water(session)
    session.commit()
    sweep.run(session_factory, now=TUESDAY_15_45_NPT + timedelta(minutes=30))
    body = client.get(f"/api/v1/grievances/{grievance.tracking_number}", headers=admin).json()
    assert body["silence_hours"] is None and body["resolution_hours"] is None
    first = next(d for d in body["deadlines"] if d["kind"] == "first_response")
    assert first["level"] == 1 and first["next_escalation_at"] is not None
    assert [e["data"]["level"] for e in body["events"] if e["kind"] == "escalated"] == [1, 1]


@pytest.mark.parametrize(("data", "says"), [
    ({"calendars": [{"code": "X", "timezone": "UTC", "week": {"mon": ["9-5"]}}]}, "calendar X: mon"),
    ({"calendars": [{"code": "X", "timezone": "Mars/Base", "week": {"mon": ["09:00-17:00"]}}]}, "unknown timezone"),
    ({"calendars": [{"code": "X", "timezone": "UTC", "week": {"mon": ["09:00-17:00"]}, "offices": ["NOPE"]}]},
     "unknown office"),
    ({"calendars": [{"code": "X", "timezone": "UTC", "week": {"mon": ["09:00-17:00"]},
                     "holidays": [{"day": "Christmas"}]}]}, "written as a date"),
    ({"calendars": [{"code": "X", "timezone": "UTC", "week": "weekdays"}]}, "'week' must be a table"),
    ({"sla": [{"category": "unicorns", "first_response_hours": 1, "resolution_hours": 2, "escalation_hours": 1}]},
     "unknown category"),
    ({"sla": [{"first_response_hours": -1, "resolution_hours": 2, "escalation_hours": 1}]},
     "'first_response_hours' must be a number"),
    ({"sla": [{"first_response_hours": 1, "resolution_hours": 2, "escalation_hours": 1, "basis": "lunar"}]},
     "business or calendar"),
    ({"sla": "fast"}, "list of tables"),
    ({"sla": [{"first_response_hours": 1, "resolution_hours": 2, "escalation_hours": 1, "warn_fraction": 1}]},
     "'warn_fraction' must be a share"),
], ids=["hours", "timezone", "office", "holiday", "week", "category", "negative", "basis", "not-tables", "warn"])
def test_broken_calendars_and_slas_are_refused(session, data, says):
    from core.errors import InvalidInput
    from directory.document import parse

    with pytest.raises(InvalidInput, match=says):
        parse(data)


def test_silence_figures_per_office_with_a_minimum_count(client, session, clock):
    admin = builders.auth(builders.api_key(session, now=START))
    answered_after = [1, 2, 3, 4, 30]  # hours; the last misses the 8-working-hour deadline
    for i, hours in enumerate(answered_after):
        grievance = water(session, phone=f"+97798120007{i:02d}")
        services.acknowledge(session, grievance=grievance, actor=OFFICER, now=START + timedelta(hours=hours))
        sync(session, grievance=grievance, now=START + timedelta(hours=hours))
    roads = builders.grievance(session, now=START, phone="+9779812000799", category="roads", commit=False)
    assert roads.office is not None
    session.commit()
    clock.now = START + timedelta(days=3)
    body = client.get("/api/v1/kpi/silence?by=office&since=2026-11-01T00:00:00Z", headers=admin).json()
    rows = {row["key"]: row for row in body["rows"]}
    water_row = rows["RV-N-WATER"]
    assert water_row["count"] == 5 and water_row["answered"] == 5 and water_row["published"]
    assert water_row["silence_median_hours"] == 3.0
    assert water_row["silence_p90_hours"] == 19.6  # 4 + (30 - 4) × 0.6: linear between the closest ranks
    assert water_row["within_deadline_share"] == 0.8
    assert rows[roads.office.code]["published"] is False and rows[roads.office.code]["silence_median_hours"] is None
    assert body["min_count"] == 5
    by_category = client.get("/api/v1/kpi/silence?by=category", headers=admin).json()
    assert {row["key"] for row in by_category["rows"]} >= {"water", "roads"}
    assert client.get("/api/v1/kpi/silence?by=planet", headers=admin).status_code == 422
    assert client.get("/api/v1/kpi/silence").status_code == 401


def test_a_simulated_month_escalates_every_passed_deadline_once_and_on_time(session, session_factory):
    """Forty grievances over November, a third answered in time, the sweep every hour: each escalation fires
    once, no earlier than its deadline and no later than one sweep interval after it."""
    import random

    rng = random.Random(5)
    interval = timedelta(hours=1)
    month_start = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
    arrivals = sorted(month_start + timedelta(minutes=rng.randrange(0, 28 * 24 * 60)) for _ in range(40))
    plans = [(at, rng.choice(["water", "roads", "health", "electricity"]), rng.choice(["RV-N", "RV-C", "RV-S"]),
              rng.random() < 0.33) for at in arrivals]
    answered: list[tuple[datetime, Grievance]] = []
    now = month_start
    end = month_start + timedelta(days=30)
    while now <= end:
        while plans and plans[0][0] <= now:
            at, category, area, answers = plans.pop(0)
            grievance = builders.grievance(session, now=at, category=category, admin_area=area,
                                           phone=f"+9779812{len(answered):02d}{rng.randrange(10**4):04d}",
                                           commit=False)
            if answers:
                answered.append((at + timedelta(hours=2), grievance))
            session.commit()
        for due, grievance in [a for a in answered if a[0] <= now]:
            answered.remove((due, grievance))
            session.refresh(grievance)
            if grievance.status is Status.ASSIGNED:
                services.acknowledge(session, grievance=grievance, actor=OFFICER, now=due)
                sync(session, grievance=grievance, now=due)
                session.commit()
        sweep.run(session_factory, now=now)
        now += interval
    session.expire_all()
    steps = session.scalars(select(GrievanceEvent).where(GrievanceEvent.kind == EventKind.ESCALATED)).all()
    assert steps, "some deadlines passed in a month"
    for step in steps:
        answers = datetime.fromisoformat(step.data["due_at"])
        assert step.deadline_id is not None and step.level == step.data["level"]
        assert timedelta(0) <= step.at - answers <= interval, (step.level, step.at, answers)
    per_level = session.execute(select(GrievanceEvent.deadline_id, GrievanceEvent.level, func.count())
                                .where(GrievanceEvent.kind == EventKind.ESCALATED)
                                .group_by(GrievanceEvent.deadline_id, GrievanceEvent.level)).all()
    assert all(count == 1 for *_, count in per_level)
    left_behind = session.scalars(select(Deadline).where(Deadline.next_at < end - interval)).all()
    assert left_behind == []
    answered_in_time = session.scalars(select(Deadline).where(Deadline.kind == DeadlineKind.FIRST_RESPONSE,
                                                              Deadline.met_at.is_not(None))).all()
    assert answered_in_time and all(d.level == 0 for d in answered_in_time if d.met_at <= d.due_at)


def test_the_citizen_channel_in_sql_is_the_one_in_python(session):
    """The sweep writes citizen notices in SQL: each way to reach (or not reach) a citizen agrees with Python."""
    cases = [(phone, chat, opted_out, channel) for phone in (None, "", "+9779812000500") for chat in (None, 4242)
             for opted_out in (False, True) for channel in (Channel.SMS, Channel.TELEGRAM, Channel.WEB)]
    for phone, chat, opted_out, channel in cases:
        expected = services.citizen_channel(phone=phone, telegram_chat_id=chat, opted_out=opted_out, channel=channel)
        in_sql = services.citizen_channel_sql(
            phone=literal(phone, String), telegram_chat_id=literal(chat, BigInteger),
            opted_out_at=literal(START if opted_out else None, UTCDateTime()), channel=literal(channel.value, String))
        found = session.execute(select(*in_sql)).one()
        assert (None if found[0] is None else (OutboxChannel(found[0]), found[1])) == expected, (phone, chat,
                                                                                                   opted_out, channel)


def test_each_citizen_hears_of_the_escalation_in_their_language(session, session_factory):
    nepali = water(session, phone="+9779812000501")
    nepali.language = "ne"
    english = water(session, phone="+9779812000502")
    session.commit()
    assert sweep.run(session_factory, now=TUESDAY_15_45_NPT) == 4  # take-up and first response, each
    notices = {(m.recipient, m.body) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.purpose == "escalated"))}
    assert (("+9779812000501", f"{nepali.tracking_number}: समयमा जवाफ नआएकाले Northbank Water Utility Branch का "
             "प्रमुखलाई जानकारी गराइयो।") in notices)
    assert (("+9779812000502", f"{english.tracking_number}: no answer in time, so the head of Northbank Water "
             "Utility Branch was alerted.") in notices)
    assert len(notices) == 2  # the two climbs of a grievance tell its citizen the same
