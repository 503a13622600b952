"""The Telegram bot end to end: the real aiogram Dispatcher and Bot against a local server speaking the Bot API.

Updates arrive at POST /webhooks/telegram the way Telegram posts them (JSON, secret-token header);
everything the bot says goes over HTTP to the fake server, which the tests read.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.main import create_app
from channels.delivery import deliver_due
from channels.telegram.gateway import TelegramGateway
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus
from intake import services
from intake.actors import Actor
from intake.models import ActorType, Channel, Citizen, Grievance, InboundMessage, Role, Status
from intake.queries import office_by_code
from routing.services import transfer
from tests import builders
from tests.fakes.telegram import FakeTelegram

TOKEN = "123456:test-token"  # noqa: S105 - the fake's
SECRET = "webhook-secret_1"  # noqa: S105
WEBHOOK = "http://testserver/webhooks/telegram"


@pytest.fixture
def fake():
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_settings(settings, fake):
    return settings.model_copy(update={"telegram_bot_token": TOKEN, "telegram_api_base": fake.url,
                                       "telegram_webhook_secret": SECRET})


@pytest.fixture
def bot_client(telegram_settings, engine, session_factory, clock, fake):
    """The app with the bot; the fake posts each update to the app's webhook like Telegram does."""
    app = create_app(telegram_settings, engine=engine, session_factory=session_factory, clock=clock)
    with TestClient(app) as client:
        fake.poster = lambda url, update, headers: client.post(url, json=update, headers=headers).status_code
        fake.set_webhook(WEBHOOK, SECRET)
        yield client


def deliver(session_factory, settings, clock) -> int:
    """One pass of the outbox delivery job with the Telegram gateway."""
    gateway = TelegramGateway(settings)
    try:
        return deliver_due(session_factory, gateways={OutboxChannel.TELEGRAM: gateway}, now=clock.now)
    finally:
        gateway.close()


def complain(user, text="No water in ward 4 since Monday, the tap is dry", *, place="Ward 4, Ratnanagar",
             phone=None) -> None:
    assert user.says("/start") == 200
    assert user.says(text) == 200
    assert user.says(place) == 200
    assert user.says("Skip") == 200
    if phone:
        assert user.shares_contact(phone) == 200
    else:
        assert user.says("Skip") == 200
    assert user.taps("Send") == 200


def officer_of(session, grievance: Grievance, clock) -> Actor:
    """An officer of the grievance's office, after routing it by hand if the model left it in triage."""
    if grievance.office_id is None:
        transfer(session, grievance=grievance, to_office=office_by_code(session, "RV-N-WATER"), now=clock.now,
                 actor=Actor(type=ActorType.STAFF, id="9", role=Role.OPERATOR, name="Triage"), note="water supply")
        session.flush()
    return Actor(type=ActorType.STAFF, id="7", role=Role.OFFICER, office_id=grievance.office_id, name="Officer")


def grievances_of_chat(session, chat_id: int) -> list[Grievance]:
    session.expire_all()
    citizen = session.scalar(select(Citizen).where(Citizen.telegram_chat_id == chat_id))
    if citizen is None:
        return []
    return list(session.scalars(select(Grievance).where(Grievance.citizen_id == citizen.id)
                                .order_by(Grievance.id)))


def test_a_conversation_files_a_grievance_and_the_office_reply_reaches_the_chat(
        bot_client, fake, session, session_factory, telegram_settings, clock, model):
    user = fake.user(7001)
    user.says("/start")
    assert "Describe the problem" in fake.last(7001).text
    user.says("No water in ward 4 since Monday, the tap is dry")
    assert "Share my location" in fake.last(7001).buttons()
    user.shares_location(27.6766, 84.4346)
    user.sends_photo("AgACAgQAAxk-photo")
    assert "Share my phone number" in fake.last(7001).buttons()
    user.shares_contact("+977 981-2345678")
    summary = fake.last(7001)
    assert "No water in ward 4" in summary.text and "27.67660, 84.43460" in summary.text
    assert summary.buttons() == ["Send", "Cancel"]
    user.taps("Send")

    [grievance] = grievances_of_chat(session, 7001)
    assert grievance.channel is Channel.TELEGRAM
    assert grievance.location_text == "27.67660, 84.43460"
    assert grievance.citizen.phone == "+9779812345678"
    assert grievance.events[0].data["telegram_photo"] == "AgACAgQAAxk-photo"
    confirmation = fake.last(7001)
    assert confirmation.edited and grievance.tracking_number in confirmation.text and "secret" in confirmation.text

    assert deliver(session_factory, telegram_settings, clock) == 1
    acknowledgement = fake.last(7001)
    assert grievance.tracking_number in acknowledgement.text and "/status" in acknowledgement.text

    services.respond(session, grievance=grievance, actor=officer_of(session, grievance, clock), now=clock.now,
                     note="A tanker comes tomorrow at 8; the main is being repaired.")
    session.commit()
    assert deliver(session_factory, telegram_settings, clock) >= 1
    assert "A tanker comes tomorrow at 8" in fake.last(7001).text
    sent = session.scalar(select(OutboxMessage).where(OutboxMessage.grievance_id == grievance.id,
                                                      OutboxMessage.purpose == "response"))
    assert sent.channel is OutboxChannel.TELEGRAM and sent.recipient == "7001" and sent.status is OutboxStatus.SENT


