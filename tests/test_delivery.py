"""Outbound delivery from the outbox through the real twilio SDK to a local server speaking Twilio's REST API."""

from __future__ import annotations

from datetime import timedelta

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
