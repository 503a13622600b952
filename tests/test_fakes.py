"""The fake Twilio API answers the real twilio SDK as Twilio does: create, list with filters and pages, errors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from tests.fakes.twilio import FakeTwilio, inbound_params, sign

SID = "AC" + "c" * 32
TOKEN = "fake-token"


@pytest.fixture
def fake():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as provider:
        yield provider


def client(fake, *, token=TOKEN, timeout=5.0) -> Client:
    sdk = Client(SID, token, http_client=TwilioHttpClient(timeout=timeout))
    sdk.api.base_url = fake.url
    return sdk


def test_create_fetch_and_list_with_filters_across_pages(fake):
    sdk = client(fake)
    before = datetime.now(UTC) - timedelta(seconds=2)
    created = [sdk.messages.create(to=f"+1555010{i % 2}", from_="+15550100", body=f"m{i}") for i in range(7)]
    assert created[0].sid.startswith("SM") and created[0].status == "queued"
    assert sdk.messages(created[0].sid).fetch().body == "m0"
    listed = sdk.messages.list(to="+15550100", date_sent_after=before, page_size=2)
    assert [m.body for m in listed] == ["m6", "m4", "m2", "m0"]  # newest first, every page
    assert sdk.messages.list(to="+15550100", date_sent_after=datetime.now(UTC) + timedelta(hours=1)) == []
    assert [m.body for m in fake.messages] == [f"m{i}" for i in range(7)]


def test_wrong_credentials_and_unknown_messages_are_refused(fake):
    with pytest.raises(TwilioRestException) as refused:
        client(fake, token="wrong").messages.create(to="+15550101", from_="+15550100", body="x")
    assert refused.value.status == 401 and refused.value.code == 20003
    with pytest.raises(TwilioRestException) as missing:
        client(fake).messages("SM" + "0" * 32).fetch()
    assert missing.value.status == 404
    assert fake.messages == []


def test_scripted_errors_with_retry_after_and_the_opt_out_error(fake):
    fake.fail_next(429, code=20429, retry_after=7)
    response = requests.post(f"{fake.url}/2010-04-01/Accounts/{SID}/Messages.json", auth=(SID, TOKEN),
                             data={"To": "+15550101", "From": "+15550100", "Body": "x"}, timeout=5)
    assert response.status_code == 429 and response.headers["Retry-After"] == "7"
    assert response.json()["code"] == 20429
    fake.opted_out.add("+15550102")
    with pytest.raises(TwilioRestException) as opted_out:
        client(fake).messages.create(to="+15550102", from_="+15550100", body="x")
    assert opted_out.value.code == 21610
    assert fake.messages == []


def test_a_hung_answer_times_the_client_out_but_the_message_was_taken(fake):
    fake.hang_next(1.0)
    with pytest.raises(Exception) as timeout:
        client(fake, timeout=0.3).messages.create(to="+15550101", from_="+15550100", body="taken")
    assert "Timeout" in type(timeout.value).__name__
    assert [m.body for m in fake.messages] == ["taken"]


def test_webhooks_are_signed_as_twilio_signs_them(fake, httpserver):
    httpserver.expect_request("/status", method="POST").respond_with_data("", status=204)
    url = httpserver.url_for("/status")
    message = client(fake).messages.create(to="+15550101", from_="+15550100", body="x", status_callback=url)
    assert fake.callback(message.sid, "delivered") == 204
    request = httpserver.log[0][0]
    assert request.form["MessageStatus"] == "delivered"
    assert RequestValidator(TOKEN).validate(url, request.form.to_dict(), request.headers["X-Twilio-Signature"])
    params = inbound_params(from_="+9779812345678", to="+15550100", body="hello", account_sid=SID)
    assert params["MessageSid"] == params["SmsSid"] and params["Body"] == "hello"
    assert RequestValidator(TOKEN).validate("https://x.org/webhooks/twilio/sms", params,
                                            sign("https://x.org/webhooks/twilio/sms", params, TOKEN))
