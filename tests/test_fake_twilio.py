"""The fake Twilio API answers the real twilio SDK as Twilio does, so tests built on it mean something."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio_api import FakeTwilio, inbound_params, sign

SID = "AC" + "1" * 32
TOKEN = "fake-token"
SENDER = "+15005550006"
ALICE, BOB = "+9779800000001", "+9779800000002"


@pytest.fixture
def fake():
    with FakeTwilio(SID, TOKEN) as provider:
        yield provider


def sdk(fake, *, token=TOKEN, timeout=5.0, **client_args) -> Client:
    client = Client(SID, token, http_client=TwilioHttpClient(timeout=timeout), **client_args)
    client.api.base_url = fake.url
    return client


def test_a_created_message_reads_back_as_twilio_shapes_it(fake):
    client = sdk(fake)
    created = client.messages.create(to=ALICE, from_=SENDER, body="Your complaint G-12 is registered.",
                                     status_callback="https://example.org/status")
    assert created.sid.startswith("SM") and len(created.sid) == 34
    assert (created.status, created.direction, created.num_segments) == ("queued", "outbound-api", "1")
    assert (created.to, created.from_, created.account_sid, created.api_version) == (ALICE, SENDER, SID, "2010-04-01")
    assert created.date_sent is None and created.price is None and created.error_code is None
    assert abs(created.date_created - datetime.now(UTC)) < timedelta(seconds=5)
    fetched = client.messages(created.sid).fetch()
    assert (fetched.body, fetched.date_sent) == (created.body, created.date_created)
    [recorded] = fake.messages
    assert (recorded.sid, recorded.to, recorded.from_) == (created.sid, ALICE, SENDER)
    assert recorded.status_callback == "https://example.org/status" and recorded.received_at.tzinfo is UTC
    post = fake.requests[0]
    assert (post.method, post.form["Body"]) == ("POST", created.body) and post.headers["Authorization"]


def test_unicode_bodies_count_ucs2_segments(fake):
    created = sdk(fake).messages.create(to=ALICE, from_=SENDER, body="गुनासो दर्ता भयो। " * 5)
    assert created.num_segments == "2"


def test_list_filters_and_pages_newest_first(fake):
    client = sdk(fake)
    before = datetime.now(UTC) - timedelta(seconds=1)
    for i in range(7):
        client.messages.create(to=ALICE, from_=SENDER, body=f"a{i}")
        client.messages.create(to=BOB, from_=SENDER, body=f"b{i}")
    gets = len(fake.requests)
    listed = client.messages.list(to=ALICE, date_sent_after=before, page_size=3)
    assert [m.body for m in listed] == [f"a{i}" for i in reversed(range(7))]
    assert len(fake.requests) - gets == 3  # three pages of 3, 3 and 1
    assert [m.body for m in client.messages.stream(to=BOB, from_=SENDER, page_size=2, limit=3)] == ["b6", "b5", "b4"]
    assert len(client.messages.list(page_size=5)) == 14
    assert client.messages.list(to=ALICE, date_sent_after=datetime.now(UTC) + timedelta(minutes=1)) == []
    assert client.messages.list(from_="+15550000000") == []
    assert client.messages.list(to=BOB, date_sent_before=before) == []


def test_date_only_filters_compare_days(fake):
    client = sdk(fake)
    client.messages.create(to=ALICE, from_=SENDER, body="today")
    today = datetime.now(UTC).date()
    assert [m.body for m in client.messages.list(date_sent=today.isoformat())] == ["today"]
    assert client.messages.list(date_sent=(today - timedelta(days=1)).isoformat()) == []
    assert len(client.messages.list(date_sent_before=today.isoformat())) == 1


def test_fetching_an_unknown_message_is_20404(fake):
    with pytest.raises(TwilioRestException) as raised:
        sdk(fake).messages("SM" + "0" * 32).fetch()
    assert (raised.value.status, raised.value.code) == (404, 20404)


def test_a_wrong_token_is_401_and_another_account_is_404(fake):
    with pytest.raises(TwilioRestException) as raised:
        sdk(fake, token="wrong").messages.create(to=ALICE, from_=SENDER, body="x")
    assert (raised.value.status, raised.value.code) == (401, 20003)
    with pytest.raises(TwilioRestException) as raised:
        sdk(fake, account_sid="AC" + "2" * 32).messages.create(to=ALICE, from_=SENDER, body="x")
    assert (raised.value.status, raised.value.code) == (404, 20404)
    answer = requests.get(f"{fake.url}/2010-04-01/Accounts/{SID}/Messages.json", timeout=5)
    assert answer.json() == {"code": 20003, "message": "Authenticate",
                             "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}
    assert fake.messages == []


@pytest.mark.parametrize(("to", "body", "code"), [
    (ALICE, None, 21602),
    ("9800000001", "hello", 21211),
    ("+977-980", "hello", 21211),
    (BOB, "hello", 21610),
])
def test_refused_sends_are_400_with_twilio_codes(fake, to, body, code):
    fake.opted_out.add(BOB)
    extra = {"body": body} if body is not None else {}
    with pytest.raises(TwilioRestException) as raised:
        sdk(fake).messages.create(to=to, from_=SENDER, **extra)
    assert (raised.value.status, raised.value.code) == (400, code)
    assert fake.messages == []


def test_fail_next_answers_errors_with_retry_after_then_recovers(fake):
    client = sdk(fake)
    fake.fail_next(429, retry_after=7)
    with pytest.raises(TwilioRestException) as raised:
        client.messages.create(to=ALICE, from_=SENDER, body="x")
    assert (raised.value.status, raised.value.code) == (429, 20429)
    assert client.http_client._test_only_last_response.headers["Retry-After"] == "7"
    fake.fail_next(503, code=30001, message="Queue overflow", times=2)
    url = f"{fake.url}/2010-04-01/Accounts/{SID}/Messages.json"
    for _ in range(2):
        answer = requests.post(url, data={"To": ALICE, "From": SENDER, "Body": "x"}, auth=(SID, TOKEN), timeout=5)
        assert (answer.status_code, answer.json()["code"], answer.json()["message"]) == (503, 30001, "Queue overflow")
        assert "Retry-After" not in answer.headers
    assert fake.messages == []
    assert client.messages.create(to=ALICE, from_=SENDER, body="x").status == "queued"


def test_hang_next_takes_the_message_but_the_client_times_out(fake):
    fake.hang_next(2.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        sdk(fake, timeout=0.5).messages.create(to=ALICE, from_=SENDER, body="it may have left")
    assert [m.body for m in fake.messages] == ["it may have left"]
    assert sdk(fake).messages.create(to=ALICE, from_=SENDER, body="next").status == "queued"  # one hang only


def test_latency_delays_every_answer_after_recording(fake):
    fake.latency = 0.4
    client = sdk(fake)
    started = time.monotonic()
    sender = threading.Thread(target=client.messages.create, kwargs={"to": ALICE, "from_": SENDER, "body": "slow"})
    sender.start()
    while not fake.messages and time.monotonic() - started < 0.4:
        time.sleep(0.01)
    assert fake.messages and sender.is_alive()  # recorded, still unanswered
    sender.join()
    assert time.monotonic() - started >= 0.4


def test_concurrent_creates_are_all_recorded(fake):
    client = sdk(fake)
    threads = [threading.Thread(target=client.messages.create, kwargs={"to": ALICE, "from_": SENDER, "body": str(i)})
               for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({m.sid for m in fake.messages}) == 20


def test_status_callbacks_arrive_signed(fake, httpserver):
    httpserver.expect_request("/status", method="POST").respond_with_data("", status=204)
    url = httpserver.url_for("/status")
    client = sdk(fake)
    sid = client.messages.create(to=ALICE, from_=SENDER, body="x", status_callback=url).sid
    assert fake.callback(sid, "delivered") == 204
    assert fake.callback(sid, "undelivered", error_code=30003) == 204
    (delivered, _), (undelivered, _) = httpserver.log
    validator = RequestValidator(TOKEN)
    for request in (delivered, undelivered):
        assert validator.validate(url, request.form, request.headers["X-Twilio-Signature"])
        assert not RequestValidator("other").validate(url, request.form, request.headers["X-Twilio-Signature"])
    assert delivered.form.to_dict() == {"MessageSid": sid, "SmsSid": sid, "MessageStatus": "delivered",
                                        "SmsStatus": "delivered", "AccountSid": SID, "To": ALICE, "From": SENDER,
                                        "ApiVersion": "2010-04-01"}
    assert undelivered.form["ErrorCode"] == "30003"
    fetched = client.messages(sid).fetch()
    assert (fetched.status, fetched.error_code) == ("undelivered", 30003)


def test_a_callback_needs_a_status_callback_url(fake):
    sid = sdk(fake).messages.create(to=ALICE, from_=SENDER, body="x").sid
    with pytest.raises(ValueError, match="StatusCallback"):
        fake.callback(sid, "delivered")


def test_inbound_webhooks_carry_twilios_fields_and_a_valid_signature(fake, httpserver):
    url = "https://redress.example.org/webhooks/twilio/sms"
    params = inbound_params(from_=ALICE, to=SENDER, body="STATUS G-12", account_sid=SID)
    assert params["MessageSid"].startswith("SM") and len(params["MessageSid"]) == 34
    assert params["SmsSid"] == params["SmsMessageSid"] == params["MessageSid"]
    assert (params["SmsStatus"], params["NumMedia"], params["NumSegments"], params["FromCountry"]) == (
        "received", "0", "1", "NP")
    assert len(params) == 19
    validator = RequestValidator(TOKEN)
    assert validator.validate(url, params, sign(url, params, TOKEN))
    assert not validator.validate(url, params | {"Body": "STATUS G-13"}, sign(url, params, TOKEN))
    httpserver.expect_request("/sms", method="POST").respond_with_data("<Response/>")
    answer = fake.send_inbound(httpserver.url_for("/sms"), from_=ALICE, body="NEW water", message_sid="SM" + "a" * 32)
    assert answer.status_code == 200
    [(request, _)] = httpserver.log
    assert (request.form["To"], request.form["MessageSid"]) == (SENDER, "SM" + "a" * 32)
    assert validator.validate(httpserver.url_for("/sms"), request.form, request.headers["X-Twilio-Signature"])


def test_the_command_line_prints_each_accepted_message():
    command = [sys.executable, "-m", "tests.fakes.twilio_api", "--port", "0", "--account-sid", SID,
               "--auth-token", TOKEN]
    root = Path(__file__).resolve().parent.parent
    with subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            banner = server.stderr.readline()
            port = int(banner.split("http://127.0.0.1:")[1].split()[0])
            client = Client(SID, TOKEN)
            client.api.base_url = f"http://127.0.0.1:{port}"
            client.messages.create(to=ALICE, from_=SENDER, body="two\nlines")
            assert server.stdout.readline() == f'{ALICE} "two\\nlines"\n'
        finally:
            server.terminate()
