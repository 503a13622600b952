"""SMS end to end over loopback: `redress serve` with Twilio settings pointed at a local fake of Twilio's REST
API; signed webhooks in, acknowledgements out through the real twilio SDK, retries and reconciliation."""

from __future__ import annotations

import subprocess
import sys
import threading
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from app import migrate
from channels.delivery import DeliveryPolicy, deliver_due
from channels.gateways import TwilioCompatibleGateway
from core.db import make_engine, make_sessionmaker, transaction
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus, claim_due, enqueue
from intake.models import Citizen, Grievance, InboundMessage
from tests.conftest import START
from tests.fakes.twilio import FakeTwilio, inbound_params, sign
from tests.test_processes import env_for, free_port, wait_for

SID = "AC" + "e" * 32
TOKEN = "e2e-token"
SENDER = "+15550100"
CITIZEN = "+9779812000400"


@pytest.fixture
def fake():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as provider:
        yield provider


@pytest.fixture
def served(new_database_url, fake):
    """A demo database served by a real `redress serve` process that sends SMS to the fake provider."""
    url = new_database_url()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(url) | {
        "REDRESS_SMS_PROVIDER": "twilio", "REDRESS_TWILIO_ACCOUNT_SID": SID, "REDRESS_TWILIO_AUTH_TOKEN": TOKEN,
        "REDRESS_TWILIO_FROM_NUMBER": SENDER, "REDRESS_TWILIO_API_BASE": fake.url, "REDRESS_PUBLIC_BASE_URL": base,
        "REDRESS_SMS_QUIET_HOURS": "", "REDRESS_DELIVERY_INTERVAL_SECONDS": "30"}  # only a wake-up can be fast
    subprocess.run([sys.executable, "-m", "app.cli", "init", "--demo"], env=env, capture_output=True, timeout=180,
                   check=True)
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: _ready(base))
        yield base, url
    finally:
        server.terminate()
        server.wait(timeout=30)


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def post_sms(base: str, body: str, *, sid: str | None = None) -> httpx.Response:
    url = f"{base}/webhooks/twilio/sms"
    params = inbound_params(from_=CITIZEN, to=SENDER, body=body, account_sid=SID, message_sid=sid)
    return httpx.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params, TOKEN)}, timeout=30)


def count(url: str, table, *where) -> int:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count()).select_from(table).where(*where))
    finally:
        engine.dispose()


def citizens_grievance(session) -> Grievance:
    return session.scalar(select(Grievance).join(Grievance.citizen).where(Citizen.phone == CITIZEN))


def test_a_signed_sms_gets_a_routed_grievance_and_its_acknowledgement_through_the_provider(served, fake):
    base, url = served
    assert post_sms(base, "No water in our tole for 3 days, taps completely dry, Northbank ward 3").status_code == 200
    # woken, not polled (a second message may say it joined the demo's case of the same problem)
    [ack] = wait_for(lambda: [m for m in fake.messages if m.to == CITIZEN and m.body.startswith("Received")],
                     seconds=10)
    assert ack.from_ == SENDER and "Northbank Water Utility Branch" in ack.body
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            grievance = citizens_grievance(session)
            number = grievance.tracking_number
            assert grievance.status.value == "assigned" and number in ack.body
            assert grievance.office.code == "RV-N-WATER"
            wait_for(lambda: acknowledgement_provider_id(session) == ack.sid)
    finally:
        engine.dispose()
    post_sms(base, f"STATUS {number}")
    wait_for(lambda: any(m.body.startswith(number) for m in fake.messages), seconds=10)


def acknowledgement_provider_id(session) -> str | None:
    session.rollback()  # a fresh view each poll: a reader keeps the one its transaction began with
    return session.scalar(select(OutboxMessage.provider_id).where(
        OutboxMessage.recipient == CITIZEN, OutboxMessage.purpose == "acknowledgement"))


def test_ten_concurrent_deliveries_of_one_signed_webhook_make_one_grievance_and_one_acknowledgement(served, fake):
    base, url = served
    sid = "SM" + "7" * 32
    grievances_before = count(url, Grievance)
    barrier = threading.Barrier(10)
    answers: list[httpx.Response] = []

    def deliver() -> None:
        barrier.wait()
        answers.append(post_sms(base, "garbage not collected for two weeks in Riverton", sid=sid))

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * 10
    assert len({a.text for a in answers}) == 1
    acks = lambda: [m for m in fake.messages if m.to == CITIZEN and m.body.startswith("Received")]  # noqa: E731
    wait_for(acks, seconds=10)
    assert count(url, Grievance) == grievances_before + 1 and count(url, InboundMessage) == 1
    assert count(url, OutboxMessage, OutboxMessage.recipient == CITIZEN,
                 OutboxMessage.purpose == "acknowledgement") == 1
    assert len(acks()) == 1


