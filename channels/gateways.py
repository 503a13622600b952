"""Outbound providers behind one method, chosen by settings: Twilio-compatible SMS, or the console."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from core.settings import Settings, SmsProvider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sent:
    provider_id: str | None


class SendFailed(Exception):
    """`permanent` failures are never retried (a bad number); others are (429, 5xx, timeouts)."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> Sent: ...


class ConsoleGateway:
    """Development: nothing leaves the machine; the outbox row itself is what the dev page lists."""

    name = "console"

    def send(self, *, to: str, body: str) -> Sent:
        log.info("console SMS to …%s: %d characters", to[-3:], len(body))
        return Sent(provider_id=None)


class TwilioCompatibleGateway:
    """Twilio's REST API through the twilio SDK; another base URL serves Somleng or a local test server."""

    name = "twilio"

    def __init__(self, *, sid: str, token: str, sender: str, base_url: str = "https://api.twilio.com",
                 timeout: float = 10.0) -> None:
        self._client = Client(sid, token, http_client=TwilioHttpClient(timeout=timeout))
        self._client.api.base_url = base_url.rstrip("/")
        self._sender = sender

    def send(self, *, to: str, body: str) -> Sent:
        try:
            message = self._client.messages.create(to=to, from_=self._sender, body=body)
        except TwilioRestException as exc:
            retry = exc.status == 429 or exc.status >= 500
            raise SendFailed(f"provider answered {exc.status} (code {exc.code})", permanent=not retry) from exc
        except Exception as exc:  # connection errors and timeouts: the provider may be back soon
            raise SendFailed(f"provider unreachable: {type(exc).__name__}", permanent=False) from exc
        return Sent(provider_id=message.sid)


def sms_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_provider is SmsProvider.TWILIO:
        return TwilioCompatibleGateway(sid=settings.twilio_account_sid, token=settings.twilio_auth_token,
                                       sender=settings.twilio_from_number, base_url=settings.twilio_api_base)
    return ConsoleGateway()