@pytest.mark.parametrize("header", [None, "wrong-secret", SECRET + "x", ""],
                         ids=["missing", "wrong", "longer", "empty"])
def test_an_update_without_the_right_secret_token_is_refused_and_writes_nothing(bot_client, fake, session, header):
    user = fake.user(7002)
    before = session.scalar(select(func.count()).select_from(InboundMessage))
    update = {"update_id": 9_000_001, "message": {"message_id": 1, "date": 1, "text": "/start",
                                                  "chat": {"id": 7002, "type": "private"},
                                                  "from": {"id": 7002, "is_bot": False, "first_name": "X"}}}
    headers = {} if header is None else {"X-Telegram-Bot-Api-Secret-Token": header}
    answer = bot_client.post("/webhooks/telegram", json=update, headers=headers)
    assert answer.status_code == 403
    assert session.scalar(select(func.count()).select_from(InboundMessage)) == before
    assert fake.chat(user.chat_id) == []


def test_without_a_configured_secret_the_webhook_is_closed(settings, engine, session_factory, clock, fake):
    unsafe = settings.model_copy(update={"telegram_bot_token": TOKEN, "telegram_api_base": fake.url})
    with TestClient(create_app(unsafe, engine=engine, session_factory=session_factory, clock=clock)) as client:
        answer = client.post("/webhooks/telegram", json={"update_id": 1}, headers={
            "X-Telegram-Bot-Api-Secret-Token": ""})
    assert answer.status_code == 403 and "REDRESS_TELEGRAM_WEBHOOK_SECRET" in answer.json()["detail"]


def test_without_a_bot_token_there_is_no_webhook(client):
    assert client.post("/webhooks/telegram", json={"update_id": 1}).status_code == 404


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"update_id": "x"}', b'{"message": {}}'],
                         ids=["not-json", "a-list", "bad-id", "no-id"])
def test_a_body_that_is_not_an_update_is_a_clear_400(bot_client, body):
    answer = bot_client.post("/webhooks/telegram", content=body, headers={
        "X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"})
    assert answer.status_code == 422 and "not a Telegram update" in answer.json()["detail"]


def test_a_replayed_update_is_answered_and_changes_nothing(bot_client, fake, session):
    user = fake.user(7003)
    user.says("/start")
    update = {"update_id": 9_000_002, "message": {
        "message_id": 50, "date": 1, "text": "Street light broken on the main road for two weeks",
        "chat": {"id": 7003, "type": "private"}, "from": {"id": 7003, "is_bot": False, "first_name": "R"}}}
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    assert bot_client.post("/webhooks/telegram", json=update, headers=headers).status_code == 200
    said = len(fake.chat(7003))
    assert bot_client.post("/webhooks/telegram", json=update, headers=headers).status_code == 200
    assert len(fake.chat(7003)) == said  # no second answer: the retry did nothing
    assert session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.provider == "telegram", InboundMessage.provider_message_id == "9000002")) == 1


def test_tapping_send_twice_files_one_grievance(bot_client, fake, session):
    user = fake.user(7004)
    complain(user)
    summary = next(m for m in fake.chat(7004) if "Send" in m.buttons())
    user.tap_data("send", message_id=summary.message_id)  # the same button again, a new update
    assert len(grievances_of_chat(session, 7004)) == 1


def test_cancel_stores_nothing(bot_client, fake, session):
    user = fake.user(7005)
    user.says("/start")
    user.says("The health post has had no doctor for a month")
    user.says("/cancel")
    assert "nothing was sent" in fake.last(7005).text
    assert grievances_of_chat(session, 7005) == []


def test_sharing_a_phone_joins_the_chat_to_the_citizen_who_wrote_by_sms(bot_client, fake, session, clock):
    by_sms = builders.grievance(session, now=clock.now, phone="+9779811111111", channel=Channel.SMS)
    user = fake.user(7006)
    complain(user, phone="+9779811111111")
    mine = grievances_of_chat(session, 7006)
    assert [g.id for g in mine][0] == by_sms.id and len(mine) == 2
    assert {g.channel for g in mine} == {Channel.SMS, Channel.TELEGRAM}
    user.says("/my")
    listing = fake.last(7006).text
    assert by_sms.tracking_number in listing and mine[1].tracking_number in listing


