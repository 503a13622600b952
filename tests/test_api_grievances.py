"""The JSON API: create, read with timeline, office-scoped visibility, lists with cursors, actions."""

from __future__ import annotations

import pytest

from intake.models import Role
from tests import builders
from tests.builders import auth


@pytest.fixture
def admin(session, clock) -> dict[str, str]:
    return auth(builders.api_key(session, role=Role.ADMIN, office="RV", now=clock.now))


def create(client, headers, **body):
    payload = {"text": "Water pipe burst near the school, road flooded", "phone": "9812345678",
               "category": "water", "admin_area": "RV-N"} | body
    return client.post("/api/v1/grievances", json=payload, headers=headers)


def test_create_returns_tracking_number_routing_and_timeline(client, admin):
    response = create(client, admin, name="Sita")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tracking_number"] and len(body["tracking_number"]) == 9
    assert response.headers["Location"] == f"/api/v1/grievances/{body['tracking_number']}"
    assert body["status"] == "assigned"
    assert body["office"]["code"] == "RV-N-WATER"
    assert body["category"] == {"code": "water", "name": body["category"]["name"]}
    assert body["citizen"]["phone"] == "+9779812345678"
    assert len(body["secret"].replace("-", "")) == 16
    kinds = [(e["kind"], e["to_status"]) for e in body["events"]]
    assert kinds == [("submitted", "received"), ("routed", "assigned")]
    assert body["events"][0]["actor"]["type"] == "api_key"
    assert body["events"][1]["actor"]["type"] == "system"
    # water in the demo: answer within 8 working hours, resolve within 40, take up or pass on within 4
    assert [d["kind"] for d in body["deadlines"]] == ["first_response", "resolution", "transfer"]
    assert {d["basis"] for d in body["deadlines"]} == {"business_hours"}
    assert all(d["level"] == 0 and d["met_at"] is None for d in body["deadlines"])

    fetched = client.get(f"/api/v1/grievances/{body['tracking_number'].lower()}", headers=admin)
    assert fetched.status_code == 200
    assert fetched.json()["events"] == body["events"]
    assert fetched.json()["secret"] is None


def test_acknowledgement_with_tracking_number_waits_in_outbox(client, admin, session):
    from sqlalchemy import select

    from core.outbox import OutboxMessage

    number = create(client, admin).json()["tracking_number"]
    messages = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "+9779812345678")).all()
    assert [m.purpose for m in messages] == ["acknowledgement"]
    assert number in messages[0].body and messages[0].status == "pending"


def test_without_category_it_waits_in_triage(client, admin):
    body = create(client, admin, category=None).json()
    assert body["status"] == "triage" and body["office"] is None
    assert body["events"][-1]["data"]["reason"] == "no rule matched and no model is active"


def test_integrity_complaints_go_only_to_oversight(client, session, clock, admin):
    body = create(client, admin, category="corruption", admin_area="RV-N",
                  text="The clerk at the water office asked me for 500 rupees to fix my connection").json()
    assert body["confidentiality"] == "integrity" and body["office"]["code"] == "RV-OIU"
    number = body["tracking_number"]
    head = auth(builders.api_key(session, role=Role.OFFICE_HEAD, office="RV-N-WATER", now=clock.now))
    manager = auth(builders.api_key(session, role=Role.MANAGER, office="RV", now=clock.now))
    oversight = auth(builders.api_key(session, role=Role.OVERSIGHT, office="RV-OIU", now=clock.now))
    for headers in (head, manager):
        assert client.get(f"/api/v1/grievances/{number}", headers=headers).status_code == 404
        listed = client.get("/api/v1/grievances", headers=headers).json()["items"]
        assert number not in [g["tracking_number"] for g in listed]
    assert client.get(f"/api/v1/grievances/{number}", headers=oversight).status_code == 200


def test_office_scoped_key_sees_only_its_office(client, session, clock, admin):
    north = create(client, admin, admin_area="RV-N").json()["tracking_number"]
    central = create(client, admin, admin_area="RV-C", phone="9812345679").json()["tracking_number"]
    officer = auth(builders.api_key(session, role=Role.OFFICER, office="RV-N-WATER", now=clock.now))
    assert client.get(f"/api/v1/grievances/{north}", headers=officer).status_code == 200
    hidden = client.get(f"/api/v1/grievances/{central}", headers=officer)
    assert hidden.status_code == 404 and central in hidden.json()["detail"]
    listed = [g["tracking_number"] for g in client.get("/api/v1/grievances", headers=officer).json()["items"]]
    assert listed == [north]
    district_head = auth(builders.api_key(session, role=Role.OFFICE_HEAD, office="RV-N", now=clock.now))
    listed = [g["tracking_number"] for g in client.get("/api/v1/grievances", headers=district_head).json()["items"]]
    assert listed == [north]
    # acting on a grievance you cannot see is the same 404, not a 403 that reveals it exists
    acted = client.post(f"/api/v1/grievances/{central}/actions", json={"action": "note", "note": "x"}, headers=officer)
    assert acted.status_code == 404


