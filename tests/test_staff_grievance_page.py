"""Working a grievance from the staff pages: the page, each action, refusals that change nothing."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import func, select

from core.outbox import OutboxMessage
from escalation.models import Deadline, DeadlineKind
from intake.models import EventKind, Grievance, GrievanceEvent, Role, StaffSession, StaffUser, Status
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

CITIZEN = "+9779812002001"


@pytest.fixture
def water(session):
    return builders.grievance(session, now=START, phone=CITIZEN, text="No water in Northbank ward 3 for four days")


def csrf(session) -> str:
    return session.scalar(select(StaffSession.csrf_token).where(StaffSession.ended_at.is_(None))
                          .order_by(StaffSession.created_at.desc()))


def act(browser, session, number, action, **fields):
    return browser.post(f"/staff/grievances/{number}/act", data={"csrf_token": csrf(session), "action": action,
                                                                 **fields})


def sent_to_citizen(session) -> list[str]:
    return session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == CITIZEN)
                           .order_by(OutboxMessage.id)).all()


def test_an_officer_works_a_grievance_from_the_inbox_to_resolution(browser, session, clock, water):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    number = water.tracking_number
    page = browser.get(f"/staff/grievances/{number}")
    assert page.status_code == 200
    assert "No water in Northbank ward 3" in page.text and "first response" in page.text
    assert CITIZEN in page.text  # officers call back: they see the number
    for action, fields in [("acknowledge", {}), ("respond", {"note": "A tanker comes tomorrow at 9."}),
                           ("note", {"note": "Main valve at ward 3 is broken."}),
                           ("resolve", {"note": "Valve replaced; water is back."})]:
        clock.advance(minutes=10)
        done = act(browser, session, number, action, **fields)
        assert done.status_code == 303, done.text
        assert done.headers["location"] == f"/staff/grievances/{number}?done={action}"
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.tracking_number == number))
    assert grievance.status is Status.RESOLVED
    worked = [EventKind.ACKNOWLEDGED, EventKind.RESPONDED, EventKind.NOTE, EventKind.RESOLVED]
    assert [e.kind for e in grievance.events if e.kind in worked] == worked
    messages = sent_to_citizen(session)
    assert any("A tanker comes tomorrow at 9." in m for m in messages)
    assert not any("Main valve" in m for m in messages)  # the internal note never leaves
    clocks = session.scalars(select(Deadline).where(Deadline.grievance_id == grievance.id)).all()
    assert all(d.met_at is not None for d in clocks if d.kind in (DeadlineKind.FIRST_RESPONSE,
                                                                   DeadlineKind.RESOLUTION))
    page = browser.get(f"/staff/grievances/{number}?done=resolve")
    assert "Resolved; the citizen is told" in page.text and "Main valve at ward 3 is broken." in page.text


def test_a_refused_action_says_why_and_changes_nothing(browser, session, water):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    before = session.scalar(select(func.count()).select_from(GrievanceEvent))
    refused = act(browser, session, water.tracking_number, "respond", note="   ")
    assert refused.status_code == 422 and 'role="alert"' in refused.text
    wrong_office = act(browser, session, water.tracking_number, "transfer", office="NOPE", note="wrong place")
    assert wrong_office.status_code == 422 and "unknown office" in wrong_office.text
    unknown = act(browser, session, water.tracking_number, "explode")
    assert unknown.status_code == 422
    assert session.scalar(select(func.count()).select_from(GrievanceEvent)) == before


def test_actions_need_the_forms_csrf_token(browser, session, water):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    forged = browser.post(f"/staff/grievances/{water.tracking_number}/act", data={"action": "acknowledge"})
    assert forged.status_code == 403
    session.expire_all()
    assert session.get(Grievance, water.id).status is Status.ASSIGNED


def test_another_offices_grievance_is_not_found_and_cannot_be_acted_on(browser, session, water):
    builders.staff(session, username="central.officer", office="RV-C-WATER", now=START)
    sign_in(browser, "central.officer")
    assert browser.get(f"/staff/grievances/{water.tracking_number}").status_code == 404
    assert act(browser, session, water.tracking_number, "acknowledge").status_code == 404
    session.expire_all()
    assert session.get(Grievance, water.id).status is Status.ASSIGNED


def test_a_transfer_away_returns_to_the_inbox_and_a_duplicate_is_linked(browser, session, water):
    builders.staff(session, username="water.officer", now=START)
    other = builders.grievance(session, now=START, phone="+9779812002002", text="Northbank ward 3 taps are dry")
    sign_in(browser, "water.officer")
    linked = act(browser, session, other.tracking_number, "duplicate", duplicate_of=water.tracking_number.lower())
    assert linked.status_code == 303
    assert water.tracking_number in browser.get(f"/staff/grievances/{other.tracking_number}").text
    again = act(browser, session, other.tracking_number, "duplicate", duplicate_of=water.tracking_number)
    assert again.status_code == 409
    moved = act(browser, session, water.tracking_number, "transfer", office="RV-N-ROADS", category="roads",
                note="A burst pipe under the road: roads must dig")
    assert moved.status_code == 303 and moved.headers["location"].startswith("/staff/inbox")
    assert browser.get(f"/staff/grievances/{water.tracking_number}").status_code == 404


def test_a_transfer_names_both_offices_and_is_credited_to_the_officer_and_office_that_sent_it(browser, session,
                                                                                               clock, water):
    builders.staff(session, username="gopal", now=START)
    session.scalar(select(StaffUser).where(StaffUser.username == "gopal")).display_name = "Gopal Gurung"
    builders.staff(session, username="north.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "gopal")
    moved = act(browser, session, water.tracking_number, "transfer", office="RV-N-ROADS", category="roads",
                note="A burst pipe under the road: roads must dig")
    assert moved.status_code == 303
    session.expire_all()
    event = session.scalars(select(GrievanceEvent).where(GrievanceEvent.grievance_id == water.id,
                                                         GrievanceEvent.kind == EventKind.TRANSFERRED)).one()
    assert (event.office.code, event.data["from_office"], event.data["to_office"], event.actor_name) == (
        "RV-N-WATER", "RV-N-WATER", "RV-N-ROADS", "Gopal Gurung")
    clock.advance(hours=1)
    sign_in(browser, "north.head")
    page = browser.get(f"/staff/grievances/{water.tracking_number}")
    assert page.status_code == 200
    assert re.search(r"<strong>Transferred from Northbank Water Utility Branch to Northbank Roads and Public Works "
                     r"Division</strong>[^<]*·[^<]*· Gopal Gurung \(officer\)", page.text), page.text
    figures = {r["code"]: r for r in csv.DictReader(io.StringIO(browser.get("/staff/dashboard.csv").text))}
    assert figures["RV-N-WATER"]["transfers_out"] == "1"  # the sender's figure, as before
    assert figures["RV-N-ROADS"]["transfers_out"] in ("0", "")


def test_a_manager_sees_a_masked_phone(browser, session, water):
    builders.staff(session, username="rv.manager2", role=Role.MANAGER, office="RV", now=START)
    sign_in(browser, "rv.manager2")
    page = browser.get(f"/staff/grievances/{water.tracking_number}")
    assert page.status_code == 200 and CITIZEN not in page.text
    assert re.search(r"\+977\S*•+|\*{3,}", page.text) or CITIZEN[-3:] in page.text


def test_a_standard_reply_is_offered_in_the_citizens_language_and_sent_filled_in(browser, session, water):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    page = browser.get(f"/staff/grievances/{water.tracking_number}")
    options = re.findall(r'<option value="(\d+)" data-text="([^"]*)" lang="(\w+)">([^<]+)</option>', page.text)
    assert options and options[0][2] == "en"  # the citizen wrote in English: English replies first
    assert {"Tanker on its way (en)", "टोली पठाइयो (ne)"} & {o[3] for o in options} == {"Tanker on its way (en)"}
    tanker = next(o for o in options if o[3] == "Tanker on its way (en)")
    assert act(browser, session, water.tracking_number, "respond", note="", reply=tanker[0]).status_code == 303
    assert any("water tanker will come to your area" in body for body in sent_to_citizen(session))


def test_broken_replies_in_a_directory_are_refused(session):
    from core.errors import InvalidInput
    from directory.document import parse

    for reply, says in [({"language": "en", "title": "x"}, "'text' is required"),
                        ({"language": "en", "title": "x", "text": "Hi {name}"}, "only {tracking} and {office}"),
                        ({"language": "en", "title": "x", "text": "Hi", "category": "nope"}, "unknown category")]:
        with pytest.raises(InvalidInput, match=re.escape(says)), session.begin_nested():
            parse({"replies": [reply]})
