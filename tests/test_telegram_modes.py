"""The bot's other modes: long polling, conversation state shared through Redis, the outbox gateway's errors,
and `redress telegram webhook` — all against the local Bot API server."""

from __future__ import annotations

import asyncio
import os
import random

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import select

from app import cli
from app.main import create_app
from channels.gateways import SendFailed
from channels.telegram.bot import TelegramBot
from channels.telegram.gateway import TelegramGateway
from channels.telegram.store import Store
from intake.models import Channel, Citizen, Grievance
from routing.registry import Classifiers
from routing.services import Policy
from tests.fakes.telegram import FakeTelegram
from tests.test_telegram import SECRET, TOKEN, WEBHOOK

REDIS_URL = os.environ.get("REDRESS_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def fake():
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
def telegram_settings(settings, fake):
    return settings.model_copy(update={"telegram_bot_token": TOKEN, "telegram_api_base": fake.url,
                                       "telegram_webhook_secret": SECRET})


def test_long_polling_takes_the_updates_and_removes_a_webhook_first(fake, telegram_settings, session_factory, clock):
    fake.set_webhook("https://example.org/webhooks/telegram", SECRET)
    store = Store(factory=session_factory, clock=clock, classifiers=Classifiers(), policy=Policy())
    bot = TelegramBot(telegram_settings, store=store, wake=lambda: None)

    async def run() -> None:
        polling = asyncio.create_task(bot.poll(handle_signals=False, polling_timeout=1))
        for _ in range(100):  # the webhook is gone once polling has started
            await asyncio.sleep(0.05)
            if fake.webhook is None:
                break
        fake.user(7101).says("/start")
        for _ in range(200):
            await asyncio.sleep(0.05)
            if fake.chat(7101):
                break
        await bot.dispatcher.stop_polling()
        await polling
        await bot.close()

    asyncio.run(run())
    assert fake.webhook is None
    assert "Describe the problem" in fake.last(7101).text
    assert any(method == "getUpdates" for method, _ in fake.requests)


@pytest.fixture
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip(f"no Redis answers at {REDIS_URL} (set REDRESS_TEST_REDIS_URL): the shared-state test needs one")
    return REDIS_URL


def test_two_app_instances_share_a_conversation_through_redis(fake, telegram_settings, redis_url, engine,
                                                              session_factory, clock, session):
    shared = telegram_settings.model_copy(update={"redis_url": redis_url})
    first = create_app(shared, engine=engine, session_factory=session_factory, clock=clock)
    second = create_app(shared, engine=engine, session_factory=session_factory, clock=clock)
    chat = random.randint(10**9, 2 * 10**9)  # a chat no earlier run left state for
    user = fake.user(chat)
    fake.set_webhook(WEBHOOK, SECRET)
    with TestClient(first) as a, TestClient(second) as b:
        turns = iter([a, b, a, b, a, b])
        fake.poster = lambda url, update, headers: next(turns).post(url, json=update, headers=headers).status_code
        assert user.says("/start") == 200
        assert user.says("Water pipe burst near the temple, the road is flooding") == 200
        assert user.says("Temple road, ward 2") == 200
        assert user.says("Skip") == 200
        assert user.says("Skip") == 200
        assert user.taps("Send") == 200
    citizen = session.scalar(select(Citizen).where(Citizen.telegram_chat_id == chat))
    [grievance] = session.scalars(select(Grievance).where(Grievance.citizen_id == citizen.id)).all()
    assert grievance.channel is Channel.TELEGRAM and grievance.location_text == "Temple road, ward 2"
    keys = redis.Redis.from_url(redis_url).keys(f"redress-fsm:*{chat}*")
    assert keys == [] or all(redis.Redis.from_url(redis_url).ttl(key) > 0 for key in keys)  # drafts expire


def test_the_gateway_sends_and_reports_telegrams_refusals(fake, telegram_settings):
    gateway = TelegramGateway(telegram_settings)
    try:
        sent = gateway.send(to="7201", body="KYVZ-6638 resolved: the main was repaired")
        assert sent.provider_id.startswith("7201:") and fake.last(7201).text.startswith("KYVZ-6638")
        fake.blocked.add(7202)
        with pytest.raises(SendFailed) as blocked:
            gateway.send(to="7202", body="hello")
        assert blocked.value.permanent
        fake.fail_next(429, "Too Many Requests: retry after 7", retry_after=7)
        with pytest.raises(SendFailed) as slow:
            gateway.send(to="7201", body="hello")
        assert not slow.value.permanent and slow.value.retry_after == 7
        fake.fail_next(502, "Bad Gateway")
        with pytest.raises(SendFailed) as down:
            gateway.send(to="7201", body="hello")
        assert not down.value.permanent
        with pytest.raises(SendFailed) as nonsense:
            gateway.send(to="+9779812345678", body="hello")
        assert nonsense.value.permanent
        assert gateway.send(to="7201", body="x" * 5000).provider_id  # cut to Telegram's 4,096 characters
        assert len(fake.last(7201).text) == 4096
    finally:
        gateway.close()


def test_the_gateway_cannot_reach_a_dead_server(telegram_settings):
    dead = telegram_settings.model_copy(update={"telegram_api_base": "http://127.0.0.1:9"})
    gateway = TelegramGateway(dead)
    try:
        with pytest.raises(SendFailed) as failed:
            gateway.send(to="7203", body="hello")
        assert not failed.value.permanent
    finally:
        gateway.close()


def test_redress_telegram_webhook_points_telegram_at_the_app(fake, monkeypatch, capsys):
    monkeypatch.setenv("REDRESS_TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("REDRESS_TELEGRAM_API_BASE", fake.url)
    monkeypatch.setenv("REDRESS_PUBLIC_BASE_URL", "https://grievance.example.gov")
    monkeypatch.setenv("REDRESS_TELEGRAM_WEBHOOK_SECRET", SECRET)
    assert cli.main(["telegram", "webhook"]) == 0
    assert fake.webhook == ("https://grievance.example.gov/webhooks/telegram", SECRET)
    [(_, params)] = [r for r in fake.requests if r[0] == "setWebhook"]
    assert params["allowed_updates"] == '["message", "callback_query"]'
    assert cli.main(["telegram", "webhook", "--delete"]) == 0
    assert fake.webhook is None
    monkeypatch.delenv("REDRESS_TELEGRAM_WEBHOOK_SECRET")
    assert cli.main(["telegram", "webhook"]) == 2
    assert "REDRESS_TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


def test_a_bad_webhook_secret_setting_is_refused(settings):
    with pytest.raises(ValueError, match="Telegram's rule"):
        settings.model_validate(settings.model_dump() | {"telegram_webhook_secret": "has spaces!"})
