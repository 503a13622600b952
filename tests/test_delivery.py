"""Outbound delivery from the outbox through the real twilio SDK to a local server speaking Twilio's REST API."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from channels.delivery import deliver_due
from channels.gateways import ConsoleGateway, SendFailed, TwilioCompatibleGateway
from core.outbox import OutboxChannel, OutboxMessage, OutboxStatus, enqueue
from tests.conftest import START

MESSAGES = "/2010-04-01/Accounts/AC1/Messages.json"


def gateway(httpserver) -> TwilioCompatibleGateway:
    return TwilioCompatibleGateway(sid="AC1", token="t", sender="+15550100", base_url=httpserver.url_for("/"),
                                   timeout=2)


def test_sms_leaves_through_twilio_rest(httpserver):
    httpserver.expect_request(MESSAGES, method="POST").respond_with_json(
        {"sid": "SM1", "status": "queued", "account_sid": "AC1"}, status=201)
    assert gateway(httpserver).send(to="+15550101", body="Ref K7MQ-4QXD").provider_id == "SM1"
    request = httpserver.log[0][0]
    assert request.form["Body"] == "Ref K7MQ-4QXD"
    assert request.form["To"] == "+15550101" and request.form["From"] == "+15550100"
    assert request.authorization.username == "AC1"


@pytest.mark.parametrize(("status", "permanent"), [(429, False), (500, False), (503, False), (400, True),
                                                   (404, True)], ids=["429", "500", "503", "400", "404"])
def test_provider_errors_are_retried_or_final(httpserver, status, permanent):
    httpserver.expect_request(MESSAGES, method="POST").respond_with_json(
        {"code": 21211, "message": "error", "status": status}, status=status)
    with pytest.raises(SendFailed) as failure:
        gateway(httpserver).send(to="+15550101", body="x")
    assert failure.value.permanent is permanent


def test_unreachable_provider_is_retried():
    unreachable = TwilioCompatibleGateway(sid="AC1", token="t", sender="+15550100",
                                          base_url="http://127.0.0.1:9", timeout=1)
    with pytest.raises(SendFailed) as failure:
        unreachable.send(to="+15550101", body="x")
    assert failure.value.permanent is False


def test_delivery_pass_sends_due_messages_and_backs_off_on_failure(httpserver, session_factory):
    with session_factory() as session:
        enqueue(session, channel=OutboxChannel.SMS, recipient="+15550101", body="one", purpose="test", now=START)
        enqueue(session, channel=OutboxChannel.SMS, recipient="+15550102", body="two", purpose="test", now=START)
        enqueue(session, channel=OutboxChannel.TELEGRAM, recipient="42", body="tg", purpose="test", now=START)
        enqueue(session, channel=OutboxChannel.SMS, recipient="+15550103", body="later", purpose="test",
                now=START + timedelta(hours=1))
        session.commit()
    httpserver.expect_ordered_request(MESSAGES, method="POST").respond_with_json({"sid": "SM1"}, status=201)
    httpserver.expect_ordered_request(MESSAGES, method="POST").respond_with_json({"code": 1, "message": "busy"},
                                                                                 status=503)
    sent = deliver_due(session_factory, gateways={OutboxChannel.SMS: gateway(httpserver)}, now=START)
    assert sent == 1
    with session_factory() as session:
        rows = {m.body: m for m in session.scalars(select(OutboxMessage))}
    assert rows["one"].status == OutboxStatus.SENT and rows["one"].provider_id == "SM1"
    assert rows["two"].status == OutboxStatus.PENDING and rows["two"].attempts == 1
    assert rows["two"].next_attempt_at > START and "503" in rows["two"].last_error
    assert rows["tg"].status == OutboxStatus.FAILED and "no gateway" in rows["tg"].last_error
    assert rows["later"].status == OutboxStatus.PENDING and rows["later"].attempts == 0
    # a second pass at the same moment sends nothing: the failed one waits for its backoff
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()}, now=START) == 0
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()},
                       now=START + timedelta(hours=2)) == 2


def test_a_claim_is_taken_once(session_factory):
    from core.outbox import claim_due

    with session_factory() as session:
        enqueue(session, channel=OutboxChannel.SMS, recipient="+15550101", body="x", purpose="test", now=START)
        session.commit()
        first = claim_due(session, now=START)
        second = claim_due(session, now=START)
        stale = claim_due(session, now=START + timedelta(minutes=10))  # the first claimer died mid-send
    assert [m.body for m in first] == ["x"] and second == [] and [m.attempts for m in stale] == [2]


def test_concurrent_claimers_never_share_a_message(new_database_url):
    """Four workers with their own connections race for 60 messages: each is claimed exactly once."""
    import threading

    from app import migrate
    from core.db import make_engine, make_sessionmaker, transaction
    from core.outbox import claim_due

    engine = make_engine(new_database_url())
    try:
        migrate.upgrade(engine)
        factory = make_sessionmaker(engine)
        with transaction(factory) as session:
            for i in range(60):
                enqueue(session, channel=OutboxChannel.SMS, recipient="+15550101", body=str(i), purpose="t",
                        now=START)
        claims: list[list[int]] = [[] for _ in range(4)]
        barrier = threading.Barrier(4)

        def worker(mine: list[int]) -> None:
            barrier.wait()
            while True:
                with transaction(factory) as session:
                    batch = [m.id for m in claim_due(session, now=START, limit=5)]
                if not batch:
                    return
                mine.extend(batch)

        threads = [threading.Thread(target=worker, args=(mine,)) for mine in claims]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        every = [message_id for mine in claims for message_id in mine]
        assert len(every) == 60 and len(set(every)) == 60
    finally:
        engine.dispose()


# --- when a message may leave: quiet hours, daily caps, opt-outs, giving up -------------------------------------

def pending(session_factory, *bodies_and_recipients, now=START, urgent=False, purpose="test"):
    with session_factory() as session:
        for body, recipient in bodies_and_recipients:
            enqueue(session, channel=OutboxChannel.SMS, recipient=recipient, body=body, purpose=purpose, now=now,
                    urgent=urgent)
        session.commit()


def rows(session_factory) -> dict[str, OutboxMessage]:
    with session_factory() as session:
        return {m.body: m for m in session.scalars(select(OutboxMessage))}


NEPAL = "+9779812000301"
NEW_YORK = "+12125550123"
NIGHT_IN_NEPAL = START.replace(hour=17)  # 22:45 in Kathmandu, noon in New York


def test_quiet_hours_hold_notices_in_the_recipients_timezone_but_not_urgent_replies(session_factory):
    from channels.delivery import DeliveryPolicy

    policy = DeliveryPolicy(quiet=(time(21), time(7)), default_timezone="Asia/Kathmandu")
    pending(session_factory, ("notice", NEPAL), ("us notice", NEW_YORK), now=NIGHT_IN_NEPAL)
    pending(session_factory, ("your tracking number", NEPAL), now=NIGHT_IN_NEPAL, urgent=True)
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()}, now=NIGHT_IN_NEPAL,
                       policy=policy) == 2
    held = rows(session_factory)["notice"]
    assert held.status == OutboxStatus.PENDING and held.attempts == 0 and "quiet hours" in held.last_error
    assert held.next_attempt_at == datetime(2026, 11, 17, 1, 15, tzinfo=UTC)  # 07:00 in Kathmandu
    assert rows(session_factory)["us notice"].status == OutboxStatus.SENT
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()},
                       now=held.next_attempt_at, policy=policy) == 1


def test_daily_caps_hold_messages_against_sms_pumping(session_factory):
    from channels.delivery import DeliveryPolicy

    policy = DeliveryPolicy(per_recipient_cap=2, global_cap=4)
    pending(session_factory, ("a1", NEPAL), ("a2", NEPAL), ("a3", NEPAL), ("b1", "+9779812000302"),
            ("c1", "+9779812000303"), ("d1", "+9779812000304"))
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()}, now=START,
                       policy=policy) == 4
    by_body = rows(session_factory)
    assert by_body["a3"].status == OutboxStatus.PENDING and "in 24 h" in by_body["a3"].last_error
    assert by_body["a3"].next_attempt_at == START + timedelta(hours=24)
    assert by_body["d1"].status == OutboxStatus.PENDING and "global cap" in by_body["d1"].last_error
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()},
                       now=START + timedelta(hours=24), policy=policy) == 2


def test_nothing_but_the_confirmation_goes_to_a_number_that_opted_out(session_factory):
    from intake.citizens import opt_out

    with session_factory() as session:
        opt_out(session, phone=NEPAL, now=START)
        session.commit()
    pending(session_factory, ("news", NEPAL))
    pending(session_factory, ("you will get no more SMS", NEPAL), purpose="opt_out")
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()}, now=START) == 1
    by_body = rows(session_factory)
    assert by_body["news"].status == OutboxStatus.FAILED and "opted out" in by_body["news"].last_error
    assert by_body["you will get no more SMS"].status == OutboxStatus.SENT


def test_a_message_not_sent_within_72_hours_is_given_up(session_factory):
    pending(session_factory, ("old", NEPAL), now=START - timedelta(hours=73))
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: ConsoleGateway()}, now=START) == 0
    old = rows(session_factory)["old"]
    assert old.status == OutboxStatus.FAILED and "gave up after 72 h" in old.last_error


def test_retry_after_is_honoured(httpserver, session_factory):
    httpserver.expect_request(MESSAGES, method="POST").respond_with_json(
        {"code": 20429, "message": "Too Many Requests", "status": 429}, status=429, headers={"Retry-After": "900"})
    pending(session_factory, ("busy", NEPAL))
    assert deliver_due(session_factory, gateways={OutboxChannel.SMS: gateway(httpserver)}, now=START) == 0
    busy = rows(session_factory)["busy"]
    assert busy.status == OutboxStatus.PENDING and busy.next_attempt_at >= START + timedelta(seconds=900)
    assert busy.error_code == 20429 and not busy.uncertain


def test_backoff_grows_and_stays_jittered():
    from core.outbox import mark_failed

    message = OutboxMessage(created_at=START, attempts=0)
    waits = []
    for attempt in range(1, 12):
        message.attempts = attempt
        mark_failed(message, now=START, error="503", permanent=False, rng=random.Random(attempt))
        waits.append((message.next_attempt_at - START).total_seconds())
    assert waits[0] >= 30 and waits[1] >= 60 and waits[2] >= 120
    assert all(30 * 2 ** i <= w <= 1.5 * 30 * 2 ** i for i, w in enumerate(waits[:6]))
    assert max(waits) <= 1.5 * 3600


def test_error_21610_when_sending_opts_the_number_out(httpserver, session_factory):
    httpserver.expect_request(MESSAGES, method="POST").respond_with_json(
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}, status=400)
    pending(session_factory, ("hello", NEPAL))
    deliver_due(session_factory, gateways={OutboxChannel.SMS: gateway(httpserver)}, now=START)
    assert rows(session_factory)["hello"].status == OutboxStatus.FAILED
    from intake.models import Citizen

    with session_factory() as session:
        assert session.scalar(select(Citizen.opted_out_at).where(Citizen.phone == NEPAL)) is not None


def test_a_worker_that_died_after_claiming_leaves_the_message_uncertain(session_factory):
    from core.outbox import claim_due

    pending(session_factory, ("x", NEPAL))
    with session_factory() as session:
        [claimed] = claim_due(session, now=START)
        assert not claimed.uncertain
        session.commit()  # ...and the worker dies before recording anything
    with session_factory() as session:
        assert claim_due(session, now=START + timedelta(minutes=1)) == []
        [again] = claim_due(session, now=START + timedelta(minutes=6))
        assert again.uncertain and again.attempts == 2
