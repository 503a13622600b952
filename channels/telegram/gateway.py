"""Outbound Telegram messages from the outbox (office replies, acknowledgements) through aiogram's Bot.

The delivery loop is synchronous, so the gateway keeps one event loop of its own for the Bot's HTTP
session. The Bot API cannot list what a bot sent, so a hand-over whose answer was lost cannot be
reconciled: `find` finds nothing and such a message may, rarely, arrive twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from datetime import datetime

from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)

from channels.gateways import SendFailed, Sent
from channels.telegram.bot import make_bot
from channels.telegram.conversation import inline_keyboard
from core.settings import Settings

log = logging.getLogger(__name__)
CHAT_ID = re.compile(r"-?[0-9]{1,20}")
MAX_CHARS = 4096  # the Bot API's limit for one message


class TelegramGateway:
    name = "telegram"

    def __init__(self, settings: Settings) -> None:
        self._bot = make_bot(settings)
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()  # one event loop: one send at a time

    def send(self, *, to: str, body: str, buttons: list[list[str]] | None = None) -> Sent:
        """Send a message; `buttons` ([text, callback data] pairs) become one row of inline buttons."""
        if not CHAT_ID.fullmatch(to):  # int() would take "+977..." too: a phone number is not a chat
            raise SendFailed(f"{to[:20]!r} is not a Telegram chat id", permanent=True)
        chat_id = int(to)
        text = body if len(body) <= MAX_CHARS else body[:MAX_CHARS - 1] + "…"
        try:
            with self._lock:
                message = self._loop.run_until_complete(self._bot.send_message(
                    chat_id=chat_id, text=text, reply_markup=inline_keyboard(buttons)))
        except TelegramRetryAfter as exc:
            raise SendFailed("Telegram asks us to slow down", permanent=False,
                             retry_after=float(exc.retry_after)) from exc
        except (TelegramForbiddenError, TelegramNotFound) as exc:  # blocked the bot, or the chat is gone
            raise SendFailed(f"Telegram refused: {exc.message}", permanent=True) from exc
        except TelegramUnauthorizedError as exc:
            raise SendFailed("Telegram refused the bot token", permanent=False) from exc
        except TelegramBadRequest as exc:
            raise SendFailed(f"Telegram refused: {exc.message}", permanent=True) from exc
        except TelegramNetworkError as exc:
            raise SendFailed(f"Telegram unreachable: {exc.message}", permanent=False, uncertain=True) from exc
        except TelegramAPIError as exc:  # 5xx and anything else the API answers
            raise SendFailed(f"Telegram answered an error: {exc.message}", permanent=False) from exc
        return Sent(provider_id=f"{chat_id}:{message.message_id}")

    def find(self, *, to: str, body: str, since: datetime) -> str | None:
        return None  # the Bot API has no list of sent messages

    def close(self) -> None:
        with self._lock:
            self._loop.run_until_complete(self._bot.session.close())
            self._loop.close()

