"""Each process keeps the directory's clocks until the directory changes, in this process or another."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from app import migrate
from app.demo import DIRECTORY
from core import directory_version
from core.db import make_engine, make_sessionmaker, transaction
from directory.services import import_holidays, load_file
from escalation.models import Deadline, DeadlineKind, SlaPolicy
from escalation.services import Clocks
from intake.models import Office
from tests import builders
from tests.conftest import START


def test_the_clocks_are_shared_until_the_directory_changes(new_database_url):
    """Two engines on one database stand for two processes: only the token in the database tells of a change."""
    url = new_database_url()
    engines = [make_engine(url), make_engine(url)]
    try:
        migrate.upgrade(engines[0])
        mine, theirs = (make_sessionmaker(engine) for engine in engines)
        with transaction(mine) as session:
            load_file(session, path=DIRECTORY, actor="test", now=START)
        with mine() as session:
            first = Clocks.current(session)
        with mine() as session:
            assert Clocks.current(session) is first
        with transaction(theirs) as session:
            session.scalar(select(Office).where(Office.code == "RV-N")).name = "Northbank Municipality Office"
        with mine() as session:
            second = Clocks.current(session)
            northbank = session.scalar(select(Office.id).where(Office.code == "RV-N"))
        assert second is not first and second.offices[northbank].name == "Northbank Municipality Office"
        with mine() as session:
            assert Clocks.current(session) is second
    finally:
        for engine in engines:
            engine.dispose()


def test_reading_the_directory_without_changing_it_keeps_the_token(session):
    before = directory_version.current(session)
    for office in session.scalars(select(Office)):
        office.name = office.name  # set, but not changed
    session.flush()
    assert directory_version.current(session) == before


def test_a_new_holiday_moves_the_next_deadline_at_once(session):
    monday = builders.grievance(session, now=START, phone="+9779812000600", commit=False)
    session.flush()
    due = _first_response_due(session, monday)
    import_holidays(session, calendar_code="NP-GOV", holidays=[(date(2026, 11, 17), "A new holiday")], source="test",
                    actor="tester", now=START)
    tuesday_holiday = builders.grievance(session, now=START, phone="+9779812000601", commit=False)
    session.flush()
    assert _first_response_due(session, tuesday_holiday) == due + timedelta(days=1)


def test_a_changed_sla_applies_to_grievances_received_after_it(session):
    for policy in session.scalars(select(SlaPolicy)):
        policy.warn_fraction = 0.5
    grievance = builders.grievance(session, now=START, phone="+9779812000602", commit=False)
    session.flush()
    deadline = session.scalar(select(Deadline).where(Deadline.grievance_id == grievance.id,
                                                     Deadline.kind == DeadlineKind.FIRST_RESPONSE))
    clocks = Clocks.current(session)
    worked = clocks.between(deadline.started_at, deadline.warn_at, office_id=deadline.office_id, basis=deadline.basis)
    assert worked == timedelta(hours=deadline.hours / 2)


def _first_response_due(session, grievance):
    return session.scalar(select(Deadline.due_at).where(Deadline.grievance_id == grievance.id,
                                                        Deadline.kind == DeadlineKind.FIRST_RESPONSE))