def test_list_pages_with_cursor_and_filters(client, admin, clock):
    numbers = []
    for i in range(5):
        clock.advance(minutes=1)
        numbers.append(create(client, admin, phone=f"98123456{i:02d}").json()["tracking_number"])
    seen, cursor = [], None
    while True:
        params = {"limit": 2, "office": "RV-N-WATER"} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/grievances", params=params, headers=admin).json()
        seen += [g["tracking_number"] for g in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen[-5:] == numbers
    since = client.get("/api/v1/grievances", params={"since": clock.now.isoformat(), "status": "assigned"},
                       headers=admin).json()["items"]
    assert [g["tracking_number"] for g in since] == numbers[-1:]
    bad = client.get("/api/v1/grievances", params={"cursor": "nonsense!"}, headers=admin)
    assert bad.status_code == 422 and "cursor" in bad.json()["detail"]


def test_working_a_grievance_to_closure(client, admin, clock):
    number = create(client, admin).json()["tracking_number"]
    url = f"/api/v1/grievances/{number}/actions"
    clock.advance(hours=2)
    acked = client.post(url, json={"action": "acknowledge"}, headers=admin).json()
    assert acked["status"] == "in_progress"
    assert acked["first_response_at"] == clock.now.isoformat().replace("+00:00", "Z")
    assert acked["silence_hours"] == 2.0  # measuring silence: received → the office's first public word
    first = next(d for d in acked["deadlines"] if d["kind"] == "first_response")
    assert first["met_at"] == acked["first_response_at"] and first["next_escalation_at"] is None
    steps = [
        ({"action": "note", "note": "Crew booked for Tuesday"}, "in_progress"),
        ({"action": "request_info", "note": "Which house number?"}, "awaiting_citizen"),
        ({"action": "respond", "note": "We will come tomorrow"}, "awaiting_citizen"),
        ({"action": "resolve", "note": "Pipe replaced"}, "resolved"),
        ({"action": "reopen", "note": "Still leaking"}, "in_progress"),
        ({"action": "resolve", "note": "Joint resealed"}, "resolved"),
        ({"action": "close"}, "closed"),
    ]
    for body, status in steps:
        clock.advance(hours=1)
        answer = client.post(url, json=body, headers=admin)
        assert answer.status_code == 200, (body, answer.text)
        assert answer.json()["status"] == status
    final = client.get(f"/api/v1/grievances/{number}", headers=admin).json()
    assert final["first_response_at"] == acked["first_response_at"]
    assert final["reopen_count"] == 1 and final["closed_at"] is not None
    assert [e["kind"] for e in final["events"]][2:] == [
        "acknowledged", "note", "info_requested", "responded", "resolved", "reopened", "resolved", "closed"]
    assert [e["public"] for e in final["events"]][3] is False  # the internal note
    again = client.post(url, json={"action": "resolve", "note": "x"}, headers=admin)
    assert again.status_code == 409 and "closed" in again.json()["detail"]


def test_transfer_keeps_the_silence_clock_and_needs_a_reason(client, admin):
    body = create(client, admin).json()
    url = f"/api/v1/grievances/{body['tracking_number']}/actions"
    missing = client.post(url, json={"action": "transfer", "office": "RV-C-WATER"}, headers=admin)
    assert missing.status_code == 422 and "reason" in missing.json()["detail"]
    unknown = client.post(url, json={"action": "transfer", "office": "NOPE", "note": "x"}, headers=admin)
    assert unknown.status_code == 422 and "unknown office" in unknown.json()["detail"]
    moved = client.post(url, json={"action": "transfer", "office": "RV-C-WATER", "note": "Street is in Central"},
                        headers=admin).json()
    assert moved["office"]["code"] == "RV-C-WATER" and moved["transfer_count"] == 1
    assert moved["first_response_at"] is None
    assert moved["events"][-1]["data"] == {"from_office": "RV-N-WATER", "to_office": "RV-C-WATER", "category": "water"}
    sender, receiver = moved["events"][-1]["office"], moved["events"][-1]["to_office"]
    assert (sender["code"], receiver["code"]) == ("RV-N-WATER", "RV-C-WATER")  # credited to the office it left
    routed = moved["events"][1]
    assert routed["kind"] == "routed" and routed["office"]["code"] == routed["to_office"]["code"] == "RV-N-WATER"
    assert moved["events"][0]["to_office"] is None


def test_triage_assignment_by_operator(client, session, clock, admin):
    number = create(client, admin, category=None).json()["tracking_number"]
    operator = auth(builders.api_key(session, role=Role.OPERATOR, office="RV-CALL", now=clock.now))
    routed = client.post(f"/api/v1/grievances/{number}/actions", json={"action": "transfer", "office": "RV-S-WATER"},
                         headers=operator)
    assert routed.status_code == 200 and routed.json()["status"] == "assigned"
    assert routed.json()["events"][-1]["kind"] == "routed"
    denied = client.post(f"/api/v1/grievances/{number}/actions", json={"action": "resolve", "note": "x"},
                         headers=operator)
    assert denied.status_code == 403


def test_directory_lists_offices_and_categories(client):
    offices = client.get("/api/v1/offices").json()["items"]
    categories = client.get("/api/v1/categories").json()["items"]
    assert len(offices) >= 25 and len(categories) >= 12
    assert {"code", "name"} <= offices[0].keys() and {"code", "name"} <= categories[0].keys()
    assert any(o["integrity_unit"] for o in offices)
    assert {"water", "electricity", "corruption", "public-transport"} <= {c["code"] for c in categories}


def test_development_outbox_page_is_not_served_in_production(settings, engine, session_factory, clock):
    from fastapi.testclient import TestClient

    from app.main import create_app

    production = settings.model_copy(update={"environment": "production", "secret_key": "s" * 40})
    with TestClient(create_app(production, engine=engine, session_factory=session_factory, clock=clock)) as client:
        assert client.get("/dev/outbox").status_code == 404


def test_development_outbox_page_lists_console_messages(client, admin):
    number = create(client, admin).json()["tracking_number"]
    page = client.get("/dev/outbox")
    assert page.status_code == 200 and number in page.text and "pending" in page.text


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"


def test_openapi_documents_the_api(client):
    spec = client.get("/openapi.json").json()
    assert {"/api/v1/grievances", "/api/v1/grievances/{tracking_number}", "/api/v1/offices",
            "/api/v1/grievances/{tracking_number}/actions", "/api/v1/categories"} <= spec["paths"].keys()