def test_a_chat_that_complained_before_sharing_is_merged_into_the_phones_citizen(bot_client, fake, session, clock):
    user = fake.user(7007)
    complain(user, text="Garbage has not been collected in our lane for ten days")
    builders.grievance(session, now=clock.now, phone="+9779812222222", channel=Channel.SMS)
    complain(user, text="The school toilet is locked and children go outside", phone="+9779812222222")
    mine = grievances_of_chat(session, 7007)
    assert len(mine) == 3 and mine[0].citizen.phone == "+9779812222222"
    assert session.scalar(select(func.count()).select_from(Citizen).where(Citizen.phone.is_(None),
                                                                       Citizen.telegram_chat_id == 7007)) == 0


def test_someone_elses_contact_is_not_taken_as_the_users_phone(bot_client, fake, session):
    user = fake.user(7008)
    user.says("/start")
    user.says("Road near the bridge has a deep hole that floods")
    user.says("Skip")
    user.says("Skip")
    user.shares_contact("+9779813333333", own=False)
    assert "your own number" in fake.last(7008).text
    user.says("Skip")
    user.taps("Send")
    [grievance] = grievances_of_chat(session, 7008)
    assert grievance.citizen.phone is None


def test_status_shows_own_grievances_only(bot_client, fake, session, clock):
    someone_else = builders.grievance(session, now=clock.now, phone="+9779814444444")
    user = fake.user(7009)
    complain(user)
    [mine] = grievances_of_chat(session, 7009)
    user.says(f"/status {mine.tracking_number}")
    assert fake.last(7009).text.startswith(f"{mine.tracking_number}:")
    user.says(f"/status {someone_else.tracking_number}")
    assert "found no complaint" in fake.last(7009).text
    user.says("/status ZZZZ")
    assert "not a tracking number" in fake.last(7009).text


def test_the_citizen_chooses_nepali(bot_client, fake, session):
    user = fake.user(7010)
    user.says("/language")
    assert fake.last(7010).buttons() == ["English", "नेपाली"]
    user.taps("नेपाली")
    user.says("/my")
    assert "उजुरी" in fake.last(7010).text
    assert session.scalar(select(Citizen.language).where(Citizen.telegram_chat_id == 7010)) == "ne"


def test_a_nepali_telegram_app_is_answered_in_nepali(bot_client, fake):
    user = fake.user(7011, language_code="ne")
    user.says("/start")
    assert "उजुरी" in fake.chat(7011)[0].text


def test_an_answer_to_the_offices_question_is_added_to_the_grievance(bot_client, fake, session, clock, model):
    user = fake.user(7012)
    complain(user, text="Electricity pole fell on the road near the school in ward 3")
    [grievance] = grievances_of_chat(session, 7012)
    services.request_info(session, grievance=grievance, actor=officer_of(session, grievance, clock),
                          now=clock.now, note="Which pole number?")
    session.commit()
    user.says("Pole number 118, next to the gate")
    assert grievance.tracking_number in fake.last(7012).text
    session.expire_all()
    assert session.get(Grievance, grievance.id).status is Status.IN_PROGRESS
    assert len(grievances_of_chat(session, 7012)) == 1


def test_stickers_and_unknown_commands_get_a_hint(bot_client, fake):
    user = fake.user(7013)
    user.says("/frobnicate")
    assert "/new" in fake.last(7013).text
    fake.deliver({"update_id": fake.next_update_id(), "message": {
        "message_id": 9, "date": 1, "chat": {"id": 7013, "type": "private"},
        "from": {"id": 7013, "is_bot": False, "first_name": "S"},
        "sticker": {"file_id": "s", "file_unique_id": "su", "type": "regular", "width": 1, "height": 1,
                    "is_animated": False, "is_video": False}}})
    assert "as text" in fake.last(7013).text


def test_a_survey_in_the_chat_is_answered_with_buttons_and_a_low_score_reopens(
        bot_client, fake, session, session_factory, telegram_settings, clock):

    from surveys import schedule
    from surveys.policy import SurveyPolicy

    user = fake.user(7014)
    complain(user, text="Broken water pipe in front of the ward office is flooding the road")
    [grievance] = grievances_of_chat(session, 7014)
    services.resolve(session, grievance=grievance, actor=officer_of(session, grievance, clock), now=clock.now,
                     note="The pipe was replaced.")
    session.commit()
    schedule.run(session_factory, now=clock.advance(hours=3), policy=SurveyPolicy(default_timezone="Asia/Kathmandu"))
    deliver(session_factory, telegram_settings, clock)
    invitation = next(m for m in reversed(fake.chat(7014)) if m.buttons())
    assert "resolved" in invitation.text and invitation.buttons() == ["1", "2", "3", "4", "5"]
    assert user.taps("2") == 200
    assert "still wrong" in fake.last(7014).text
    user.says("The road is still flooded every morning")
    session.expire_all()
    reopened = session.get(Grievance, grievance.id)
    assert reopened.status is Status.IN_PROGRESS and reopened.reopen_count == 1
    assert user.tap_data(invitation.callback("5"), message_id=invitation.message_id) == 200  # an answered question
    assert session.get(Grievance, grievance.id).reopen_count == 1
