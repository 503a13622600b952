"""POST /webhooks/telegram: Telegram's updates, proven by the secret token before anything is read or written."""

from __future__ import annotations

import hmac
import json
import logging

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError

from channels.telegram.bot import TelegramBot
from core.errors import InvalidInput, NotFound, PermissionDenied

log = logging.getLogger(__name__)
router = APIRouter(prefix="/webhooks", include_in_schema=False)
SECRET_HEADER = "x-telegram-bot-api-secret-token"  # noqa: S105 - a header name


@router.post("/telegram")
async def telegram_update(request: Request) -> Response:
    """One update; the same update_id again is answered 200 and changes nothing (Telegram retries until 2xx)."""
    telegram: TelegramBot | None = request.app.state.telegram
    if telegram is None:
        raise NotFound("Telegram is not configured here: set REDRESS_TELEGRAM_BOT_TOKEN")
    secret = request.app.state.settings.telegram_webhook_secret
    if not secret:
        raise PermissionDenied("this endpoint is disabled: set REDRESS_TELEGRAM_WEBHOOK_SECRET (and give it to "
                               "Telegram with `redress telegram webhook`)")
    given = request.headers.get(SECRET_HEADER, "")
    if not hmac.compare_digest(given.encode(), secret.encode()):
        raise PermissionDenied("the X-Telegram-Bot-Api-Secret-Token header is missing or wrong")
    try:
        payload = json.loads(await request.body())
        update = telegram.update(payload)
    except (ValueError, ValidationError) as exc:  # JSONDecodeError is a ValueError
        raise InvalidInput("the body is not a Telegram update") from exc
    await telegram.feed(update)
    return Response(status_code=200)