# --- delivery against the fake provider: timeouts, crashes and reconciliation -----------------------------------

@pytest.fixture
def outbox(new_database_url):
    engine = make_engine(new_database_url())
    migrate.upgrade(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def gateway(fake, timeout: float = 2.0) -> TwilioCompatibleGateway:
    return TwilioCompatibleGateway(sid=SID, token=TOKEN, sender=SENDER, base_url=fake.url, timeout=timeout)


def queue(factory, body: str = "Your complaint KYVZ-6638 is resolved") -> int:
    with transaction(factory) as session:
        message = enqueue(session, channel=OutboxChannel.SMS, recipient=CITIZEN, body=body, purpose="test",
                          now=START, urgent=True)
        session.flush()
        return message.id


def row(factory, message_id: int) -> OutboxMessage:
    with factory() as session:
        return session.get(OutboxMessage, message_id)


@pytest.mark.parametrize("reconcile", [True, False], ids=["reconciled", "not-reconciled"])
def test_a_timeout_after_the_provider_took_the_message_is_not_sent_twice(outbox, fake, reconcile):
    message_id = queue(outbox)
    fake.hang_next(1.5)  # the provider records the message, then answers too late
    policy = DeliveryPolicy(reconcile=reconcile)
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake, timeout=0.5)}, now=START,
                       policy=policy) == 0
    timed_out = row(outbox, message_id)
    assert timed_out.status == OutboxStatus.PENDING and timed_out.uncertain
    later = timed_out.next_attempt_at
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=later, policy=policy) == 1
    done = row(outbox, message_id)
    assert done.status == OutboxStatus.SENT and not done.uncertain
    bodies = [m.body for m in fake.messages]
    if reconcile:
        assert bodies == ["Your complaint KYVZ-6638 is resolved"]
        assert done.provider_id == fake.messages[0].sid
    else:  # what reconciliation prevents
        assert bodies == ["Your complaint KYVZ-6638 is resolved"] * 2


def test_a_worker_that_died_after_handing_over_is_reconciled_not_resent(outbox, fake):
    message_id = queue(outbox)
    with transaction(outbox) as session:
        [claimed] = claim_due(session, now=START)
    sid = gateway(fake).send(to=claimed.recipient, body=claimed.body).provider_id  # ...then the worker dies
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=START + timedelta(minutes=1)) == 0
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=START + timedelta(minutes=6)) == 1
    assert row(outbox, message_id).provider_id == sid and len(fake.messages) == 1


def test_a_worker_that_died_before_handing_over_sends_after_checking(outbox, fake):
    message_id = queue(outbox)
    with transaction(outbox) as session:
        claim_due(session, now=START)  # ...and the worker dies before the request leaves
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=START + timedelta(minutes=6)) == 1
    assert len(fake.messages) == 1 and row(outbox, message_id).provider_id == fake.messages[0].sid


def test_reconciliation_ignores_the_same_text_sent_before_this_message_existed(outbox, fake):
    gateway(fake).send(to=CITIZEN, body="Your complaint KYVZ-6638 is resolved")  # an older, identical message
    with transaction(outbox) as session:
        message = enqueue(session, channel=OutboxChannel.SMS, recipient=CITIZEN,
                          body="Your complaint KYVZ-6638 is resolved", purpose="test", now=fake_now(fake), urgent=True)
        session.flush()
        message_id = message.id
    with transaction(outbox) as session:
        claim_due(session, now=fake_now(fake))
    later = fake_now(fake) + timedelta(minutes=6)
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=later) == 1
    assert len(fake.messages) == 2 and row(outbox, message_id).provider_id == fake.messages[-1].sid


def fake_now(fake):
    """A moment after everything the fake has recorded (its clock is the real one)."""
    return max(m.received_at for m in fake.messages) + timedelta(seconds=1)


@pytest.mark.parametrize(("status", "code", "retry_after", "final"), [
    (429, 20429, 120, False), (500, 20500, None, False), (503, 20503, None, False), (400, 21211, None, True),
], ids=["429-retry-after", "500", "503", "400-final"])
def test_provider_errors_through_the_sdk(outbox, fake, status, code, retry_after, final):
    message_id = queue(outbox)
    fake.fail_next(status, code=code, retry_after=retry_after)
    assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=START) == 0
    failed = row(outbox, message_id)
    assert failed.error_code == code and not failed.uncertain
    assert failed.status == (OutboxStatus.FAILED if final else OutboxStatus.PENDING)
    if retry_after:
        assert failed.next_attempt_at >= START + timedelta(seconds=retry_after)
    if not final:
        assert deliver_due(outbox, gateways={OutboxChannel.SMS: gateway(fake)}, now=failed.next_attempt_at) == 1
