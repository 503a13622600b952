"""Every door, one store: `redress serve` on the demo with its bot pointed at a local Bot API server and its SMS at
a local Twilio API. A Telegram conversation, a web submission and a call filed by an operator in the browser
become grievances of the right citizens, and the office's replies reach each one on their own channel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from intake.models import Channel, Grievance
from tests.e2e.conftest import ROOT, SCREENSHOTS
from tests.fakes.telegram import FakeTelegram
from tests.fakes.twilio import FakeTwilio
from tests.live import free_port, wait_ready

TOKEN = "424242:every-door"  # noqa: S105 - the fake's
SECRET = "every-door-secret"  # noqa: S105
ACCOUNT, AUTH = "AC" + "e" * 32, "every-door-auth"
CHAT, WEB_PHONE, CALLER = 6_100_001, "+9779811112222", "+9779811113333"


@pytest.fixture(scope="module")
def fakes() -> Iterator[tuple[FakeTelegram, FakeTwilio]]:
    with FakeTelegram(token=TOKEN) as telegram, FakeTwilio(account_sid=ACCOUNT, auth_token=AUTH) as twilio:
        yield telegram, twilio


@pytest.fixture(scope="module")
def served(tmp_path_factory, fakes) -> Iterator[tuple[str, str, str]]:
    """(base URL, database URL, demo API key) of a live server wired to the two fakes."""
    telegram, twilio = fakes
    folder = tmp_path_factory.mktemp("every-door")
    port = free_port()
    database = f"sqlite:///{folder / 'redress.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("REDRESS_")} | {
        "REDRESS_DATABASE_URL": database, "REDRESS_MODEL_DIR": str(folder / "models"),
        "REDRESS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(ROOT),
        "REDRESS_TELEGRAM_BOT_TOKEN": TOKEN, "REDRESS_TELEGRAM_API_BASE": telegram.url,
        "REDRESS_TELEGRAM_WEBHOOK_SECRET": SECRET, "REDRESS_SMS_PROVIDER": "twilio",
        "REDRESS_TWILIO_ACCOUNT_SID": ACCOUNT, "REDRESS_TWILIO_AUTH_TOKEN": AUTH,
        "REDRESS_TWILIO_FROM_NUMBER": "+15550100", "REDRESS_TWILIO_API_BASE": twilio.url,
        "REDRESS_TWILIO_STATUS_CALLBACKS": "false", "REDRESS_SMS_QUIET_HOURS": "",
        "REDRESS_DELIVERY_INTERVAL_SECONDS": "0.5"}
    redress = [sys.executable, "-m", "app.cli"]
    init = subprocess.run([*redress, "init", "--demo"], env=env, check=True, capture_output=True, text=True,
                          timeout=300, cwd=folder)
    api_key = init.stdout.strip().splitlines()[-1]
    subprocess.run([*redress, "telegram", "webhook"], env=env, check=True, capture_output=True, timeout=60,
                   cwd=folder)
    server = subprocess.Popen([*redress, "serve", "--port", str(port)], env=env, cwd=folder,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base, database, api_key
    finally:
        server.terminate()
        server.wait(timeout=30)


def eventually(check, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.2)


def test_three_doors_one_store_and_each_reply_on_its_own_channel(served, fakes, chromium_path):
    from playwright.sync_api import sync_playwright

    base, database, api_key = served
    telegram, twilio = fakes
    assert telegram.webhook == (f"{base}/webhooks/telegram", SECRET)  # set by `redress telegram webhook`

    user = telegram.user(CHAT, first_name="Maya")  # 1. Telegram, through the webhook, as Telegram posts
    for step in ("/start", "The streetlights on the Northbank ring road have been off for a week",
                 "Northbank ring road", "Skip", "Skip"):
        assert user.says(step) == 200
    assert user.taps("Send") == 200
    said = [re.search(r"tracking number is (\S+)\.", m.text) for m in telegram.chat(CHAT)]  # the acknowledgement
    by_chat = next(found.group(1) for found in said if found)  # may arrive before the confirmation's edit

    form = httpx.get(f"{base}/complain").text  # 2. the web portal, a plain form post
    submission = re.search(r'name="submission" value="([^"]+)"', form).group(1)
    posted = httpx.post(f"{base}/complain", data={
        "submission": submission, "text": "Garbage not collected in Central ward 2 for ten days",
        "phone": WEB_PHONE, "name": "Hari", "language": "en"})
    assert posted.status_code == 200
    by_web = re.search(r"[A-Z0-9]{4}-[A-Z0-9]{4}", posted.text).group(0)

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:  # 3. the call centre, an operator in the browser
        browser = playwright.chromium.launch(executable_path=chromium_path, args=["--no-sandbox"])
        page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900}).new_page()
        page.goto("/staff/login")
        page.get_by_label("Username").fill("rv-call.operator1")
        page.get_by_label("Password").fill("redress-demo")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("link", name="Calls").click()
        page.get_by_label("Caller's phone", exact=True).first.fill(CALLER)  # find the caller first
        page.get_by_role("button", name="Find").click()
        page.get_by_text(f"No grievance from {CALLER}").wait_for()  # a first-time caller; the form has their phone
        page.get_by_label("The complaint, in the caller's words: what, where, since when").fill(
            "The health post in Northbank ward 5 has had no medicine for two weeks")
        page.get_by_role("button", name="File the complaint").click()
        page.get_by_text("Filed: read this to the caller").wait_for()
        page.screenshot(path=str(SCREENSHOTS / "call-centre-filed.png"), full_page=True)
        by_call = page.locator(".read-out").first.inner_text().replace(" ", "")
        browser.close()

    with Session(create_engine(database)) as session:  # each is a grievance of the right citizen
        rows = {g.tracking_number: g for g in session.scalars(
            select(Grievance).where(Grievance.tracking_number.in_([by_chat, by_web, by_call])))}
        assert rows[by_chat].channel is Channel.TELEGRAM and rows[by_chat].citizen.telegram_chat_id == CHAT
        assert rows[by_web].channel is Channel.WEB and rows[by_web].citizen.phone == WEB_PHONE
        assert rows[by_call].channel is Channel.CALL_CENTRE and rows[by_call].citizen.phone == CALLER

    office = {"Authorization": f"Bearer {api_key}"}  # the office replies to each (the admin key may)
    for number in (by_chat, by_web, by_call):
        grievance = httpx.get(f"{base}/api/v1/grievances/{number}", headers=office).json()
        if grievance.get("office") is None:
            answer = httpx.post(f"{base}/api/v1/grievances/{number}/actions", headers=office,
                                json={"action": "transfer", "office": "RV-N", "note": "placed by hand"})
            assert answer.status_code == 200, answer.text
        answer = httpx.post(f"{base}/api/v1/grievances/{number}/actions", headers=office,
                            json={"action": "respond", "note": f"Reply for {number}: a crew comes on Monday."})
        assert answer.status_code == 200, answer.text

    assert eventually(lambda: any(f"Reply for {by_chat}" in m.text for m in telegram.chat(CHAT)))
    assert eventually(lambda: any(f"Reply for {by_web}" in m.body for m in twilio.messages if m.to == WEB_PHONE))
    assert eventually(lambda: any(f"Reply for {by_call}" in m.body for m in twilio.messages if m.to == CALLER))
    assert not any(f"Reply for {by_chat}" in m.body for m in twilio.messages)  # the chat's reply is not an SMS
