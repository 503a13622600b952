"""Every route × every role: what one office may not see answers 404 and appears in no list or figure.

The table below gives each route of the app an access rule. A route missing from it fails the first
test, so a new page or endpoint cannot ship without someone deciding who may use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from intake.actors import SYSTEM
from intake.models import ApiKey, GrievanceEvent, Role
from intake.queries import office_by_code
from routing.services import Policy, transfer
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

PHONES = {"north": "+9779812003001", "central": "+9779812003002", "integrity": "+9779812003003"}
GRIEVANCE_PARAM = re.compile(r"\{(tracking_number|number)\}")
# method, path → rule
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/openapi.json"): "public", ("GET", "/docs"): "public", ("GET", "/docs/oauth2-redirect"): "public",
    ("GET", "/redoc"): "public", ("GET", "/api-docs/static"): "public",
    ("GET", "/healthz"): "public", ("GET", "/readyz"): "public",
    ("GET", "/api/v1/offices"): "public", ("GET", "/api/v1/categories"): "public",
    ("POST", "/api/v1/grievances"): "api-create", ("POST", "/api/v1/service-deliveries"): "api-deliveries",
    ("GET", "/api/v1/grievances/{tracking_number}"): "api-grievance",
    ("GET", "/api/v1/grievances"): "api-list",
    ("POST", "/api/v1/grievances/{tracking_number}/actions"): "api-grievance-action",
    ("GET", "/api/v1/routing/rules"): "api-config", ("POST", "/api/v1/routing/rules"): "api-config",
    ("DELETE", "/api/v1/routing/rules/{rule_id}"): "api-config", ("GET", "/api/v1/routing/models"): "api-config",
    ("GET", "/api/v1/routing/thresholds"): "api-config", ("PUT", "/api/v1/routing/thresholds/{category}"): "api-config",
    ("GET", "/api/v1/routing/transfer-latency"): "api-figures", ("GET", "/api/v1/kpi/silence"): "api-figures",
    ("GET", "/api/v1/kpi"): "api-figures",
    ("GET", "/"): "public", ("GET", "/open-data/"): "public", ("GET", "/staff/figures"): "staff",
    ("POST", "/webhooks/twilio/sms"): "signed", ("POST", "/webhooks/twilio/status"): "signed",
    ("POST", "/webhooks/twilio/voice"): "signed", ("POST", "/webhooks/twilio/voice/language"): "signed",
    ("POST", "/webhooks/twilio/voice/menu"): "signed", ("POST", "/webhooks/twilio/voice/recorded"): "signed",
    ("POST", "/webhooks/twilio/voice/transcription"): "signed",
    ("POST", "/webhooks/telegram"): "telegram-secret",  # 404 with no bot configured (tests/test_telegram.py)
    ("GET", "/staff"): "staff", ("GET", "/staff/inbox"): "staff-list",
    ("GET", "/staff/login"): "public", ("POST", "/staff/login"): "sign-in", ("POST", "/staff/logout"): "staff-form",
    ("GET", "/staff/welcome/{token}"): "one-time-link", ("POST", "/staff/welcome/{token}"): "one-time-link",
    ("GET", "/staff/grievances/{number}"): "staff-grievance",
    ("POST", "/staff/grievances/{number}/act"): "staff-grievance-action",
    ("GET", "/staff/static"): "public",
    ("GET", "/staff/dashboard"): "staff-figures", ("GET", "/staff/dashboard.csv"): "staff-figures",
    ("GET", "/staff/meeting"): "staff-figures", ("POST", "/staff/meeting/actions"): "staff-form",
    ("POST", "/staff/meeting/actions/{item_id}"): "staff-form",
    ("GET", "/staff/calls"): "staff-calls", ("POST", "/staff/calls/file"): "staff-form",
    ("POST", "/staff/calls/add"): "staff-form", ("POST", "/staff/calls/summarise"): "staff-form",
    ("GET", "/dev/outbox"): "dev", ("POST", "/dev/sms"): "dev",
    ("GET", "/open311/v2/discovery.{fmt}"): "public", ("GET", "/open311/v2/services.{fmt}"): "public",
    ("GET", "/open311/v2/services/{code}.{fmt}"): "public", ("GET", "/open311/v2/requests.{fmt}"): "public",
    ("GET", "/open311/v2/requests/{request_id}.{fmt}"): "public", ("GET", "/open311/v2/tokens/{token}.{fmt}"): "public",
    ("POST", "/open311/v2/requests.{fmt}"): "open311-key",  # the api_key form field (tests/test_open311.py)
    ("GET", "/public"): "public", ("GET", "/public/offices/{code}"): "public",
    ("GET", "/public/categories/{code}"): "public", ("GET", "/open-data/{table}.{fmt}"): "public",
    ("GET", "/complain"): "public", ("POST", "/complain"): "citizen-form",  # the portal: anyone may complain
    ("GET", "/track"): "public", ("POST", "/track"): "citizen-secret",  # and follow it with its secret
    ("POST", "/track/act"): "citizen-secret",
    # administration: administrators change, managers may look (test_admin_routes_by_role)
    ("GET", "/staff/admin"): "staff-admin-view", ("GET", "/staff/admin/versions"): "staff-admin-view",
    ("GET", "/staff/admin/versions/{version_id}.toml"): "staff-admin-view",
    ("GET", "/staff/admin/directory.toml"): "staff-admin-view",
    ("GET", "/staff/admin/{section_name}"): "staff-admin-view",
    ("GET", "/staff/admin/{section_name}/new"): "staff-admin-view",
    ("GET", "/staff/admin/{section_name}/edit"): "staff-admin-view",
    ("POST", "/staff/admin/{section_name}/save"): "staff-admin-change",
    ("GET", "/staff/admin/staff"): "staff-admin-view", ("POST", "/staff/admin/staff"): "staff-admin-change",
    ("POST", "/staff/admin/staff/{username}/{action}"): "staff-admin-change",
    ("GET", "/staff/admin/keys"): "staff-admin-view", ("POST", "/staff/admin/keys"): "staff-admin-change",
    ("POST", "/staff/admin/keys/{key_id}/revoke"): "staff-admin-change",
    ("GET", "/staff/admin/audit"): "staff-admin-view", ("GET", "/staff/admin/audit.csv"): "staff-admin-view",
}


def routes(app) -> list[tuple[str, str]]:
    """(method, path) of every route, looking inside included routers and mounts."""
    found = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for context in contexts:
            for method in sorted(getattr(context, "methods", None) or {"GET"}):
                if method != "HEAD":
                    found.append((method, context.path))
    return found


@dataclass(frozen=True)
class Seat:
    role: Role
    office: str
    hidden: str | None  # which grievance this role must not see (None: an admin sees everything)
    seen: str  # one it must see


SEATS = [
    Seat(Role.OFFICER, "RV-N-WATER", hidden="central", seen="north"),
    Seat(Role.OFFICE_HEAD, "RV-N", hidden="central", seen="north"),
    Seat(Role.MANAGER, "RV-N", hidden="central", seen="north"),
    Seat(Role.OVERSIGHT, "RV-OIU", hidden="central", seen="integrity"),
    Seat(Role.OPERATOR, "RV-CALL", hidden="integrity", seen="central"),
    Seat(Role.ADMIN, "RV", hidden=None, seen="integrity"),
]


def test_every_route_has_an_access_rule(app):
    missing = [route for route in routes(app) if route not in ACCESS]
    assert not missing, f"routes with no access rule in tests/test_access_matrix.py: {missing}"


@pytest.fixture
def world(session):
    """Grievances of two district offices, an integrity complaint, and a transfer out of each district."""
    north = builders.grievance(session, now=START, phone="+9779812003001", text="No water in Northbank ward 3")
    central = builders.grievance(session, now=START, phone="+9779812003002", admin_area="RV-C",
                                 text="No water in Central ward 1")
    integrity = builders.grievance(session, now=START, phone="+9779812003003", category="corruption",
                                   text="The clerk asked me for a bribe to register my land")
    mistaken = builders.grievance(session, now=START, phone="+9779812003004", admin_area="RV-C",
                                  text="The road outside is flooded from a burst main")
    transfer(session, grievance=mistaken, to_office=office_by_code(session, "RV-C-ROADS"), actor=SYSTEM,
             now=START + timedelta(hours=1), note="roads dig", category=None, policy=Policy())
    session.commit()
    return {"north": north.tracking_number, "central": central.tracking_number,
            "integrity": integrity.tracking_number}


@pytest.mark.parametrize("seat", SEATS, ids=[s.role.value for s in SEATS])
def test_each_role_gets_nothing_of_what_it_may_not_see(app, session, world, seat):
    key = builders.api_key(session, role=seat.role, office=seat.office, now=START)
    username = builders.staff(session, username=f"matrix.{seat.role.value}", role=seat.role, office=seat.office,
                              now=START)
    api = TestClient(app, base_url="https://testserver", headers=builders.auth(key), follow_redirects=False)
    staff = TestClient(app, base_url="https://testserver", follow_redirects=False)
    with api, staff:
        assert sign_in(staff, username).status_code == 303
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', staff.get("/staff/inbox").text).group(1)
        checked = 0
        for method, path in routes(app):
            rule = ACCESS[(method, path)]
            client = staff if rule.startswith("staff") else api
            for name, must_see in ((seat.seen, True), (seat.hidden, False)):
                if name is None or not GRIEVANCE_PARAM.search(path):
                    continue
                url = GRIEVANCE_PARAM.sub(world[name], path)
                events = session.scalar(select(func.count()).select_from(GrievanceEvent))
                if rule.endswith("-action"):
                    body = {"action": "note", "note": "matrix"}
                    answer = (client.post(url, json=body) if rule.startswith("api") else
                              client.post(url, data={**body, "csrf_token": csrf}))
                    if not must_see:
                        assert answer.status_code == 404, (seat, path, answer.text)
                        session.expire_all()
                        assert session.scalar(select(func.count()).select_from(GrievanceEvent)) == events
                else:
                    answer = client.get(url)
                    assert answer.status_code == (200 if must_see else 404), (seat, path, name, answer.text[:300])
                checked += 1
            if rule in ("api-list", "staff-list"):
                listing = client.get(path, params={"status": "all"} if rule == "staff-list" else {})
                assert listing.status_code == 200, (seat, path)
                assert world[seat.seen] in listing.text, (seat, path, "its own work is listed")
                if seat.hidden:
                    assert world[seat.hidden] not in listing.text, (seat, path)
                checked += 1
            if rule == "staff-calls":  # the call centre finds callers by phone: never what its role may not see
                found = client.get(path, params={"phone": PHONES[seat.seen]})
                if seat.role in (Role.OPERATOR, Role.ADMIN):
                    assert found.status_code == 200 and world[seat.seen] in found.text, (seat, path)
                    if seat.hidden:
                        hidden = client.get(path, params={"phone": PHONES[seat.hidden]})
                        assert hidden.status_code == 200 and world[seat.hidden] not in hidden.text, (seat, path)
                else:
                    assert found.status_code == 403 and world[seat.seen] not in found.text, (seat, path)
                checked += 1
            if rule == "staff-figures" and seat.hidden == "central":
                assert client.get(path, params={"office": "RV-C"}).status_code == 404, (seat, path)
                figures = client.get(path, params={"weeks": 52})
                assert figures.status_code == 200, (seat, path)
                assert "RV-C" not in figures.text and "Central" not in figures.text, (seat, path)
                checked += 1
            if rule == "api-figures" and seat.hidden and seat.role in (Role.MANAGER, Role.OFFICE_HEAD, Role.OVERSIGHT,
                                                                        Role.OFFICER):
                figures = client.get(path, params={"by": "office"} if "silence" in path else {})
                if figures.status_code == 200:
                    assert "RV-C" not in figures.text, (seat, path)  # no row, no count of the other district
                checked += 1
        assert checked >= 5


def test_without_credentials_only_public_routes_answer(app, world):
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as anonymous:
        for method, path in routes(app):
            rule = ACCESS[(method, path)]
            url = GRIEVANCE_PARAM.sub(world["north"], path)
            url = url.replace("{rule_id}", "1").replace("{category}", "water").replace("{item_id}", "1")
            body = {"json": {}} if method in ("POST", "PUT") else {}
            answer = anonymous.request(method, url, **({"data": {"Body": "hello"}} if rule == "signed" else body))
            if rule.startswith("api"):
                assert answer.status_code == 401, (method, path)
            elif rule.startswith("staff"):
                assert answer.status_code in (303, 403), (method, path)  # to the sign-in page; a form without a session
                assert world["north"] not in answer.text
            elif rule == "signed":  # the test settings are the console development mode, which takes unsigned
                assert answer.status_code in (403, 422), (method, path)  # posts (tests/test_sms.py: signatures)
            elif rule == "open311-key" or rule == "telegram-secret":
                assert answer.status_code in (403, 404), (method, path)
            elif rule == "citizen-secret":
                assert answer.status_code == 403 and world["north"] not in answer.text, (method, path)
            elif rule == "citizen-form":
                assert answer.status_code == 422 and world["north"] not in answer.text, (method, path)  # empty
            elif rule == "one-time-link":  # a link that sets a password: without a valid token, nothing
                assert answer.status_code in (400, 403) and 'name="password"' not in answer.text, (method, path)


ADMIN_PARAMS = {"{section_name}": "offices", "{version_id}": "1", "{username}": "matrix.target", "{action}": "enable"}
ADMIN_QUERY = {"/staff/admin/{section_name}/edit": {"key": '["RV-N"]'}}


@pytest.mark.parametrize("seat", SEATS, ids=[s.role.value for s in SEATS])
def test_admin_routes_by_role(app, session, seat):
    """Every administration route: an administrator may use it, a manager may only look, anyone else gets 403 —
    and a refused change changes nothing."""
    from core.audit import AuditEntry
    from directory.services import latest_version

    username = builders.staff(session, username=f"matrix.{seat.role.value}", role=seat.role, office=seat.office,
                              now=START)
    builders.staff(session, username="matrix.target", office="RV-LAND", now=START)
    spare = builders.api_key(session, office="RV-LAND", now=START)
    key_id = session.scalar(select(func.max(ApiKey.id)))
    assert spare
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as staff:
        assert sign_in(staff, username).status_code == 303
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', staff.get("/staff/inbox").text).group(1)
        admin_routes = [(m, p) for m, p in routes(app) if ACCESS[(m, p)].startswith("staff-admin")]
        assert len(admin_routes) == 16
        for method, path in admin_routes:
            url = path.replace("{key_id}", str(key_id))
            for name, value in ADMIN_PARAMS.items():
                url = url.replace(name, value)
            before = (session.scalar(select(func.count()).select_from(AuditEntry)), latest_version(session))
            if method == "GET":
                answer = staff.get(url, params=ADMIN_QUERY.get(path, {}))
                allowed = seat.role in (Role.ADMIN, Role.MANAGER)
                assert answer.status_code in ((200, 404) if allowed and "{version_id}" in path else
                                              (200,) if allowed else (403,)), (seat, path, answer.text[:300])
            else:
                answer = staff.post(url, data={"csrf_token": csrf, "name": "matrix key", "office": "RV-LAND",
                                               "role": "officer", "username": "matrix.new", "key": '["RV-N"]'})
                if seat.role is Role.ADMIN:
                    assert answer.status_code in (200, 303, 422), (seat, path, answer.text[:300])
                else:
                    assert answer.status_code == 403, (seat, path, answer.text[:300])
                    session.expire_all()
                    after = (session.scalar(select(func.count()).select_from(AuditEntry)), latest_version(session))
                    assert after == before, (seat, path, "a refused change changed nothing")
