"""Hostile input at the edge (issue 22): a NUL or other control character in any path, query value or body,
invalid UTF-8, or JSON nested 10,000 deep answers 422 in the API's error shape on every route, before any
handler or query runs, on SQLite and PostgreSQL (which refuses NUL in text with an error no route expected:
the 500s the probes found). Nothing is stored. Ordinary text, with its tabs and line breaks, still passes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from intake.models import Grievance
from tests import builders
from tests.conftest import START
from tests.test_access_matrix import routes

PARAM = re.compile(r"\{([^}:]+)(:[^}]+)?\}")


def stored(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Grievance))


def probe_paths(app) -> list[tuple[str, str]]:
    """Every route, its path parameters filled with a value hiding a NUL."""
    out = []
    for method, path in routes(app):
        if path.startswith("/staff/static"):
            continue
        out.append((method, PARAM.sub(lambda m: "x%00y" if not m[2] else "x%00y/z", path)))
    return out


def assert_refused(answer, field: str | None = None) -> None:
    assert answer.status_code == 422, (answer.request.method, answer.request.url, answer.status_code, answer.text)
    body = answer.json()
    assert body["code"] == "invalid_input" and body["detail"]
    if field is not None:
        assert body["field"] == field, body


def test_a_nul_in_any_path_or_query_is_refused_on_every_route(app, client, session):
    key = builders.auth(builders.api_key(session, now=START))
    before = stored(session)
    with_params = 0
    for method, path in probe_paths(app):
        if "%00" in path:
            with_params += 1
            assert_refused(client.request(method, path, headers=key), "path")
        plain = PARAM.sub("x", path.replace("x%00y/z", "x").replace("x%00y", "x"))
        assert_refused(client.request(method, plain + "?q=a%00b", headers=key), "q")
        assert_refused(client.request(method, plain + "?office=%01", headers=key), "office")
    assert with_params >= 10
    assert stored(session) == before


@pytest.mark.parametrize("body", [
    "text=No%00water&phone=%2B9779812345678",
    "text=Water&category=%00",
    "username=rv%00.admin&password=x",
    "number=AB12-CD34&secret=%00",
    "text=%FF%FEbroken",  # not UTF-8
    "text=bell%07ringing",
])
def test_a_form_body_with_a_control_character_or_bad_utf8_is_refused(app, client, session, body):
    before = stored(session)
    for method, path in routes(app):
        if method == "POST" and not path.startswith("/api/") and "{" not in path:
            answer = client.post(path, content=body.encode("latin-1"),
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert_refused(answer)
    assert stored(session) == before


@pytest.mark.parametrize("body", [
    b'{"text": "No water\\u0000 here", "phone": "+9779812345678"}',
    b'{"text": "No water", "category": "\\u0000"}',
    b'{"text": "\xff\xfe"}',
    b"[" * 10_000 + b"]" * 10_000,
    b'{"a": ' * 40 + b"1" + b"}" * 40,
])
def test_a_json_body_with_nul_bad_utf8_or_absurd_depth_is_refused(app, client, session, body):
    key = builders.auth(builders.api_key(session, now=START))
    before = stored(session)
    for method, path in routes(app):
        if method in ("POST", "PUT", "PATCH") and (path.startswith("/api/") or path.startswith("/open311")):
            target = PARAM.sub("x", path)
            answer = client.request(method, target, content=body,
                                    headers={**key, "Content-Type": "application/json"})
            assert_refused(answer, "body")
    assert client.post("/webhooks/telegram", content=b"[" * 10_000,
                       headers={"Content-Type": "application/json"}).status_code == 422
    assert stored(session) == before


def test_ordinary_text_with_tabs_and_line_breaks_still_passes(client, session):
    key = builders.auth(builders.api_key(session, now=START))
    before = stored(session)
    answer = client.post("/api/v1/grievances", headers=key, json={
        "text": "No water in our street\n\tfor three days.\r\nPlease help.", "phone": "+9779812345678",
        "category": "water", "admin_area": "RV-N"})
    assert answer.status_code == 201, answer.text
    assert stored(session) == before + 1
    assert client.get("/public/offices/RV-N-WATER", params={"lang": "ne"}).status_code == 200
    assert client.get("/public/offices/NOPE").status_code == 404  # a plain unknown code is still a 404
