"""Inbound is idempotent: the same Idempotency-Key returns the first grievance and writes nothing new."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select

from app.main import create_app
from core.db import make_sessionmaker, transaction
from core.outbox import OutboxMessage
from intake.accounts import create_api_key
from intake.models import Citizen, Grievance, GrievanceEvent, InboundMessage, Role
from intake.queries import office_by_code
from tests import builders
from tests.builders import auth
from tests.conftest import PG_URL

BODY = {"text": "Garbage not collected for two weeks", "phone": "9812300001", "category": "waste",
        "admin_area": "RV-C"}


def test_retry_with_same_key_returns_the_first_grievance(client, session, clock):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    first = client.post("/api/v1/grievances", json=BODY, headers=headers | {"Idempotency-Key": "k-1"})
    clock.advance(seconds=30)
    again = client.post("/api/v1/grievances", json=BODY, headers=headers | {"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert again.json()["secret"] is None
    assert session.scalar(select(func.count()).select_from(Grievance)) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    other = client.post("/api/v1/grievances", json=BODY, headers=headers | {"Idempotency-Key": "k-2"})
    assert other.json()["tracking_number"] != first.json()["tracking_number"]


def test_same_key_with_a_different_body_is_a_conflict(client, session, clock):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now)) | {"Idempotency-Key": "k"}
    assert client.post("/api/v1/grievances", json=BODY, headers=headers).status_code == 201
    changed = client.post("/api/v1/grievances", json=BODY | {"text": "something else"}, headers=headers)
    assert changed.status_code == 409 and "different request" in changed.json()["detail"]


def test_keys_belong_to_their_client(client, session, clock):
    one = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    two = auth(builders.api_key(session, role=Role.OPERATOR, office="RV-CALL", now=clock.now))
    a = client.post("/api/v1/grievances", json=BODY, headers=one | {"Idempotency-Key": "shared"}).json()
    b = client.post("/api/v1/grievances", json=BODY, headers=two | {"Idempotency-Key": "shared"}).json()
    assert a["tracking_number"] != b["tracking_number"]


def test_same_phone_is_one_citizen_across_submissions(client, session, clock):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    client.post("/api/v1/grievances", json=BODY | {"phone": "+977 981-2300001"}, headers=headers)
    client.post("/api/v1/grievances", json=BODY | {"phone": "09812300001", "channel": "call_centre"},
                headers=headers)
    assert session.scalar(select(func.count()).select_from(Citizen)) == 1


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set REDRESS_TEST_DATABASE_URL (CI does)")
def test_ten_concurrent_submits_with_one_key_make_one_grievance(engine, settings):
    """Real concurrency: ten threads, ten connections, ten committed transactions racing on one key."""
    factory = make_sessionmaker(engine)
    with transaction(factory) as session:
        issued = create_api_key(session, name="concurrency", role=Role.ADMIN, office=office_by_code(session, "RV"),
                                now=datetime.now(UTC))
        key_id = issued.api_key.id
    app = create_app(settings, engine=engine)
    barrier = threading.Barrier(10)
    answers: list = []
    body = BODY | {"phone": "9812399999", "text": "Concurrent submit test"}

    def submit() -> None:
        with TestClient(app) as client:
            barrier.wait()
            answers.append(client.post("/api/v1/grievances", json=body,
                                       headers=auth(issued.secret) | {"Idempotency-Key": "race-1"}))

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert [a.status_code for a in answers] == [201] * 10, [a.text for a in answers]
        assert len({a.json()["tracking_number"] for a in answers}) == 1
        with transaction(factory) as session:
            rows = session.scalars(select(InboundMessage).where(InboundMessage.provider == f"api:{key_id}")).all()
            assert len(rows) == 1
            grievances = session.scalars(select(Grievance).where(Grievance.text == body["text"])).all()
            assert len(grievances) == 1
            assert session.scalar(select(func.count()).select_from(OutboxMessage)
                                  .where(OutboxMessage.grievance_id == grievances[0].id)) == 1
    finally:
        with transaction(factory) as session:
            ids = select(Grievance.id).where(Grievance.text == body["text"])
            session.execute(delete(OutboxMessage).where(OutboxMessage.grievance_id.in_(ids)))
            session.execute(delete(InboundMessage).where(InboundMessage.provider == f"api:{key_id}"))
            session.execute(delete(GrievanceEvent).where(GrievanceEvent.grievance_id.in_(ids)))
            session.execute(delete(Grievance).where(Grievance.text == body["text"]))
            session.execute(delete(Citizen).where(Citizen.phone == "+9779812399999"))
