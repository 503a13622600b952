"""The voice line: Twilio Voice webhooks signed with the twilio SDK's validator, the TwiML answers parsed and checked,
a recording filed as a grievance in triage, the tracking number read back and sent by SMS through the Twilio API."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from app.main import create_app
from channels.delivery import deliver_due
from channels.gateways import TwilioCompatibleGateway
from channels.voice.web import spelled
from core.outbox import OutboxChannel, OutboxMessage
from core.settings import Settings
from intake.models import Channel, EventKind, Grievance, InboundMessage, Status
from tests import builders
from tests.fakes.twilio import FakeTwilio

ACCOUNT = "AC" + "b" * 32
TOKEN = "voice-auth-token"  # noqa: S105 - the tests' own
PUBLIC = "https://grievance.example.gov"
CALLER = "+9779812345678"
_sids = itertools.count(1)


@pytest.fixture
def voice_settings(database_url) -> Settings:
    return Settings(_env_file=None, database_url=database_url, scheduler_enabled=False, default_region="NP",
                    timezone="Asia/Kathmandu", languages=["en", "ne"], sms_provider="twilio",
                    twilio_account_sid=ACCOUNT, twilio_auth_token=TOKEN, twilio_from_number="+15550100",
                    public_base_url=PUBLIC, twilio_api_base="http://127.0.0.1:9")


@pytest.fixture
def line(voice_settings, engine, session_factory, clock):
    with TestClient(create_app(voice_settings, engine=engine, session_factory=session_factory, clock=clock)) as client:
        yield client


def call_params(**extra: str) -> dict[str, str]:
    return {"CallSid": "CA" + "1" * 32, "AccountSid": ACCOUNT, "From": CALLER, "To": "+15550100",
            "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": "2010-04-01", **extra}


def post(client, path: str, params: dict[str, str], *, token: str = TOKEN, signature: str | None = None):
    """POST as Twilio does: form-encoded, signed over the public URL (with its query) and the parameters."""
    if signature is None:
        signature = RequestValidator(token).compute_signature(PUBLIC + path, params)
    return client.post(path, data=params, headers={"X-Twilio-Signature": signature})


def twiml(response) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.text)
    assert root.tag == "Response"
    return root


def recording(client, *, seconds: str = "42", sid: str | None = None, caller: str = CALLER, lang: str = "en"):
    params = call_params(From=caller, RecordingSid=sid or f"RE{next(_sids):032x}", RecordingDuration=seconds,
                         RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE1")
    return post(client, f"/webhooks/twilio/voice/recorded?lang={lang}", params), params


def test_a_call_is_greeted_in_every_language_and_asked_to_choose(line):
    root = twiml(post(line, "/webhooks/twilio/voice", call_params()))
    gather = root.find("Gather")
    assert gather.get("action") == f"{PUBLIC}/webhooks/twilio/voice/language" and gather.get("numDigits") == "1"
    says = [(say.get("language"), say.text) for say in gather.findall("Say")]
    assert ("en-US", "For English, press 1.") in says
    assert any(language == "hi-IN" and "२" not in text and "2" in text for language, text in says)
    assert root.find("Redirect").text == f"{PUBLIC}/webhooks/twilio/voice"  # silence: greet again


def test_choosing_nepali_gives_the_menu_in_nepali(line):
    root = twiml(post(line, "/webhooks/twilio/voice/language", call_params(Digits="2")))
    gather = root.find("Gather")
    assert gather.get("action") == f"{PUBLIC}/webhooks/twilio/voice/menu?lang=ne"
    [say] = gather.findall("Say")
    assert say.get("language") == "hi-IN" and "उजुरी" in say.text


@pytest.mark.parametrize("digits", ["", "7", "12", "#"], ids=["none", "unknown", "two", "hash"])
def test_a_key_that_is_no_language_greets_again(line, digits):
    root = twiml(post(line, "/webhooks/twilio/voice/language", call_params(Digits=digits)))
    assert root.find("Redirect").text == f"{PUBLIC}/webhooks/twilio/voice"


def test_pressing_1_records_a_bounded_message_with_a_transcription(line):
    root = twiml(post(line, "/webhooks/twilio/voice/menu?lang=en", call_params(Digits="1")))
    record = root.find("Record")
    assert record.get("maxLength") == "120" and record.get("finishOnKey") == "#" and record.get("playBeep") == "true"
    assert record.get("action") == f"{PUBLIC}/webhooks/twilio/voice/recorded?lang=en"
    assert record.get("transcribe") == "true"
    assert record.get("transcribeCallback") == f"{PUBLIC}/webhooks/twilio/voice/transcription"
    assert "2 minutes" in root.find("Say").text
    assert root.find("Hangup") is not None  # after the silence message, when nothing was recorded


def test_a_recording_becomes_a_grievance_in_triage_and_the_number_is_read_back_and_sent_by_sms(
        line, session, session_factory, voice_settings, clock):
    root, params = recording(line)
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.channel == Channel.VOICE)
                               .order_by(Grievance.id.desc()).limit(1))
    assert grievance.status is Status.TRIAGE and grievance.office_id is None
    assert grievance.citizen.phone == CALLER and grievance.language == "en"
    assert grievance.events[0].data["recording_url"] == params["RecordingUrl"]
    assert grievance.events[0].data["recording_seconds"] == 42
    said = [say.text for say in twiml(root).findall("Say")]
    number = spelled(grievance.tracking_number)
    assert number.count(",") == 6 and sum(number in text for text in said) == 2  # read twice, character by character
    assert "SMS" in said[-1]

    with FakeTwilio(account_sid=ACCOUNT, auth_token=TOKEN) as fake:
        gateway = TwilioCompatibleGateway(sid=ACCOUNT, token=TOKEN, sender="+15550100", base_url=fake.url)
        assert deliver_due(session_factory, gateways={OutboxChannel.SMS: gateway}, now=clock.now) == 1
        [sms] = fake.messages
    assert sms.to == CALLER and grievance.tracking_number in sms.body


def test_a_replayed_recording_callback_files_nothing_new(line, session):
    first, params = recording(line, sid="RE" + "9" * 32)
    again = post(line, "/webhooks/twilio/voice/recorded?lang=en", params)
    assert twiml(again).findall("Say")[0].text == twiml(first).findall("Say")[0].text  # the same number
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.provider == "twilio-voice", InboundMessage.provider_message_id == "RE" + "9" * 32)) == 1
    grievance_id = session.scalar(select(InboundMessage.grievance_id).where(
        InboundMessage.provider_message_id == "RE" + "9" * 32))
    assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.grievance_id == grievance_id)) == 1  # one SMS


def test_a_recording_too_short_to_be_a_message_files_nothing(line, session):
    before = session.scalar(select(func.count()).select_from(Grievance))
    root, _ = recording(line, seconds="1")
    assert "did not hear" in twiml(root).find("Say").text
    assert twiml(root).find("Redirect").text.endswith("/menu?lang=en")
    assert session.scalar(select(func.count()).select_from(Grievance)) == before


def test_a_withheld_number_still_files_and_is_told_to_write_the_number_down(line, session):
    root, _ = recording(line, caller="anonymous")
    said = [say.text for say in twiml(root).findall("Say")]
    assert "write it down" in said[-1]
    session.expire_all()
    grievance = session.scalar(select(Grievance).where(Grievance.channel == Channel.VOICE)
                               .order_by(Grievance.id.desc()).limit(1))
    assert grievance.citizen is None


def test_the_transcription_is_kept_once_for_the_operator(line, session):
    _, params = recording(line, sid="RE" + "8" * 32)
    transcription = {"AccountSid": ACCOUNT, "CallSid": params["CallSid"], "RecordingSid": params["RecordingSid"],
                     "TranscriptionSid": "TR" + "1" * 32, "TranscriptionStatus": "completed",
                     "TranscriptionText": "The water tap in ward four has been dry since Monday."}
    for _ in range(2):  # the provider retries
        assert post(line, "/webhooks/twilio/voice/transcription", transcription).status_code == 204
    session.expire_all()
    grievance_id = session.scalar(select(InboundMessage.grievance_id).where(
        InboundMessage.provider_message_id == "RE" + "8" * 32))
    notes = [e for e in session.get(Grievance, grievance_id).events if e.kind is EventKind.NOTE]
    assert [n.note for n in notes] == ["The water tap in ward four has been dry since Monday."]
    assert not notes[0].public
    unknown = dict(transcription, RecordingSid="RE" + "0" * 32)
    assert post(line, "/webhooks/twilio/voice/transcription", unknown).status_code == 204


def test_pressing_2_reads_the_callers_own_complaints(line, session, clock):
    mine = builders.grievance(session, now=clock.now, phone=CALLER)
    builders.grievance(session, now=clock.now, phone="+9779810000000")
    root = twiml(post(line, "/webhooks/twilio/voice/menu?lang=en", call_params(Digits="2")))
    said = " ".join(say.text for say in root.findall("Say"))
    assert spelled(mine.tracking_number) in said and said.count("Complaint") <= 3
    stranger = twiml(post(line, "/webhooks/twilio/voice/menu?lang=en", call_params(Digits="2", From="+15551234567")))
    assert "no complaint from this phone" in stranger.find("Say").text


@pytest.mark.parametrize("path", ["", "/language", "/menu?lang=en", "/recorded?lang=en", "/transcription"],
                         ids=["call", "language", "menu", "recorded", "transcription"])
@pytest.mark.parametrize("signature", ["missing", "wrong-token", "other-url"])
def test_every_voice_endpoint_refuses_a_bad_signature_and_writes_nothing(line, session, path, signature):
    params = call_params(Digits="1", RecordingSid="RE" + "7" * 32, RecordingDuration="30",
                         RecordingUrl="https://example.org/r", TranscriptionText="x", TranscriptionStatus="completed")
    url = "/webhooks/twilio/voice" + path
    if signature == "missing":
        answer = line.post(url, data=params)
    elif signature == "wrong-token":
        answer = post(line, url, params, token="not-the-token")
    else:  # signed for another URL: a signature cannot be moved to another step
        answer = post(line, url, params,
                      signature=RequestValidator(TOKEN).compute_signature(PUBLIC + "/webhooks/twilio/sms", params))
    assert answer.status_code == 403
    assert session.scalar(select(func.count()).select_from(InboundMessage).where(
        InboundMessage.provider_message_id == "RE" + "7" * 32)) == 0


def test_a_recording_callback_without_its_fields_is_a_clear_422(line):
    answer = post(line, "/webhooks/twilio/voice/recorded?lang=en", call_params())
    assert answer.status_code == 422 and "RecordingSid" in answer.json()["detail"]


def test_an_unknown_language_in_the_url_falls_back_to_the_first(line):
    root = twiml(post(line, "/webhooks/twilio/voice/menu?lang=xx", call_params(Digits="9")))
    assert root.find("Gather").get("action").endswith("/menu?lang=en")
