"""Post-service surveys: scheduling in allowed hours at the provider's rate, reminders and expiry, and the answers
arriving by SMS that open routed, integrity and reopened grievances."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.outbox import OutboxMessage
from core.segments import segments
from intake import citizens, services
from intake.actors import Actor
from intake.models import ActorType, Channel, Confidentiality, Grievance, Office, Role, Status
from intake.queries import office_by_code
from surveys import schedule
from surveys.models import ServiceDelivery, Survey, SurveyKind, SurveyStatus, SurveyStep
from surveys.policy import SurveyPolicy
from tests import builders
from tests.conftest import START

NPT = timedelta(hours=5, minutes=45)  # START (09:00 UTC) is 14:45 in Kathmandu
PHONE = "+9779816660001"
_refs = itertools.count(1)
_sids = itertools.count(1)


def policy(**changes) -> SurveyPolicy:
    return SurveyPolicy(default_timezone="Asia/Kathmandu", **changes)


def delivered(session, *, phone=PHONE, at=START - timedelta(hours=1), office="RV-N-WATER",
              service="new_connection") -> ServiceDelivery:
    office_id = office_by_code(session, office).id
    row = ServiceDelivery(reference=f"REF-{next(_refs)}", phone=phone, office_id=office_id, service=service,
                          delivered_at=at, created_at=at, source="api")
    session.add(row)
    session.commit()
    return row


def survey_of(session, delivery: ServiceDelivery) -> Survey:
    session.expire_all()
    return session.scalar(select(Survey).where(Survey.delivery_id == delivery.id))


def invitations(session, phone=PHONE) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == phone,
                                                            OutboxMessage.purpose.in_(("survey", "survey_reminder")))
                                .order_by(OutboxMessage.id)))


def test_an_invitation_goes_the_set_delay_after_the_service_in_allowed_hours(session_factory, session):
    delivery = delivered(session)  # 13:45 in Kathmandu
    counts = schedule.run(session_factory, now=START, policy=policy())
    survey = survey_of(session, delivery)
    assert counts.scheduled >= 1 and survey.status is SurveyStatus.SCHEDULED
    assert survey.due_at == START + timedelta(hours=1)  # two hours after the service, 15:45 local
    assert invitations(session) == []  # not due yet
    schedule.run(session_factory, now=START + timedelta(hours=1), policy=policy())
    [invitation] = invitations(session)
    assert "Reply 1 (very bad) to 5 (very good)" in invitation.body and "STOP" in invitation.body
    assert survey_of(session, delivery).status is SurveyStatus.SENT


def test_a_late_service_is_surveyed_the_next_morning_and_never_at_night(session_factory, session):
    evening = START.replace(hour=12, minute=30) + timedelta(days=1)  # 18:15 local: due at 20:15, after hours
    delivery = delivered(session, at=evening, phone="+9779816660002")
    schedule.run(session_factory, now=evening, policy=policy())
    survey = survey_of(session, delivery)
    assert (survey.due_at + NPT).hour == 9 and (survey.due_at + NPT).date() == (evening + NPT).date() + timedelta(1)
    night = survey.due_at + timedelta(hours=12)  # 21:00 local, past due but outside the hours
    session.execute(Survey.__table__.update().where(Survey.id == survey.id).values(due_at=night - timedelta(hours=1)))
    session.commit()
    schedule.run(session_factory, now=night, policy=policy())
    assert invitations(session, "+9779816660002") == []
    schedule.run(session_factory, now=night + timedelta(hours=12), policy=policy())  # 09:00 local
    assert len(invitations(session, "+9779816660002")) == 1


def test_an_invitation_names_the_day_of_the_service_not_the_day_it_is_sent(session_factory, session):
    monday = delivered(session, phone="+9779816660008", at=START)  # 14:45 in Kathmandu
    wednesday = START + timedelta(days=2)
    schedule.run(session_factory, now=wednesday, policy=policy())
    schedule.run(session_factory, now=wednesday + timedelta(hours=25), policy=policy())  # Thursday's reminder
    sent = invitations(session, monday.phone)
    assert [m.purpose for m in sent] == ["survey", "survey_reminder"]
    for message in sent:
        assert "Northbank Water Utility Branch on 16 Nov?" in message.body, message.body
        assert "18 Nov" not in message.body and "19 Nov" not in message.body


def test_the_day_is_the_offices_and_in_the_citizens_language(session_factory, session):
    services.find_or_create_citizen(session, phone="+9779816660009", chat_id=None, name=None, language="ne",
                                    now=START)
    early = delivered(session, phone="+9779816660009", at=START.replace(hour=23, minute=15))  # Tue 05:00 office time
    utc = SurveyPolicy(default_timezone="UTC")  # only the office's clock says Tuesday
    schedule.run(session_factory, now=START + timedelta(days=2), policy=utc)
    [invitation] = invitations(session, early.phone)
    assert "17 नोभेम्बर" in invitation.body and "16 " not in invitation.body, invitation.body


def test_a_service_invitation_keeps_to_the_sms_budget_for_the_longest_office_and_month(session):
    """One GSM-7 part in English, three in Nepali (as the conversation's replies), reminder included."""
    longest = max(session.scalars(select(Office)), key=lambda office: len(office.name))
    for month, language, reminder in itertools.product(range(1, 13), ("en", "ne"), (False, True)):
        text = schedule.invitation(kind=SurveyKind.DELIVERY, language=language, channel="sms", office=longest,
                                   delivered_at=START.replace(month=month, day=28), reminder=reminder)
        assert segments(text) <= (1 if language == "en" else 3), (segments(text), text)


def test_opted_out_sampled_out_and_recently_surveyed_citizens_are_skipped_with_the_reason(session_factory, session):
    citizens.opt_out(session, phone="+9779816660003", now=START)
    session.commit()
    stopped = delivered(session, phone="+9779816660003")
    first = delivered(session, phone="+9779816660004")
    second = delivered(session, phone="+9779816660004", service="renewal")
    sampled_out = delivered(session, phone="+9779816660005", office="RV-C-ROADS")
    schedule.run(session_factory, now=START, policy=policy(sampling={"": 1.0, "RV-C-ROADS": 0.0}))
    assert survey_of(session, stopped).skip_reason == "opted_out"
    assert survey_of(session, first).status is SurveyStatus.SCHEDULED
    assert survey_of(session, second).skip_reason == "surveyed_recently"
    assert survey_of(session, sampled_out).skip_reason == "not_sampled"
    again = schedule.run(session_factory, now=START, policy=policy())  # a re-run schedules nothing twice
    assert again.scheduled == 0 and again.skipped == 0


def test_invitations_leave_at_the_providers_rate(session_factory, session):
    rows = [delivered(session, phone=f"+97798166601{n:02d}") for n in range(5)]
    slow = policy(rate_per_minute=2, interval=timedelta(minutes=1))
    assert schedule.run(session_factory, now=START + timedelta(hours=1), policy=slow).sent == 2
    sent = [m for r in rows for m in invitations(session, r.phone)]
    assert len(sent) == 2 and sent[1].next_attempt_at - sent[0].next_attempt_at == timedelta(seconds=30)
    assert schedule.run(session_factory, now=START + timedelta(hours=1, minutes=1), policy=slow).sent == 2


def test_one_reminder_then_the_survey_expires(session_factory, session):
    delivery = delivered(session, phone="+9779816660006")
    at = START + timedelta(hours=1)
    schedule.run(session_factory, now=at, policy=policy())
    schedule.run(session_factory, now=at + timedelta(hours=24), policy=policy())
    schedule.run(session_factory, now=at + timedelta(hours=25), policy=policy())
    sent = invitations(session, "+9779816660006")
    assert [m.purpose for m in sent] == ["survey", "survey_reminder"] and sent[1].body.startswith("Reminder:")
    schedule.run(session_factory, now=at + timedelta(hours=72), policy=policy())
    assert survey_of(session, delivery).status is SurveyStatus.EXPIRED


def sms(client, body: str, phone: str = PHONE) -> None:
    answer = client.post("/webhooks/twilio/sms", data={"MessageSid": f"SM{next(_sids):032x}", "From": phone,
                                                      "Body": body, "To": "+15550100"})
    assert answer.status_code == 200, answer.text


def last_reply(session, phone: str = PHONE) -> str:
    session.expire_all()
    return session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == phone)
                           .order_by(OutboxMessage.id.desc())).first()


