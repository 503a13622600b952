"""Staff sign-in: __Host- session cookie, CSRF on every form, lockout that reveals nothing, timeouts, sign-out."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from core.throttle import Throttle, key_of
from intake.models import StaffSession
from tests import builders
from tests.builders import STAFF_PASSWORD
from tests.conftest import START


def login_form(browser, next_: str = "") -> str:
    page = browser.get("/staff/login" + (f"?next={next_}" if next_ else ""))
    assert page.status_code == 200
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def sign_in(browser, username: str, password: str = STAFF_PASSWORD, next_: str = ""):
    token = login_form(browser, next_)
    return browser.post("/staff/login", data={"username": username, "password": password, "csrf_token": token,
                                              "next": next_})


def test_signing_in_sets_a_host_only_secure_session_cookie(browser, session):
    builders.staff(session, username="water.officer", now=START)
    response = sign_in(browser, "water.officer")
    assert response.status_code == 303 and response.headers["location"] == "/staff/inbox"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith("__Host-redress_session="))
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes and "domain" not in attributes
    assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
    token = browser.cookies.get("__Host-redress_session")
    stored = session.scalars(select(StaffSession.id)).all()
    assert token not in stored and len(stored) == 1  # only the token's hash is kept


def test_every_refusal_is_the_same_and_the_lockout_holds_even_for_the_right_password(browser, session, clock):
    builders.staff(session, username="water.officer", now=START)
    wrong = sign_in(browser, "water.officer", "not the password")
    unknown = sign_in(browser, "nobody.here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert _message(wrong) == _message(unknown)
    for _ in range(4):
        sign_in(browser, "water.officer", "still wrong")
        sign_in(browser, "nobody.here", "still wrong")
    locked = sign_in(browser, "water.officer")  # the right password, during the lockout
    assert locked.status_code == 401 and _message(locked) == _message(unknown)
    assert session.scalar(select(func.count()).select_from(Throttle)) == 2
    assert "water.officer" not in str(session.scalars(select(Throttle.key)).all())
    clock.advance(minutes=16)
    assert sign_in(browser, "water.officer").status_code == 303
    assert session.get(Throttle, _key("water.officer")) is None  # a success clears the count


def test_a_disabled_account_is_refused_like_any_other(browser, session):
    builders.staff(session, username="gone.officer", now=START, active=False)
    assert sign_in(browser, "gone.officer").status_code == 401


def test_forms_without_the_csrf_token_are_refused(browser, session):
    builders.staff(session, username="water.officer", now=START)
    login_form(browser)
    refused = browser.post("/staff/login", data={"username": "water.officer", "password": STAFF_PASSWORD,
                                                 "csrf_token": "forged"})
    assert refused.status_code == 403 and "__Host-redress_session" not in browser.cookies
    assert sign_in(browser, "water.officer").status_code == 303
    assert browser.post("/staff/logout", data={}).status_code == 403
    assert browser.post("/staff/logout", data={"csrf_token": "forged"}).status_code == 403
    assert session.scalar(select(StaffSession.ended_at)) is None  # still signed in


def test_sign_out_ends_the_session_for_good(browser, session, app):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    token = browser.cookies.get("__Host-redress_session")
    page = browser.get("/staff/login")
    csrf = session.scalar(select(StaffSession.csrf_token))
    assert page.status_code == 200
    assert browser.post("/staff/logout", data={"csrf_token": csrf}).status_code == 303
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as stolen:
        stolen.cookies.set("__Host-redress_session", token)
        assert stolen.get("/staff/inbox").status_code == 303  # the old cookie signs nobody in


@pytest.mark.parametrize(("steps", "alive"), [
    ([29], True), ([31], False),  # idle
    ([25] * 28, True), ([25] * 29, False),  # busy all day, but 12 hours is the most (28 x 25 min = 11:40)
])
def test_idle_and_absolute_timeouts(browser, session, clock, steps, alive):
    builders.staff(session, username="water.officer", now=START)
    sign_in(browser, "water.officer")
    for minutes in steps:
        clock.advance(minutes=minutes)
        response = browser.get("/staff/inbox")
    assert (response.status_code == 200) is alive
    if not alive:
        assert response.headers["location"].startswith("/staff/login?next=%2Fstaff%2Finbox")


def test_sign_in_only_sends_staff_on_to_pages_of_this_site(browser, session):
    builders.staff(session, username="water.officer", now=START)
    assert sign_in(browser, "water.officer", next_="/staff/inbox?status=open").headers["location"] == \
        "/staff/inbox?status=open"
    for evil in ("https://evil.example/", "//evil.example/staff", "/\\evil.example"):
        browser.cookies.clear()
        assert sign_in(browser, "water.officer", next_=evil).headers["location"] == "/staff/inbox"


def test_the_sign_in_page_changes_nothing(browser, session):
    before = session.scalar(select(func.count()).select_from(StaffSession))
    for _ in range(3):
        assert browser.get("/staff/login").status_code == 200
    assert session.scalar(select(func.count()).select_from(StaffSession)) == before
    assert session.scalar(select(func.count()).select_from(Throttle)) == 0


def _message(response) -> str:
    return re.search(r'role="alert">([^<]+)<', response.text).group(1)


def _key(username: str) -> str:
    return key_of("login", username)
