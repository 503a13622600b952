"""The bot: aiogram's Bot and one Dispatcher, fed by the webhook or by long polling, each update handled once.

Conversation state lives in Redis when REDRESS_REDIS_URL is set, so any app instance can take a
chat's next message; in memory otherwise (one process, development).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.fsm.storage.redis import RedisStorage
from aiogram.types import TelegramObject, Update, User
from sqlalchemy import delete

from channels.telegram.conversation import build_router
from channels.telegram.store import Store
from core.db import transaction
from core.i18n import best
from core.settings import Settings
from intake.models import InboundMessage
from intake.services import claim_inbound

log = logging.getLogger(__name__)
PROVIDER = "telegram"
UPDATES = ["message", "callback_query"]  # all the bot handles; Telegram need send nothing else
DRAFT_TTL = timedelta(days=2)  # an abandoned half-written complaint is forgotten after this


def make_bot(settings: Settings) -> Bot:
    """aiogram's Bot at the configured Bot API server (Telegram's, a self-hosted one, or a local test server)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(settings.telegram_bot_token, session=session)


def make_storage(settings: Settings) -> BaseStorage:
    if settings.redis_url:
        return RedisStorage.from_url(settings.redis_url, key_builder=DefaultKeyBuilder(prefix="redress-fsm"),
                                     state_ttl=DRAFT_TTL, data_ttl=DRAFT_TTL)
    return MemoryStorage()


def make_dispatcher(*, store: Store, languages: tuple[str, ...], wake: Callable[[], None],
                    storage: BaseStorage) -> Dispatcher:
    """A new Dispatcher with its own routers; `wake` starts outbound delivery after something was queued."""
    isolation = storage.create_isolation() if isinstance(storage, RedisStorage) else SimpleEventIsolation()
    dispatcher = Dispatcher(storage=storage, events_isolation=isolation, store=store, languages=languages,
                            wake=wake)
    dispatcher.update.outer_middleware(OncePerUpdate(store))
    dispatcher.update.outer_middleware(ChatLanguage(store, languages))
    dispatcher.include_router(build_router())
    return dispatcher


class OncePerUpdate(BaseMiddleware):
    """Telegram redelivers an update it got no answer for: its update_id is claimed in the store, once.

    A handler that fails releases the claim, so Telegram's retry (or the next poll) can handle it.
    """

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        key = str(event.update_id)
        if not await asyncio.to_thread(self._claim, key, event):
            log.info("telegram update %s seen before; ignored", key)
            return None
        try:
            return await handler(event, data)
        except Exception:
            await asyncio.to_thread(self._release, key)
            raise

    def _claim(self, key: str, event: Update) -> bool:
        digest = hashlib.sha256(event.model_dump_json(exclude_none=True).encode()).hexdigest()
        with transaction(self.store.factory) as session:
            return claim_inbound(session, provider=PROVIDER, key=key, request_hash=digest,
                                 now=self.store.clock()) is not None

    def _release(self, key: str) -> None:
        with transaction(self.store.factory) as session:
            session.execute(delete(InboundMessage).where(InboundMessage.provider == PROVIDER,
                                                         InboundMessage.provider_message_id == key))


class ChatLanguage(BaseMiddleware):
    """The language to answer in: the citizen's choice, else their Telegram app's, else the first configured."""

    def __init__(self, store: Store, languages: tuple[str, ...]) -> None:
        self.store = store
        self.languages = languages

    async def __call__(self, handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
                       event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        chosen = await asyncio.to_thread(self.store.language, user.id) if user else None
        app_language = best(user.language_code) if user and user.language_code else None
        data["language"] = next((code for code in (chosen, app_language) if code in self.languages),
                                self.languages[0])
        return await handler(event, data)


class TelegramBot:
    """The app's bot: one Bot, one Dispatcher; `feed` handles one update from the webhook."""

    def __init__(self, settings: Settings, *, store: Store, wake: Callable[[], None]) -> None:
        self.bot = make_bot(settings)
        self.storage = make_storage(settings)
        self.dispatcher = make_dispatcher(store=store, languages=tuple(settings.languages), wake=wake,
                                          storage=self.storage)

    def update(self, payload: dict[str, Any]) -> Update:
        """Parse a webhook body; pydantic's ValidationError when it is not an update."""
        return Update.model_validate(payload, context={"bot": self.bot})

    async def feed(self, update: Update) -> None:
        await self.dispatcher.feed_update(self.bot, update)

    async def poll(self, *, handle_signals: bool = True, polling_timeout: int = 10) -> None:
        """Long polling for development: no public URL needed. Any webhook is removed first."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        await self.dispatcher.start_polling(self.bot, handle_signals=handle_signals, close_bot_session=False,
                                            polling_timeout=polling_timeout, allowed_updates=UPDATES)

    async def close(self) -> None:
        await self.bot.session.close()
        await self.storage.close()
