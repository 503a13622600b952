"""The SMS channel end to end: webhooks signed with the twilio SDK's own validator, the whole conversation,
replies in the citizen's language and within one segment, opt-out, and delivery status callbacks."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.main import create_app
from core.outbox import OutboxMessage
from core.segments import encoding, segments
from core.settings import Settings
from intake import citizens, services
from intake.actors import Actor
from intake.models import (
    ESCALATION_STEPS,
    ActorType,
    Citizen,
    EventKind,
    Grievance,
    GrievanceEvent,
    InboundMessage,
    Role,
    Status,
)

ACCOUNT = "AC" + "1" * 32
TOKEN = "test-auth-token"
PUBLIC = "https://redress.example.org"  # what Twilio calls; the app itself sees http://testserver
SMS_URL = PUBLIC + "/webhooks/twilio/sms"
STATUS_URL = PUBLIC + "/webhooks/twilio/status"
PHONE = "+9779812000100"
OTHER_PHONE = "+9779812000200"
WATER = "No water in our tole for 3 days, taps completely dry, Northbank ward 3"
OFFICER = Actor(type=ActorType.STAFF, id="1", role=Role.OFFICER, name="Officer")
_sids = itertools.count(1)


def new_sid() -> str:
    return f"SM{next(_sids):032x}"


@pytest.fixture
def sms_settings(database_url) -> Settings:
    return Settings(_env_file=None, database_url=database_url, scheduler_enabled=False, default_region="NP",
                    timezone="Asia/Kathmandu", languages=["en", "ne"], sms_provider="twilio",
                    twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_from_number="+15550100",
                    public_base_url=PUBLIC, twilio_api_base="http://127.0.0.1:9")


@pytest.fixture
def sms(sms_settings, engine, session_factory, clock, model):
    app = create_app(sms_settings, engine=engine, session_factory=session_factory, clock=clock)
    with TestClient(app) as client:
        yield client


def signed(client, url, params, *, token=TOKEN, signed_url=None):
    signature = RequestValidator(token).compute_signature(signed_url or PUBLIC + url, params)
    return client.post(url, data=params, headers={"X-Twilio-Signature": signature})


def text(client, body, *, phone=PHONE, sid=None, **extra):
    params = {"MessageSid": sid or new_sid(), "AccountSid": ACCOUNT, "From": phone, "To": "+15550100",
              "Body": body, "NumMedia": "0", **extra}
    response = signed(client, "/webhooks/twilio/sms", params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    assert "<Response" in response.text and "<Message" not in response.text  # replies leave via the outbox
    return response


def replies(session, phone=PHONE) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage.body).where(OutboxMessage.recipient == phone)
                                .order_by(OutboxMessage.id)))


def last_reply(session, phone=PHONE) -> str:
    return replies(session, phone)[-1]


def grievances_of(session, phone=PHONE) -> list[Grievance]:
    session.expire_all()
    return list(session.scalars(select(Grievance).join(Grievance.citizen).where(Citizen.phone == phone)
                                .order_by(Grievance.id)))


def counts(session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(table))
                 for table in (Grievance, OutboxMessage, InboundMessage, Citizen))


# --- the webhook: signatures and retries -------------------------------------------------------------------------

def test_a_new_sms_opens_a_routed_grievance_and_the_reply_names_its_number_and_office(sms, session):
    text(sms, "No water in our tole for 3 days, taps completely dry. Ward 3, Northbank")
    [grievance] = grievances_of(session)
    assert grievance.channel.value == "sms" and grievance.status is Status.ASSIGNED
    assert grievance.office is not None
    reply = last_reply(session)
    assert grievance.tracking_number in reply and grievance.office.name in reply
    assert f"STATUS {grievance.tracking_number}" in reply
    assert segments(reply) == 1
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == PHONE))
    assert message.urgent and message.grievance_id == grievance.id


@pytest.mark.parametrize("case", ["missing", "wrong-token", "tampered-body", "signed-for-internal-url"])
def test_a_bad_signature_is_refused_and_writes_nothing(sms, session, case):
    before = counts(session)
    params = {"MessageSid": new_sid(), "AccountSid": ACCOUNT, "From": PHONE, "To": "+15550100", "Body": "hello"}
    headers = {}
    if case != "missing":
        token = "not-the-token" if case == "wrong-token" else TOKEN
        url = "http://testserver/webhooks/twilio/sms" if case == "signed-for-internal-url" else SMS_URL
        headers["X-Twilio-Signature"] = RequestValidator(token).compute_signature(url, params)
    if case == "tampered-body":
        params["Body"] = "something else"
    response = sms.post("/webhooks/twilio/sms", data=params, headers=headers)
    assert response.status_code == 403 and response.json()["code"] == "bad_signature"
    assert counts(session) == before


def test_a_retry_of_the_same_message_sid_gets_the_same_answer_and_creates_nothing(sms, session):
    sid = new_sid()
    first = text(sms, "garbage not collected for two weeks, bins overflowing", sid=sid)
    after_first = counts(session)
    for _ in range(3):
        again = text(sms, "garbage not collected for two weeks, bins overflowing", sid=sid)
        assert again.text == first.text
    assert counts(session) == after_first
    assert len(grievances_of(session)) == 1 and len(replies(session)) == 1


def test_without_an_auth_token_the_endpoint_refuses(database_url, engine, session_factory, clock, session):
    settings = Settings(_env_file=None, database_url=database_url, scheduler_enabled=False, environment="production",
                        secret_key="x" * 40, sms_provider="console")
    app = create_app(settings, engine=engine, session_factory=session_factory, clock=clock)
    before = counts(session)
    with TestClient(app) as client:
        response = client.post("/webhooks/twilio/sms", data={"MessageSid": new_sid(), "From": PHONE, "Body": "hi"})
    assert response.status_code == 403 and "REDRESS_TWILIO_AUTH_TOKEN" in response.json()["detail"]
    assert counts(session) == before


def test_console_development_mode_takes_unsigned_sms(client, session):
    """The dev page simulates inbound SMS without a provider; nothing else accepts unsigned requests."""
    response = client.post("/webhooks/twilio/sms", data={"MessageSid": new_sid(), "From": PHONE,
                                                         "Body": "streetlight broken near the temple"})
    assert response.status_code == 200
    assert len(grievances_of(session)) == 1


def test_a_message_for_another_account_is_refused(sms, session):
    before = counts(session)
    params = {"MessageSid": new_sid(), "AccountSid": "AC" + "9" * 32, "From": PHONE, "Body": "hello"}
    assert signed(sms, "/webhooks/twilio/sms", params).status_code == 403
    assert counts(session) == before


@pytest.mark.parametrize(("params", "status"), [
    ({"From": PHONE, "Body": "x"}, 422),
    ({"MessageSid": "SMx", "Body": "x"}, 422),
    ({"MessageSid": "SMx", "From": "not-a-phone", "Body": "x"}, 422),
    ({"MessageSid": "SMx", "From": PHONE, "Body": "x" * 5000}, 422),
    ({"MessageSid": "S" * 200, "From": PHONE, "Body": "x"}, 422),
], ids=["no-sid", "no-from", "bad-from", "huge-body", "huge-sid"])
def test_malformed_but_signed_requests_get_a_clear_error_and_write_nothing(sms, session, params, status):
    before = counts(session)
    response = signed(sms, "/webhooks/twilio/sms", {"AccountSid": ACCOUNT, **params})
    assert response.status_code == status and response.json()["detail"]
    assert counts(session) == before


# --- the conversation -----------------------------------------------------------------------------------------------

def test_status_answers_the_state_and_the_last_public_update(sms, session, clock):
    text(sms, WATER)
    [grievance] = grievances_of(session)
    clock.advance(hours=3)
    services.respond(session, grievance=grievance, actor=OFFICER, now=clock.now,
                     note="A tanker comes tomorrow morning.")
    session.commit()
    text(sms, f"STATUS {grievance.tracking_number}")
    reply = last_reply(session)
    assert reply.startswith(grievance.tracking_number)
    assert "is working on it" in reply and "A tanker comes tomorrow morning." in reply
    assert segments(reply) == 1
    text(sms, grievance.tracking_number.replace("-", "").lower())  # the number alone, any case
    assert last_reply(session) == reply
    text(sms, f"stauts {grievance.tracking_number}")  # a typo in the keyword
    assert last_reply(session) == reply


def test_status_of_someone_elses_grievance_reveals_nothing(sms, session):
    text(sms, WATER, phone=OTHER_PHONE)
    [theirs] = grievances_of(session, OTHER_PHONE)
    text(sms, f"STATUS {theirs.tracking_number}")
    reply = last_reply(session)
    assert "found no complaint" in reply and "water" not in reply.lower()
    assert theirs.office.name not in reply


def test_a_mistyped_tracking_number_is_caught(sms, session):
    text(sms, WATER)
    [grievance] = grievances_of(session)
    number = grievance.tracking_number
    typo = number[:5] + ("A" if number[5] != "A" else "B") + number[6:]  # one wrong character
    text(sms, f"STATUS {typo}")
    assert "typo" in last_reply(session) and typo in last_reply(session)
    text(sms, typo)  # the number alone, mistyped
    assert "typo" in last_reply(session)


def test_status_alone_lists_the_citizens_grievances(sms, session, clock):
    text(sms, "STATUS")
    assert "no complaint from this phone" in last_reply(session)
    text(sms, WATER)
    clock.advance(hours=5)
    text(sms, "NEW garbage not collected for two weeks, bins overflowing")
    first, second = grievances_of(session)
    text(sms, "status")
    reply = last_reply(session)
    assert first.tracking_number in reply and second.tracking_number in reply


def test_a_follow_up_within_the_window_adds_to_the_open_grievance(sms, session, clock):
    text(sms, WATER)
    clock.advance(minutes=30)
    text(sms, "still no water today, please send a tanker")
    [grievance] = grievances_of(session)
    added = [e for e in grievance.events if e.kind is EventKind.CITIZEN_ADDED]
    assert [e.note for e in added] == ["still no water today, please send a tanker"]
    assert grievance.tracking_number in last_reply(session) and "NEW" in last_reply(session)


def test_after_the_window_or_with_new_a_message_opens_another_grievance(sms, session, clock):
    text(sms, WATER)
    clock.advance(minutes=20)
    text(sms, "NEW still no water, and nobody answers the phone")  # NEW always opens one
    clock.advance(hours=3)
    text(sms, "still no water today")  # outside the 2-hour window
    assert len(grievances_of(session)) == 3


def test_a_clearly_different_problem_opens_a_new_grievance_even_within_the_window(sms, session, clock):
    text(sms, WATER)
    clock.advance(minutes=10)
    text(sms, "my old age pension has not been paid for three months, Northbank")
    water, pension = grievances_of(session)
    assert water.category.code == "water" and pension.category.code == "social-benefits"


def test_an_answer_to_the_offices_question_resumes_the_grievance_days_later(sms, session, clock):
    text(sms, WATER)
    [grievance] = grievances_of(session)
    services.request_info(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1),
                          note="Which ward and house number?")
    session.commit()
    clock.advance(days=3)
    text(sms, "Ward 3, house 45")
    session.refresh(grievance)
    assert grievance.status is Status.IN_PROGRESS
    assert grievance.events[-1].kind is EventKind.CITIZEN_ADDED and grievance.events[-1].note == "Ward 3, house 45"


@pytest.mark.parametrize("keyword", ["STOP", "stopall", "Unsubscribe", "CANCEL", "end", "QUIT", "stop."])
def test_stop_keywords_opt_out_and_only_the_confirmation_follows(sms, session, clock, keyword):
    text(sms, WATER)
    [grievance] = grievances_of(session)
    text(sms, keyword)
    citizen = session.scalar(select(Citizen).where(Citizen.phone == PHONE))
    assert citizen.opted_out_at is not None
    assert "no more SMS" in last_reply(session) and "START" in last_reply(session)
    sent_before = len(replies(session))
    services.respond(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1), note="On our way.")
    session.commit()
    text(sms, "HELP")
    text(sms, "the road is broken too")  # still stored: they may complain, we just do not text them
    assert len(replies(session)) == sent_before
    assert len(grievances_of(session)) == 2
    text(sms, "START")
    session.refresh(citizen)
    assert citizen.opted_out_at is None and "again" in last_reply(session)


def test_stop_from_a_number_we_never_saw_is_remembered(sms, session):
    text(sms, "STOP", phone=OTHER_PHONE)
    assert session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == OTHER_PHONE)) is not None
    assert grievances_of(session, OTHER_PHONE) == []


def test_when_the_provider_confirms_the_opt_out_itself_we_send_nothing(sms, session):
    text(sms, "STOP", OptOutType="STOP")
    assert replies(session) == []
    assert session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == PHONE)) is not None


def test_a_stop_inside_a_sentence_is_a_complaint(sms, session):
    text(sms, "stop the construction noise at night near ward 4")
    assert len(grievances_of(session)) == 1
    assert session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == PHONE)) is None


def test_help_and_an_empty_message(sms, session):
    text(sms, "HELP")
    assert "STATUS" in last_reply(session) and "STOP" in last_reply(session)
    text(sms, "   ")
    assert last_reply(session) == replies(session)[0]
    assert grievances_of(session) == []


def test_nepali_in_devanagari_gets_nepali_replies(sms, session):
    text(sms, "हाम्रो टोलमा तीन दिनदेखि पानी आएको छैन, धारा सुकेको छ")
    [grievance] = grievances_of(session)
    reply = last_reply(session)
    assert "उजुरी प्राप्त भयो" in reply and grievance.tracking_number in reply
    text(sms, "HELP")
    assert "पठाउनुहोस्" in last_reply(session)


def test_lang_switches_the_language_of_every_later_message(sms, session, clock):
    text(sms, "LANG ne")
    assert last_reply(session) == "अब हामी तपाईंलाई नेपालीमा लेख्नेछौं।"
    text(sms, WATER)
    assert "उजुरी प्राप्त भयो" in last_reply(session)
    [grievance] = grievances_of(session)
    services.resolve(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=2), note="Pipe repaired.")
    session.commit()
    assert last_reply(session) == f"{grievance.tracking_number} समाधान भयो: Pipe repaired."
    text(sms, "LANG xx")
    assert "LANG" in last_reply(session) and "en, ne" in last_reply(session)


# --- one segment where the language allows ----------------------------------------------------------------------

def test_english_replies_fit_one_gsm_segment_even_for_the_longest_office_name(sms, session, clock):
    """Every reply the conversation sends, in English, with the longest demo office name."""
    text(sms, "my old age pension has not been paid for three months, Southvale")
    [grievance] = grievances_of(session)
    longest = max((o for o in session.scalars(select(type(grievance.office)))), key=lambda o: len(o.name))
    grievance.office = longest
    session.commit()
    for body in ["HELP", f"STATUS {grievance.tracking_number}", "STATUS", "STATUS 2222-2223", "more details: ward 5",
                 "LANG xx", "STOP", "START"]:
        clock.advance(minutes=1)
        text(sms, body)
    sent = replies(session)
    assert len(sent) == 9
    for reply in sent:
        assert encoding(reply) == "GSM-7", reply
        assert segments(reply) == 1, (len(reply), reply)


def test_nepali_replies_stay_within_three_segments(sms, session, clock):
    text(sms, "LANG ne")
    text(sms, "हाम्रो टोलमा तीन दिनदेखि पानी आएको छैन, धारा सुकेको छ")
    [grievance] = grievances_of(session)
    for body in ["HELP", f"STATUS {grievance.tracking_number}", "STATUS", "STATUS 2222-2223", "थप जानकारी: वडा ५",
                 "STOP", "START"]:
        clock.advance(minutes=1)
        text(sms, body)
    for reply in replies(session):
        assert segments(reply) <= 3, (segments(reply), reply)


# --- delivery status callbacks ------------------------------------------------------------------------------------

def callback(client, sid, status, **extra):
    params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status, "AccountSid": ACCOUNT,
              "To": PHONE, "From": "+15550100", "ApiVersion": "2010-04-01", **extra}
    return signed(client, "/webhooks/twilio/status", params)


def sent_acknowledgement(session, clock) -> OutboxMessage:
    message = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == PHONE))
    message.provider_id = "SM" + "a" * 32
    message.status = "sent"
    message.sent_at = clock.now
    session.commit()
    return message


def test_status_callbacks_are_monotonic_idempotent_and_reach_the_staff_timeline(sms, session, clock):
    text(sms, WATER)
    message = sent_acknowledgement(session, clock)
    for status in ["queued", "sent", "delivered", "sent", "delivered", "queued"]:
        assert callback(sms, message.provider_id, status).status_code == 204
    session.refresh(message)
    assert message.delivery_status == "delivered"
    [grievance] = grievances_of(session)
    deliveries = [e for e in grievance.events if e.kind is EventKind.DELIVERY]
    assert len(deliveries) == 1 and deliveries[0].data["status"] == "delivered" and not deliveries[0].public


def test_error_21610_in_a_callback_opts_the_citizen_out(sms, session, clock):
    text(sms, WATER)
    message = sent_acknowledgement(session, clock)
    callback(sms, message.provider_id, "undelivered", ErrorCode="21610")
    session.refresh(message)
    assert message.delivery_status == "undelivered" and message.error_code == 21610
    assert session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == PHONE)) is not None


def test_a_status_callback_needs_a_valid_signature(sms, session, clock):
    text(sms, WATER)
    message = sent_acknowledgement(session, clock)
    response = sms.post("/webhooks/twilio/status", data={"MessageSid": message.provider_id,
                                                         "MessageStatus": "delivered"})
    assert response.status_code == 403
    session.refresh(message)
    assert message.delivery_status is None


def test_a_callback_for_an_unknown_message_changes_nothing(sms, session):
    before = counts(session)
    assert callback(sms, "SM" + "f" * 32, "delivered").status_code == 204
    assert counts(session) == before


def test_the_staff_timeline_shows_delivery(sms, session, clock):
    from tests.builders import api_key, auth

    text(sms, WATER)
    message = sent_acknowledgement(session, clock)
    callback(sms, message.provider_id, "delivered")
    [grievance] = grievances_of(session)
    key = api_key(session, now=clock.now)
    body = sms.get(f"/api/v1/grievances/{grievance.tracking_number}", headers=auth(key)).json()
    assert [e["data"]["status"] for e in body["events"] if e["kind"] == "delivery"] == ["delivered"]



def test_the_development_page_sends_an_sms_as_a_citizen(client, session):
    response = client.post("/dev/sms", data={"phone": "9812000150", "body": "streetlight broken near the temple"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/dev/outbox"
    [grievance] = grievances_of(session, "+9779812000150")
    page = client.get("/dev/outbox").text
    assert grievance.tracking_number in page and 'action="/dev/sms"' in page
    assert client.post("/dev/sms", data={"phone": "not a phone", "body": "x"}).status_code == 422


def test_stop_stops_sms_but_not_the_citizens_telegram_chat(session, clock):
    from channels.accept import accept
    from intake.actors import SYSTEM
    from intake.schemas import GrievanceDraft

    draft = GrievanceDraft(text=WATER, phone=PHONE, channel="telegram", admin_area="RV-N", category="water")
    grievance = accept(session, draft=draft, actor=SYSTEM, now=clock.now, region="NP",
                       telegram_chat_id=424242).grievance
    citizens.opt_out(session, phone=PHONE, now=clock.now)
    services.respond(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1), note="On our way.")
    session.flush()
    last = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
    assert last.channel.value == "telegram" and last.recipient == "424242" and "On our way." in last.body


def test_escalate_by_sms_once_the_silence_deadline_has_passed(sms, session, clock, session_factory):
    from escalation import sweep

    text(sms, WATER)
    [grievance] = grievances_of(session)
    text(sms, f"ESCALATE {grievance.tracking_number}")
    assert "has until" in last_reply(session) and "ESCALATE" in last_reply(session)
    assert "+0545 to answer" in last_reply(session)  # the deadline names its zone (the office's, Kathmandu)
    clock.now = datetime(2026, 11, 17, 10, 30, tzinfo=UTC)  # past the 8 working hours for water
    sweep.run(session_factory, now=datetime(2026, 11, 17, 5, 0, tzinfo=UTC))  # nothing due yet
    text(sms, "escalate")  # their latest open grievance
    assert "escalation requested" in last_reply(session)
    assert sweep.run(session_factory, now=clock.now) >= 1
    session.expire_all()
    levels = session.scalars(select(GrievanceEvent.level).where(GrievanceEvent.grievance_id == grievance.id,
                                                                ESCALATION_STEPS)).all()
    assert 1 in levels
    services.respond(session, grievance=grievance, actor=OFFICER, now=clock.advance(hours=1), note="Tanker sent.")
    session.commit()
    text(sms, f"ESCALATE {grievance.tracking_number}")
    assert "has answered" in last_reply(session)
    text(sms, "ESCALATE 2222-2223", phone=OTHER_PHONE)
    assert "found no complaint" in last_reply(session, OTHER_PHONE) or "typo" in last_reply(session, OTHER_PHONE)
