"""The dashboards' daily rollups give exactly the figures of counting the grievances live, at any later
time, for every role; a change shows after the next run, and changes made around the ORM are marked too."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from core.grievance_changes import GrievanceChange
from dashboards import kpis, rollups
from dashboards.models import KpiComputed, KpiRollup
from escalation import sweep
from intake import services
from intake.access import scope_for
from intake.actors import Actor
from intake.models import ActorType, Confidentiality, Grievance, Role
from intake.queries import office_by_code
from tests import builders
from tests.conftest import START

OFFICER = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, name="Officer")
SEATS = [(Role.MANAGER, "RV"), (Role.OFFICE_HEAD, "RV-N"), (Role.OFFICER, "RV-N-WATER"), (Role.OVERSIGHT, "RV-OIU"),
         (Role.ADMIN, "RV")]
COMPLAINTS = [("water", "RV-N", "No water in our street"), ("roads", "RV-N", "Pothole on the main road"),
              ("water", "RV-C", "Water pipe burst near the school"),
              ("corruption", "RV-N", "The clerk asked me for a bribe"),
              ("waste", "RV-C", "Garbage not collected for a week")]


def figures(session, now, role: Role, office: str) -> dict:
    node = office_by_code(session, office)
    board = kpis.build(session, scope=scope_for(session, role=role, office_id=node.id), node=node, now=now,
                       weeks=4, min_count=1)
    tables = {"total": [board.total], "offices": board.children, "categories": board.categories,
              "channels": board.channels, "areas": board.areas}
    return {"weeks": board.weeks, **{(name, row.key): (row.figures, board.weekly(row))
                                     for name, rows in tables.items() for row in rows}}


def live(session, now, role: Role, office: str) -> dict:
    """The same figures with every kept day forgotten, so all of them are counted from the grievances."""
    with session.begin_nested() as forgetting:
        session.execute(delete(KpiComputed))
        counted = figures(session, now, role, office)
        forgetting.rollback()
    return counted


def assert_same_as_live(session, now) -> None:
    for role, office in SEATS:
        kept = figures(session, now, role, office)
        assert kept == live(session, now, role, office), (role, office)


@pytest.fixture
def weeks_of_work(session, clock):
    """Forty grievances over three weeks: answered fast or late, resolved, left silent, one integrity case."""
    rng = random.Random(7)
    made = []
    for i in range(40):
        category, area, text = COMPLAINTS[i % len(COMPLAINTS)]
        received = START - timedelta(days=20) + timedelta(hours=i * 12 + rng.randint(0, 5))
        grievance = builders.grievance(session, now=received, phone=f"+97798120050{i:02d}", category=category,
                                       admin_area=area, text=f"{text} ({i})")
        fate = rng.random()
        if fate < 0.6:
            services.acknowledge(session, grievance=grievance, actor=OFFICER,
                                 now=received + timedelta(hours=rng.choice([0.5, 3, 20, 70])))
        if fate < 0.3:
            services.resolve(session, grievance=grievance, actor=OFFICER, now=received + timedelta(hours=90),
                             note="Fixed")
        session.commit()
        made.append(grievance)
    assert any(g.confidentiality is Confidentiality.INTEGRITY for g in made)
    return made


def test_kept_days_give_the_figures_of_counting_live_at_any_later_time(session, session_factory, weeks_of_work):
    now = START
    before = {seat: live(session, now, *seat) for seat in SEATS}
    assert rollups.run(session_factory, now=now) == 21  # every day from the first grievance's to today
    assert session.scalar(select(func.count()).select_from(KpiRollup)) > 0
    assert session.scalar(select(func.count()).select_from(GrievanceChange)) == 0  # every mark consumed
    assert {seat: figures(session, now, *seat) for seat in SEATS} == before
    manager = figures(session, now, Role.MANAGER, "RV")
    assert manager[("total", "RV")][0]["received"] == 32  # integrity cases: not for managers
    assert figures(session, now, Role.ADMIN, "RV")[("total", "RV")][0]["received"] == 40

    later = now + timedelta(days=3)  # deadlines pass and silences grow without any write
    assert figures(session, later, Role.MANAGER, "RV") != before[(Role.MANAGER, "RV")]
    assert_same_as_live(session, later)
    assert rollups.run(session_factory, now=later) == 3  # only the days it had not reached
    assert rollups.run(session_factory, now=later) == 0


def test_a_change_shows_after_the_next_run_and_a_new_day_at_once(session, session_factory, weeks_of_work):
    rollups.run(session_factory, now=START)
    then = START + timedelta(hours=1)
    shown = figures(session, then, Role.MANAGER, "RV")
    silent = next(g for g in weeks_of_work if g.first_response_at is None
                  and g.confidentiality is not Confidentiality.INTEGRITY)
    services.acknowledge(session, grievance=silent, actor=OFFICER, now=then)
    session.commit()
    assert session.scalar(select(func.count()).select_from(GrievanceChange)) >= 1
    assert figures(session, then, Role.MANAGER, "RV") == shown  # as of the last run, at most an interval old
    assert rollups.run(session_factory, now=then) == 1  # that day only
    assert session.scalar(select(func.count()).select_from(GrievanceChange)) == 0
    assert figures(session, then, Role.MANAGER, "RV") != shown
    assert_same_as_live(session, then)

    tomorrow = START + timedelta(days=1, hours=2)  # a day the job has not reached is counted live
    builders.grievance(session, now=tomorrow, phone="+9779812005999", text="No water since this morning")
    assert figures(session, tomorrow, Role.MANAGER, "RV")[("total", "RV")][0]["received"] == 33
    assert_same_as_live(session, tomorrow)


def test_a_run_at_a_later_time_is_not_read_at_an_earlier_one(session, session_factory, weeks_of_work):
    rollups.run(session_factory, now=START + timedelta(days=5))  # a job run with --now in the future
    assert rollups.kept_days(session, START) == set()
    assert_same_as_live(session, START)
    assert rollups.run(session_factory, now=START) == 21  # counted again as of now


def test_the_sweep_moving_grievances_up_the_tree_marks_them(session, session_factory, weeks_of_work):
    rollups.run(session_factory, now=START)
    offices = dict(session.execute(select(Grievance.id, Grievance.office_id)).all())
    later, moved = START, set()
    for _ in range(3):  # level 1 alerts the head; level 2 hands the grievance to the district
        later += timedelta(days=7)
        seen = session.scalar(select(func.max(GrievanceChange.id))) or 0
        sweep.run(session_factory, now=later)
        now_at = dict(session.execute(select(Grievance.id, Grievance.office_id)).all())
        moving = {g for g, office in now_at.items() if office != offices[g]}
        assert moving <= set(session.scalars(select(GrievanceChange.grievance_id).where(GrievanceChange.id > seen)))
        moved |= moving
        offices = now_at
    assert moved
    rollups.run(session_factory, now=later)
    assert_same_as_live(session, later)
    district = figures(session, later, Role.OFFICE_HEAD, "RV-N")[("offices", "RV-N")][0]
    assert district["open"] > 0  # the district's own now


def test_a_transaction_marks_each_grievance_once_and_a_rolled_back_savepoint_takes_its_marks(session):
    def marks() -> list[int]:  # of this grievance: other tests may leave marks of their own in the database
        return list(session.scalars(select(GrievanceChange.grievance_id)
                                    .where(GrievanceChange.grievance_id == grievance.id)))

    grievance = builders.grievance(session, now=START)  # filing flushes several times
    assert marks() == [grievance.id]
    with session.begin_nested() as savepoint:
        grievance.admin_area = "RV-C"
        session.flush()
        savepoint.rollback()
    grievance.admin_area = "RV-S"  # the mark of the next commit must not be skipped as "already marked"
    session.commit()
    assert marks() == [grievance.id, grievance.id]
