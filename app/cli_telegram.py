"""`redress telegram poll|webhook`: run the bot by long polling, or point Telegram at the webhook."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING

from core.clock import utcnow
from core.settings import Settings

if TYPE_CHECKING:
    from channels.telegram.bot import TelegramBot


def add_commands(commands: argparse._SubParsersAction) -> None:
    telegram = commands.add_parser("telegram", help="the Telegram bot").add_subparsers(required=True,
                                                                                       metavar="ACTION")
    poll = telegram.add_parser("poll", help="run the bot by long polling (development: no public URL needed), "
                               "with outbound delivery in the same process")
    poll.set_defaults(handler=_poll)
    webhook = telegram.add_parser("webhook", help="tell Telegram to post updates to "
                                  "REDRESS_PUBLIC_BASE_URL/webhooks/telegram with the secret token")
    webhook.add_argument("--delete", action="store_true", help="remove the webhook instead (then poll)")
    webhook.set_defaults(handler=_webhook)


def _configured(settings: Settings) -> bool:
    if not settings.telegram_bot_token:
        print("redress: set REDRESS_TELEGRAM_BOT_TOKEN (from @BotFather) first", file=sys.stderr)
        return False
    return True


def _poll(settings: Settings, _args: argparse.Namespace) -> int:
    from app import jobs
    from channels.telegram.bot import TelegramBot
    from channels.telegram.store import Store
    from core.db import make_engine, make_sessionmaker
    from routing.registry import Classifiers
    from routing.services import Policy

    if not _configured(settings):
        return 2
    factory = make_sessionmaker(make_engine(settings.database_url))
    delivery = jobs.registry(settings, factory)["delivery"]
    loop = jobs.DeliveryLoop(lambda: delivery.run(utcnow()), interval=delivery.interval_seconds)
    store = Store.from_settings(settings, factory=factory, clock=utcnow, classifiers=Classifiers(),
                                policy=Policy.from_settings(settings))
    bot = TelegramBot(settings, store=store, wake=loop.wake)
    loop.start()
    print("Telegram bot polling for updates (Ctrl-C stops)")
    try:
        asyncio.run(_run(bot))
    finally:
        loop.stop()
    return 0


async def _run(bot: TelegramBot) -> None:
    try:
        await bot.poll()
    finally:
        await bot.close()


def _webhook(settings: Settings, args: argparse.Namespace) -> int:
    from channels.telegram.bot import UPDATES, make_bot

    if not _configured(settings):
        return 2
    if not args.delete and not settings.telegram_webhook_secret:
        print("redress: set REDRESS_TELEGRAM_WEBHOOK_SECRET (letters, digits, _ and -) so the webhook can prove "
              "each update comes from Telegram", file=sys.stderr)
        return 2
    url = settings.public_base_url.rstrip("/") + "/webhooks/telegram"

    async def call() -> None:
        bot = make_bot(settings)
        try:
            if args.delete:
                await bot.delete_webhook()
            else:
                await bot.set_webhook(url, secret_token=settings.telegram_webhook_secret, allowed_updates=UPDATES)
        finally:
            await bot.session.close()

    asyncio.run(call())
    print("webhook removed" if args.delete else f"Telegram now posts updates to {url}")
    return 0
