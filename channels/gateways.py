"""Outbound providers behind one interface, chosen by settings: Twilio-compatible SMS, or the console.

`send` hands a message over; `find` looks for one that may already have left (a crash or a timeout
after the hand-over), so the outbox can reconcile before it sends the same text twice.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from core.settings import Settings, SmsProvider

log = logging.getLogger(__name__)
UNSUBSCRIBED = 21610  # Twilio: "Attempt to send to unsubscribed recipient" (the citizen texted STOP)


@dataclass(frozen=True)
class Sent:
    provider_id: str | None


class SendFailed(Exception):
    """`permanent`: never retried (a bad number). `uncertain`: the provider may have taken it anyway."""

    def __init__(self, message: str, *, permanent: bool, uncertain: bool = False, retry_after: float | None = None,
                 code: int | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.uncertain = uncertain
        self.retry_after = retry_after
        self.code = code


class SmsGateway(Protocol):
    name: str

    def send(self, *, to: str, body: str) -> Sent: ...

    def find(self, *, to: str, body: str, since: datetime) -> str | None: ...


class ConsoleGateway:
    """Development: nothing leaves the machine; the outbox row itself is what the dev page lists."""

    name = "console"

    def send(self, *, to: str, body: str) -> Sent:
        log.info("console SMS to …%s: %d characters", to[-3:], len(body))
        return Sent(provider_id=None)

    def find(self, *, to: str, body: str, since: datetime) -> str | None:
        return None  # nothing ever left, so there is nothing to find


class InboxGateway:
    """Alerts to offices: the outbox row is the notification (the inbox marks the grievance); nothing leaves."""

    name = "inbox"

    def send(self, *, to: str, body: str) -> Sent:
        return Sent(provider_id=None)

    def find(self, *, to: str, body: str, since: datetime) -> str | None:
        return None


class _HeaderKeepingClient(TwilioHttpClient):
    """The SDK's HTTP client, remembering the last response's headers (Retry-After is lost in its exception)."""

    last_headers: Mapping[str, str] = {}

    def request(self, *args: object, **kwargs: object) -> Response:
        self.last_headers = {}
        response = super().request(*args, **kwargs)
        self.last_headers = response.headers or {}  # requests' case-insensitive mapping
        return response


class TwilioCompatibleGateway:
    """Twilio's REST API through the twilio SDK; another base URL serves Somleng or a local test server."""

    name = "twilio"

    def __init__(self, *, sid: str, token: str, sender: str, base_url: str = "https://api.twilio.com",
                 timeout: float = 10.0, status_callback: str | None = None) -> None:
        self._http = _HeaderKeepingClient(timeout=timeout)
        self._client = Client(sid, token, http_client=self._http)
        self._client.api.base_url = base_url.rstrip("/")
        self._sender = sender
        self._status_callback = status_callback

    def send(self, *, to: str, body: str) -> Sent:
        extra = {"status_callback": self._status_callback} if self._status_callback else {}
        try:
            message = self._client.messages.create(to=to, from_=self._sender, body=body, **extra)
        except TwilioRestException as exc:
            retry = exc.status == 429 or exc.status >= 500
            raise SendFailed(f"provider answered {exc.status} (code {exc.code})", permanent=not retry,
                             retry_after=self._retry_after(), code=exc.code) from exc
        except Exception as exc:
            raise SendFailed(f"provider unreachable: {type(exc).__name__}", permanent=False,
                             uncertain=not _never_connected(exc)) from exc
        return Sent(provider_id=message.sid)

    def find(self, *, to: str, body: str, since: datetime) -> str | None:
        """The provider's id of a message with this text to this number created since `since`, if any."""
        cutoff = since.replace(microsecond=0)  # the provider's dates have whole seconds
        for message in self._client.messages.stream(to=to, from_=self._sender, page_size=50):
            if message.date_created is not None and message.date_created < cutoff:
                return None  # the list is newest first: everything further is older
            if message.body == body:
                return message.sid
        return None

    def _retry_after(self) -> float | None:
        value = self._http.last_headers.get("Retry-After")
        try:
            return max(float(value), 0.0) if value is not None else None
        except ValueError:
            return None  # an HTTP date; the backoff alone decides


def _never_connected(exc: BaseException) -> bool:
    """True when the request cannot have reached the provider (refused or timed out while connecting)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.exceptions.ConnectionError) and isinstance(reason, NewConnectionError)


def sms_gateway(settings: Settings) -> SmsGateway:
    if settings.sms_provider is SmsProvider.TWILIO:
        callback = (settings.public_base_url.rstrip("/") + "/webhooks/twilio/status"
                    if settings.twilio_status_callbacks else None)
        return TwilioCompatibleGateway(sid=settings.twilio_account_sid, token=settings.twilio_auth_token,
                                       sender=settings.twilio_from_number, base_url=settings.twilio_api_base,
                                       status_callback=callback)
    return ConsoleGateway()
