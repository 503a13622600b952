"""The status machine under any sequence of actions: replaying the events gives the current status,
timestamps never go back, and a refused action changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.errors import DomainError
from intake import services
from intake.actors import Actor
from intake.models import ActorType, EventKind, Role, Status
from intake.queries import office_by_code
from routing.services import transfer
from tests import builders
from tests.conftest import START

STAFF = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, name="Test Officer")
CITIZEN = Actor(type=ActorType.CITIZEN, id="1")
OFFICE_SPEAKS = {EventKind.ACKNOWLEDGED, EventKind.RESPONDED, EventKind.INFO_REQUESTED, EventKind.RESOLVED}
ACTIONS = ["acknowledge", "respond", "request_info", "note", "resolve", "reopen", "close", "citizen_adds",
           "transfer_central", "transfer_north"]


def apply(session, grievance, action: str, now) -> None:
    if action == "citizen_adds":
        services.add_citizen_info(session, grievance=grievance, actor=CITIZEN, now=now, text="More details")
    elif action.startswith("transfer_"):
        code = {"transfer_central": "RV-C-WATER", "transfer_north": "RV-N-WATER"}[action]
        transfer(session, grievance=grievance, to_office=office_by_code(session, code), actor=STAFF, now=now,
                 note="not our area")
    else:
        getattr(services, {"note": "add_note"}.get(action, action))(
            session, grievance=grievance, actor=STAFF, now=now, note="a note")


def check_invariants(grievance) -> None:
    events = grievance.events
    replayed = [e.to_status for e in events if e.to_status is not None][-1]
    assert replayed == grievance.status
    times = [e.at for e in events]
    assert times == sorted(times), "event times went back"
    previous = None
    for event in events:
        if event.to_status is not None:
            assert event.from_status == previous, (event.kind, event.from_status, previous)
            assert event.to_status in services.ALLOWED[previous] if previous else event.to_status == Status.RECEIVED
            previous = event.to_status
    spoke = [e.at for e in events if e.kind in OFFICE_SPEAKS]
    assert grievance.first_response_at == (spoke[0] if spoke else None)
    assert (grievance.resolved_at is not None) == (grievance.status in (Status.RESOLVED, Status.CLOSED))
    assert (grievance.closed_at is not None) == (grievance.status == Status.CLOSED)
    assert grievance.updated_at == times[-1]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=-120, max_value=600)),
                      max_size=25))
def test_any_sequence_of_actions_keeps_the_invariants(session, steps):
    outer = session.begin_nested()
    try:
        grievance = builders.grievance(session, now=START, commit=False)
        now = START
        check_invariants(grievance)
        for action, minutes in steps:
            now = now + timedelta(minutes=minutes)  # clocks may disagree: negative steps too
            before = (grievance.status, len(grievance.events), grievance.office_id, grievance.first_response_at)
            point = session.begin_nested()
            try:
                apply(session, grievance, action, now)
                session.flush()
                point.commit()
            except DomainError:
                point.rollback()
                session.refresh(grievance)
                after = (grievance.status, len(grievance.events), grievance.office_id, grievance.first_response_at)
                assert after == before
            check_invariants(grievance)
    finally:
        outer.rollback()
        session.expunge_all()  # the next example starts from what the database holds


@pytest.mark.parametrize(("start", "to"), [
    (Status.CLOSED, Status.IN_PROGRESS), (Status.TRIAGE, Status.RESOLVED), (Status.RESOLVED, Status.ASSIGNED),
    (Status.RECEIVED, Status.CLOSED),
], ids=["closed-reopen", "triage-resolve", "resolved-transfer", "received-close"])
def test_forbidden_moves_raise(session, start, to):
    grievance = builders.grievance(session, now=START)
    grievance.status = start
    with pytest.raises(services.InvalidTransition):
        services.transition(session, grievance=grievance, to=to, actor=STAFF, now=START)


def test_transition_records_who_did_it(session):
    grievance = builders.grievance(session, now=START)
    event = services.transition(session, grievance=grievance, to=Status.IN_PROGRESS, actor=STAFF,
                                now=START + timedelta(hours=1), note="On it")
    assert (event.actor_type, event.actor_id, event.actor_role, event.actor_name) == (
        ActorType.STAFF, "7", "officer", "Test Officer")
    assert (event.from_status, event.to_status, event.public) == (Status.ASSIGNED, Status.IN_PROGRESS, True)