@pytest.fixture
def invited(session_factory, session, client, model):
    """A delivery whose survey invitation has gone out."""
    delivery = delivered(session)
    schedule.run(session_factory, now=START + timedelta(hours=1), policy=policy())
    return delivery


def test_a_bad_score_asks_what_went_wrong_and_opens_a_routed_grievance_linked_to_the_delivery(
        invited, client, session):
    sms(client, "2")
    assert "What went wrong?" in last_reply(session)
    sms(client, "they made me wait 3 hours")
    survey = survey_of(session, invited)
    assert survey.score == 2 and survey.comment == "they made me wait 3 hours" and survey.step is SurveyStep.PAYMENT
    grievance = session.get(Grievance, survey.followup_grievance_id)
    assert grievance.channel is Channel.SURVEY and grievance.office is not None and grievance.status is Status.ASSIGNED
    assert grievance.events[0].data["delivery_reference"] == invited.reference
    assert grievance.citizen.phone == PHONE
    assert "extra payment" in last_reply(session)
    sms(client, "no")
    assert survey_of(session, invited).status is SurveyStatus.ANSWERED
    assert "Thank you" in last_reply(session)


def test_yes_to_the_payment_question_reaches_oversight_and_not_the_office(invited, client, session):
    sms(client, "4")
    assert "extra payment" in last_reply(session)
    sms(client, "yes")
    survey = survey_of(session, invited)
    assert survey.paid is True and survey.status is SurveyStatus.ANSWERED
    grievance = session.get(Grievance, survey.integrity_grievance_id)
    assert grievance.confidentiality is Confidentiality.INTEGRITY
    assert grievance.office.is_integrity_unit and grievance.office_id != invited.office_id
    assert "new_connection" in grievance.text


