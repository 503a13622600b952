"""A new agency's first day, as docs/setup.md tells it, with real processes: `redress init`, the example
directory loaded, staff created, `redress serve` — and complaints by SMS and by the API land in the example
directory's offices, where the new officer sees them in the inbox."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from core.db import make_engine, make_sessionmaker
from intake.models import Grievance
from tests.fakes.twilio import FakeTwilio, inbound_params, sign
from tests.live import free_port, wait_ready
from tests.test_processes import env_for

EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "directory.toml"
SID, TOKEN, SENDER = "AC" + "f" * 32, "setup-token", "+9779800000099"
PASSWORD = "a-good-long-password"  # noqa: S105 - the new officer's, in a throwaway database


def redress(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    done = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def cookie(response: httpx.Response, name: str) -> str:
    """A __Host- cookie's value: Secure cookies are not kept by a client speaking plain http to loopback."""
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{name}="))
    return header.split(";")[0].split("=", 1)[1]


def sign_in(base: str, username: str, password: str) -> dict[str, str]:
    form = httpx.get(f"{base}/staff/login", timeout=10)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    login = f"__Host-redress_login={cookie(form, '__Host-redress_login')}"
    answer = httpx.post(f"{base}/staff/login", headers={"Cookie": login}, timeout=10,
                        data={"username": username, "password": password, "csrf_token": token, "next": ""})
    assert answer.status_code == 303, answer.text[:500]
    return {"Cookie": f"__Host-redress_session={cookie(answer, '__Host-redress_session')}"}


@pytest.fixture
def fake():
    with FakeTwilio(account_sid=SID, auth_token=TOKEN) as provider:
        yield provider


def test_a_new_agency_sets_up_and_receives_complaints(new_database_url, fake, tmp_path):
    url = new_database_url()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = env_for(url) | {"REDRESS_SMS_PROVIDER": "twilio", "REDRESS_TWILIO_ACCOUNT_SID": SID,
                          "REDRESS_TWILIO_AUTH_TOKEN": TOKEN, "REDRESS_TWILIO_FROM_NUMBER": SENDER,
                          "REDRESS_TWILIO_API_BASE": fake.url, "REDRESS_PUBLIC_BASE_URL": base,
                          "REDRESS_SMS_QUIET_HOURS": ""}

    first = redress("init", env=env)
    assert "next steps" in first and "redress directory load" in first and "redress staff create" in first
    dry = redress("directory", "load", str(EXAMPLE), "--dry-run", env=env)
    assert "add     office LK-WATER (Lakeside Water Board)" in dry and "nothing was changed" in dry
    loaded = redress("directory", "load", str(EXAMPLE), env=env)
    assert "directory version 1: 21 added, 0 changed, 0 retired" in loaded
    assert "nothing to change" in redress("directory", "load", str(EXAMPLE), env=env)
    admin = redress("staff", "create", "--username", "Admin", "--name", "First Admin", "--office", "LK", "--role",
                    "admin", env=env)
    assert re.search(rf"{re.escape(base)}/staff/welcome/\S+", admin)
    redress("staff", "create", "--username", "lk.water", "--name", "Water Officer", "--office", "LK-WATER",
            "--role", "officer", "--password-stdin", env=env, stdin=PASSWORD + "\n")
    again = redress("init", env=env)
    assert "redress directory load" not in again and "redress staff create" not in again and "serve" in again
    key = redress("apikey", "create", "--name", "portal", "--office", "LK", "--role", "officer",
                  env=env).strip().splitlines()[-1]

    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(base)
        by_api = httpx.post(f"{base}/api/v1/grievances", timeout=30, json={
            "text": "The water from our tap is brown", "phone": "9812345601", "category": "water",
            "admin_area": "LK-2"}, headers={"Authorization": f"Bearer {key}", "Idempotency-Key": "setup-1"})
        assert by_api.status_code == 201, by_api.text
        assert by_api.json()["office"]["code"] == "LK-WATER"
        sms_url = f"{base}/webhooks/twilio/sms"
        params = inbound_params(from_="+9779812345602", to=SENDER, account_sid=SID,
                                body="No water from the public tap in Old Town for three days, the tap is dry")
        answer = httpx.post(sms_url, data=params, headers={"X-Twilio-Signature": sign(sms_url, params, TOKEN)},
                            timeout=30)
        assert answer.status_code == 200, answer.text
        engine = make_engine(url)
        try:
            with make_sessionmaker(engine)() as session:
                texted = session.scalar(select(Grievance).where(Grievance.channel == "sms"))
                assert (texted.office.code, texted.admin_area, texted.category.code) == ("LK-WATER", "LK-1", "water")
                numbers = [by_api.json()["tracking_number"], texted.tracking_number]
        finally:
            engine.dispose()
        inbox = httpx.get(f"{base}/staff/inbox", headers=sign_in(base, "LK.WATER", PASSWORD), timeout=10)
        assert inbox.status_code == 200 and all(number in inbox.text for number in numbers)
    finally:
        server.terminate()
        server.wait(timeout=30)
