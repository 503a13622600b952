"""The call-centre console: one citizen across channels, complaints filed and added on a caller's behalf,
voice messages summarised and sent on; operators only, every form with its CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from channels.voice.calls import Recording, file_recording
from core.outbox import OutboxChannel, OutboxMessage
from intake import services
from intake.actors import Actor, citizen_actor
from intake.models import ActorType, Channel, EventKind, Grievance, Role, Status
from intake.schemas import GrievanceDraft
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

CALLER = "+9779815550001"


@pytest.fixture
def operator(browser, session):
    builders.staff(session, username="call.operator", role=Role.OPERATOR, office="RV-CALL", now=START)
    assert sign_in(browser, "call.operator").status_code == 303
    return browser


def csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/staff/calls").text).group(1)


def test_the_caller_is_one_citizen_across_sms_web_and_telegram(operator, session, clock):
    by_sms = builders.grievance(session, now=clock.now, phone=CALLER, channel=Channel.SMS)
    by_web = builders.grievance(session, now=clock.now, phone="098-15550001", channel=Channel.WEB,
                                text="The streetlights on the ring road are off")
    chat = services.submit(session, draft=GrievanceDraft(text="Bus stop shelter is broken", channel=Channel.TELEGRAM),
                           actor=citizen_actor(None), now=clock.now, region="NP", telegram_chat_id=880011).grievance
    from intake.citizens import link_telegram

    link_telegram(session, chat_id=880011, phone=CALLER, now=clock.now)
    session.commit()
    page = operator.get("/staff/calls", params={"phone": "9815550001"})
    assert page.status_code == 200
    for grievance in (by_sms, by_web, chat):
        assert grievance.tracking_number in page.text
    assert "by telegram" in page.text and "by web" in page.text and "by sms" in page.text
    assert "3 grievances from +9779815550001" in page.text
    assert "with staff, to go to the right office" in page.text or "sent to" in page.text  # read-out words


def test_filing_for_a_caller_shows_the_number_and_secret_once_and_texts_the_caller(operator, session):
    form = {"csrf_token": csrf(operator), "key": "call-key-1", "phone": CALLER, "name": "Sita",
            "text": "The health post in ward 5 has had no medicine for two weeks", "language": "en"}
    page = operator.post("/staff/calls/file", data=form)
    assert page.status_code == 200 and "read this to the caller" in page.text
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.channel == Channel.CALL_CENTRE)
                               .order_by(Grievance.id.desc()).limit(1))
    assert " ".join(grievance.tracking_number) in page.text and "secret code" in page.text
    assert grievance.citizen.phone == CALLER and grievance.citizen.name == "Sita"
    submitted = grievance.events[0]
    assert submitted.actor_type is ActorType.STAFF and submitted.actor_role == "operator"
    sms = session.scalar(select(OutboxMessage).where(OutboxMessage.grievance_id == grievance.id))
    assert sms.channel is OutboxChannel.SMS and sms.recipient == CALLER and grievance.tracking_number in sms.body
    again = operator.post("/staff/calls/file", data=form)  # the operator pressed the button twice
    assert "already filed" in again.text and "secret code:" not in again.text
    assert session.scalar(select(Grievance.id).where(Grievance.channel == Channel.CALL_CENTRE)
                          .order_by(Grievance.id.desc()).limit(1)) == grievance.id


@pytest.mark.parametrize("field, value, words", [("text", "   ", "text"), ("phone", "12", "phone"),
                                                  ("category", "nonsense", "unknown category")],
                         ids=["empty", "bad-phone", "bad-category"])
def test_a_refused_filing_keeps_what_was_typed_and_stores_nothing(operator, session, field, value, words):
    before = session.scalar(select(Grievance.id).order_by(Grievance.id.desc()).limit(1))
    form = {"csrf_token": csrf(operator), "key": f"k-{field}", "phone": CALLER, "text": "Drain blocked near school",
            field: value}
    page = operator.post("/staff/calls/file", data=form)
    assert page.status_code == 422 and words in page.text.lower()
    if field != "text":
        assert "Drain blocked near school" in page.text
    session.expire_all()
    assert session.scalar(select(Grievance.id).order_by(Grievance.id.desc()).limit(1)) == before


def test_what_the_caller_adds_reaches_the_grievance_and_resumes_a_waiting_office(operator, session, clock):
    grievance = builders.grievance(session, now=clock.now, phone=CALLER)
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id, name="Officer")
    services.request_info(session, grievance=grievance, actor=officer, now=clock.now, note="Which house number?")
    session.commit()
    answer = operator.post("/staff/calls/add", data={"csrf_token": csrf(operator), "phone": CALLER,
                                                     "number": grievance.tracking_number, "text": "House 42"})
    assert answer.status_code == 303 and "done=added" in answer.headers["location"]
    session.expire_all()
    grievance = session.get(Grievance, grievance.id)
    assert grievance.status is Status.IN_PROGRESS
    added = grievance.events[-1]
    assert added.kind is EventKind.CITIZEN_ADDED and added.note == "House 42" and added.actor_role == "operator"


def test_a_voice_message_is_summarised_and_sent_to_its_office(operator, session, clock):
    grievance = file_recording(session, recording=Recording(
        sid="RE" + "5" * 32, url="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE5", seconds=37,
        call_sid="CA1", caller=CALLER), language="ne", now=clock.now, region="NP")
    session.commit()
    page = operator.get("/staff/calls")
    assert grievance.tracking_number in page.text and "Listen to the recording" in page.text
    answer = operator.post("/staff/calls/summarise", data={
        "csrf_token": csrf(operator), "number": grievance.tracking_number, "office": "RV-N-WATER",
        "category": "water", "summary": "No water in ward 4 of Northbank since Monday; the tap is dry."})
    assert answer.status_code == 303
    session.expire_all()
    grievance = session.get(Grievance, grievance.id)
    assert grievance.status is Status.ASSIGNED and grievance.office.code == "RV-N-WATER"
    assert grievance.text.startswith("No water in ward 4")
    summary = next(e for e in grievance.events if e.kind is EventKind.NOTE)
    assert summary.data["replaced"].startswith("[Voice message, 37 s")
    assert grievance.tracking_number not in operator.get("/staff/calls").text  # no longer waiting
    again = operator.post("/staff/calls/summarise", data={
        "csrf_token": csrf(operator), "number": grievance.tracking_number, "office": "RV-N-WATER",
        "summary": "twice"})
    assert again.status_code == 409


def test_a_summary_needs_an_office(operator, session, clock):
    grievance = file_recording(session, recording=Recording(sid="RE" + "6" * 32, url="https://x.example/r",
                                                            seconds=12, call_sid="CA2", caller=None),
                               language="en", now=clock.now, region="NP")
    session.commit()
    answer = operator.post("/staff/calls/summarise", data={"csrf_token": csrf(operator),
                                                           "number": grievance.tracking_number, "summary": "A pothole"})
    assert answer.status_code == 422 and "choose the office" in answer.text
    session.expire_all()
    assert session.get(Grievance, grievance.id).text.startswith("[Voice message")


def test_only_operators_use_the_console(browser, session):
    builders.staff(session, username="water.officer.calls", role=Role.OFFICER, now=START)
    assert sign_in(browser, "water.officer.calls").status_code == 303
    assert browser.get("/staff/calls").status_code == 403
    assert "/staff/calls" not in browser.get("/staff/inbox").text


def test_every_console_form_needs_its_csrf_token(operator, session, clock):
    grievance = builders.grievance(session, now=clock.now, phone=CALLER)
    for path, data in (("/staff/calls/file", {"phone": CALLER, "text": "x"}),
                       ("/staff/calls/add", {"number": grievance.tracking_number, "text": "x"}),
                       ("/staff/calls/summarise", {"number": grievance.tracking_number, "summary": "x"})):
        assert operator.post(path, data=data).status_code == 403, path