def test_an_unclear_answer_gets_one_clarifying_question(invited, client, session):
    sms(client, "maybe")
    assert "one number from 1" in last_reply(session)
    sms(client, "hmm")
    survey = survey_of(session, invited)
    assert survey.status is SurveyStatus.ANSWERED and survey.score is None and survey.comment == "hmm"


def test_a_new_complaint_during_a_survey_is_a_new_complaint(invited, client, session):
    sms(client, "The transformer near the school has been sparking since last night")
    assert survey_of(session, invited).step is SurveyStep.SCORE  # still waiting for its answer
    assert "Tracking no." in last_reply(session)


def test_a_low_score_after_a_resolution_reopens_the_grievance(session_factory, session, client, model):
    grievance = builders.grievance(session, now=START - timedelta(hours=5), phone="+9779816660007")
    officer = Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id, name="Officer")
    services.resolve(session, grievance=grievance, actor=officer, now=START - timedelta(hours=4), note="Fixed")
    session.commit()
    schedule.run(session_factory, now=START, policy=policy())
    invitation = invitations(session, "+9779816660007")[-1]
    assert "resolved" in invitation.body and "Reply 1 (not at all) to 5 (fully)" in invitation.body
    sms(client, "1", phone="+9779816660007")
    assert "will be reopened" in last_reply(session, "+9779816660007")
    sms(client, "still no water at all", phone="+9779816660007")
    session.expire_all()
    reopened = session.get(Grievance, grievance.id)
    assert reopened.status is Status.IN_PROGRESS and reopened.reopen_count == 1
    assert any(e.note == "still no water at all" for e in reopened.events)
    schedule.run(session_factory, now=START + timedelta(hours=1), policy=policy())  # no second survey for it yet
    assert len([m for m in invitations(session, "+9779816660007") if m.purpose == "survey"]) == 1


def test_results_reach_the_dashboard_and_the_meeting_pack_with_the_negative_comments(
        session_factory, session, browser):
    from intake.queries import office_by_code as office
    from surveys.models import SurveyKind
    from tests.test_staff_signin import sign_in

    water = office(session, "RV-N-WATER")
    for n, score in enumerate([1, 2, 4, 5, 5, 3]):
        session.add(Survey(key=f"result:{n}", kind=SurveyKind.DELIVERY, office_id=water.id, service="new_connection",
                           channel="sms", recipient=f"+97798166609{n:02d}", language="en",
                           status=SurveyStatus.ANSWERED, step=SurveyStep.DONE, due_at=START, sent_at=START,
                           answered_at=START - timedelta(minutes=60 + n), score=score, paid=n == 0,
                           comment="The clerk sent me away twice" if score == 1 else None, created_at=START))
    session.commit()
    builders.staff(session, username="survey.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    assert sign_in(browser, "survey.head").status_code == 303
    board = browser.get("/staff/dashboard").text
    assert "Satisfaction after a service" in board and "Northbank Water" in board
    assert "3.3" in board and "33 %" in board  # the mean of six answers, two of them 1 or 2
    assert "The clerk sent me away twice" in board
    pack = browser.get("/staff/meeting", params={"week": "2026-W47"}).text
    assert "6 survey answers this week" in pack and "The clerk sent me away twice" in pack
    few = browser.get("/staff/meeting", params={"week": "2026-W46"}).text
    assert "No survey answers this week" in few


def test_below_the_minimum_count_no_survey_figure_is_published(session):
    from intake.queries import office_by_code as office
    from surveys.models import SurveyKind
    from surveys.results import satisfaction

    water = office(session, "RV-N-WATER")
    for n in range(3):
        session.add(Survey(key=f"few:{n}", kind=SurveyKind.DELIVERY, office_id=water.id, service="renewal",
                           channel="sms", recipient=f"+97798166608{n:02d}", language="en",
                           status=SurveyStatus.ANSWERED, step=SurveyStep.DONE, due_at=START, sent_at=START,
                           answered_at=START, score=1, created_at=START))
    session.flush()
    result = satisfaction(session, office_ids={water.id}, since=START - timedelta(days=1),
                          until=START + timedelta(days=1), min_count=5, timezone="Asia/Kathmandu")
    assert result.total.answered == 3 and not result.total.published and result.offices[0].mean is None
