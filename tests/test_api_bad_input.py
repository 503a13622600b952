"""Hostile and broken input: a clear 4xx, and nothing written."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from core.outbox import OutboxMessage
from intake.models import Citizen, Grievance, GrievanceEvent, InboundMessage, Role
from tests import builders
from tests.builders import auth

GOOD = {"text": "Streetlight broken for a week", "phone": "9812345678", "category": "electricity",
        "admin_area": "RV-S"}


def counts(session) -> tuple[int, ...]:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Grievance, GrievanceEvent, Citizen, OutboxMessage, InboundMessage))


CASES = [
    ("empty-text", {"json": GOOD | {"text": ""}}, 422, "text is empty"),
    ("blank-text", {"json": GOOD | {"text": " \n\t "}}, 422, "text is empty"),
    ("missing-text", {"json": {"phone": "9812345678"}}, 422, "text: is required"),
    ("text-100kb", {"json": GOOD | {"text": "a" * 100_000}}, 422, "characters"),
    ("text-over-5000", {"json": GOOD | {"text": "é" * 5001}}, 422, "at most 5000"),
    ("nul-byte", {"json": GOOD | {"text": "water\x00off"}}, 422, "NUL byte"),
    ("invalid-phone", {"json": GOOD | {"phone": "12"}}, 422, "phone"),
    ("letters-phone", {"json": GOOD | {"phone": "call me maybe"}}, 422, "phone"),
    ("unknown-category", {"json": GOOD | {"category": "unicorns"}}, 422, "unknown category"),
    ("bad-area", {"json": GOOD | {"admin_area": "RV N; DROP"}}, 422, "admin_area"),
    ("bad-language", {"json": GOOD | {"language": "english please"}}, 422, "language"),
    ("bad-channel", {"json": GOOD | {"channel": "pigeon"}}, 422, "channel"),
    ("unknown-field", {"json": GOOD | {"office": "RV"}}, 422, "not a field"),
    ("array-body", {"json": [GOOD]}, 422, "JSON object"),
    ("malformed-json", {"content": b'{"text": "water', "headers": {"Content-Type": "application/json"}}, 400,
     "not valid JSON"),
    ("form-encoded", {"data": {"text": "water"}}, 415, "application/json"),
    ("text-plain", {"content": b"water", "headers": {"Content-Type": "text/plain"}}, 415, "application/json"),
    ("no-content-type", {"content": json.dumps(GOOD).encode(), "headers": {"Content-Type": ""}}, 415,
     "application/json"),
    ("huge-body", {"content": b'{"text": "' + b"a" * 400_000 + b'"}', "headers": {"Content-Type": "application/json"}},
     413, "larger than"),
]


@pytest.mark.parametrize(("body", "status", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_submissions_are_refused_clearly_and_write_nothing(client, session, clock, body, status, says):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    before = counts(session)
    kwargs = dict(body)
    kwargs["headers"] = headers | kwargs.get("headers", {})
    response = client.post("/api/v1/grievances", **kwargs)
    assert response.status_code == status, response.text
    assert says in response.json()["detail"]
    assert counts(session) == before


@pytest.mark.parametrize(("headers", "says"), [
    ({}, "Authorization"),
    ({"Authorization": "Bearer rk_not-a-real-key"}, "unknown or revoked"),
    ({"Authorization": "Basic dXNlcjpwYXNz"}, "Bearer"),
], ids=["none", "unknown-key", "basic-auth"])
def test_unauthenticated_requests_get_401(client, session, headers, says):
    before = counts(session)
    response = client.post("/api/v1/grievances", json=GOOD, headers=headers)
    assert response.status_code == 401 and says in response.json()["detail"]
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert counts(session) == before


def test_revoked_key_is_refused(client, session, clock):
    from intake.accounts import revoke_api_keys

    secret = builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now)
    revoke_api_keys(session, name="test-admin-RV", now=clock.now)
    session.commit()
    assert client.get("/api/v1/grievances", headers=auth(secret)).status_code == 401


@pytest.mark.parametrize(("number", "status"), [("KYVZ-6639", 422), ("KYVZ-66O8", 422), ("ZZZZ-ZZZZ", 422)],
                         ids=["typo", "letter-o", "check"])
def test_mistyped_tracking_numbers_are_reported_not_matched(client, session, clock, number, status):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    response = client.get(f"/api/v1/grievances/{number}", headers=headers)
    assert response.status_code == status
    assert "tracking number" in response.json()["detail"]


def test_bad_actions_change_nothing(client, session, clock):
    headers = auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))
    number = client.post("/api/v1/grievances", json=GOOD, headers=headers).json()["tracking_number"]
    before = counts(session)
    url = f"/api/v1/grievances/{number}/actions"
    for body, status in [({"action": "delete"}, 422), ({"action": "resolve"}, 422),
                         ({"action": "close"}, 409), ({"action": "reopen", "note": "x"}, 409),
                         ({"action": "respond", "note": "\x00"}, 422), ({"note": "x"}, 422),
                         ({"action": "transfer", "office": "NOPE", "note": "wrong district"}, 422),
                         ({"action": "transfer", "note": "no office given"}, 422)]:
        response = client.post(url, json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        assert response.json()["detail"]
    assert counts(session) == before


def guarded_call(headers: list[tuple[bytes, bytes]], chunks: list[bytes]) -> tuple[int, bytes, bool]:
    """Drive the guard over raw ASGI messages; returns status, body and whether the app behind it ran."""
    import asyncio

    from app.errors import RequestGuard

    reached = False

    async def inner(scope, receive, send):
        nonlocal reached
        reached = True
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]
    sent: list[dict] = []

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/api/v1/grievances",
             "headers": [(b"content-type", b"application/json"), *headers]}
    asyncio.run(RequestGuard(inner, max_bytes=1024)(scope, receive, send))
    return sent[0]["status"], sent[1]["body"], reached


@pytest.mark.parametrize(("headers", "chunks", "status", "says"), [
    ([(b"content-length", b"abc")], [b"{}"], 400, b"not a number"),
    ([(b"content-length", b"4096")], [b"x" * 4096], 413, b"larger than"),
    ([], [b"x" * 600, b"x" * 600], 413, b"larger than"),
], ids=["content-length-not-number", "declared-too-large", "chunked-too-large"])
def test_request_guard_refuses_before_the_app_runs(headers, chunks, status, says):
    got_status, body, reached = guarded_call(headers, chunks)
    assert (got_status, reached) == (status, False) and says in body


def test_request_guard_passes_a_chunked_body_within_the_limit():
    status, _, reached = guarded_call([], [b"x" * 500, b"x" * 500])
    assert (status, reached) == (204, True)
