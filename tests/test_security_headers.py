"""Browser protections on every kind of response (issue 22): a policy that allows no inline script, no
framing, no sniffing, a same-origin referrer and no camera, microphone or location; HSTS once the public
address is https. The API docs work offline (their files are ours, no CDN) and are off in production."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from core.settings import Environment
from intake.models import Role
from tests import builders
from tests.conftest import START
from tests.test_staff_signin import sign_in

PAGES = ["/public", "/complain", "/track", "/staff/login", "/open-data/offices.csv", "/healthz",
         "/api/v1/categories", "/public/offices/NOPE", "/public/x%00y", "/staff/static/staff.css"]


def assert_protected(answer, *, hsts: bool = False) -> None:
    policy = answer.headers["content-security-policy"]
    scripts = next(part for part in policy.split(";") if part.strip().startswith("script-src"))
    assert scripts.strip() == "script-src 'self'" and "frame-ancestors 'none'" in policy, policy
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert "geolocation=()" in answer.headers["permissions-policy"]
    assert ("strict-transport-security" in answer.headers) is hsts


def test_every_kind_of_answer_carries_the_protections(client, browser, session):
    for path in PAGES:
        answer = client.get(path)
        assert answer.status_code < 500, path
        assert_protected(answer)
    builders.staff(session, username="headers.head", role=Role.OFFICE_HEAD, office="RV-N", now=START)
    sign_in(browser, "headers.head")
    for path in ("/staff/inbox", "/staff/dashboard", "/staff/meeting", "/staff/figures"):
        page = browser.get(path)
        assert page.status_code == 200, path
        assert_protected(page)
        assert "<script>" not in page.text  # the one script is a file of ours
    grievance = builders.grievance(session, now=START, phone="+9779812007000")
    page = browser.get(f"/staff/grievances/{grievance.tracking_number}")
    assert '<script src="/staff/static/replies.js"></script>' in page.text and "<script>" not in page.text
    title = page.text.split("<title>")[1].split("</title>")[0]
    assert grievance.tracking_number in title and "querySelectorAll" not in title  # no script in the tab's name


def test_hsts_once_the_public_address_is_https(settings, engine, session_factory, clock):
    app = create_app(settings.model_copy(update={"public_base_url": "https://complaints.example.org"}),
                     engine=engine, session_factory=session_factory, clock=clock)
    with TestClient(app) as client:
        answer = client.get("/public")
        assert answer.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
        assert_protected(answer, hsts=True)


def test_api_docs_work_offline_and_are_off_in_production(client, settings, engine, session_factory, clock):
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/api-docs/static/swagger-ui-bundle.js" in docs.text
    assert "cdn" not in docs.text.lower() and "unpkg" not in docs.text.lower()
    assert client.get("/api-docs/static/swagger-ui-bundle.js").status_code == 200
    assert "/api-docs/static/redoc.standalone.js" in client.get("/redoc").text
    assert client.get("/openapi.json").json()["components"]["schemas"]["HTTPValidationError"]["title"] == "Error"
    production = settings.model_copy(update={"environment": Environment.PRODUCTION, "secret_key": "s" * 16 + "t" * 16})
    for api_docs, served in ((None, False), (True, True)):
        app = create_app(production.model_copy(update={"api_docs": api_docs}), engine=engine,
                         session_factory=session_factory, clock=clock)
        with TestClient(app) as client:
            for path in ("/docs", "/redoc", "/openapi.json"):
                assert (client.get(path).status_code == 200) is served, (api_docs, path)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_only_the_docs_pages_allow_their_start_up_script(client, path):
    policy = client.get(path).headers["content-security-policy"]
    assert "script-src 'self' 'unsafe-inline'" in policy and "frame-ancestors 'none'" in policy
