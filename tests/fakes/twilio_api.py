"""A local server speaking the part of Twilio's REST API we use, so tests and benches drive the real twilio SDK.

Point the SDK at it with ``client.api.base_url = fake.url``. It creates, lists (filters, pages) and fetches
Messages with Twilio's JSON shapes and error shape, plays scripted faults (an error with Retry-After; a message
taken but answered too late; latency), and sends status callbacks and inbound SMS signed as Twilio signs them.
Manual runs and documentation demos:

    .venv/bin/python -m tests.fakes.twilio_api --port 8765 --account-sid AC... --auth-token ...
"""

from __future__ import annotations

import argparse
import base64
import json
import math
import re
import secrets
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from http.client import responses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from operator import eq, ge, le
from typing import NamedTuple
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from twilio.request_validator import RequestValidator

API_VERSION = "2010-04-01"
ACCOUNTS = f"/{API_VERSION}/Accounts/"
DEFAULT_NUMBER = "+15005550006"  # Twilio's "valid" magic test number
_MESSAGES_PATH = re.compile(r"^/2010-04-01/Accounts/(?P<account>[^/]+)/Messages(?:/(?P<sid>[^/]+))?\.json$")
_E164 = re.compile(r"^\+[1-9]\d{1,14}$")
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")  # each costs two septets
_COUNTRIES = {"1": "US", "44": "GB", "61": "AU", "91": "IN", "880": "BD", "977": "NP"}


def segments(body: str) -> int:
    """The SMS parts Twilio counts a body as (GSM-7: 160, then 153 septets each; otherwise UCS-2: 70, then 67)."""
    if all(ch in _GSM7 or ch in _GSM7_EXTENDED for ch in body):
        units, single, multi = len(body) + sum(ch in _GSM7_EXTENDED for ch in body), 160, 153
    else:
        units, single, multi = len(body.encode("utf-16-le")) // 2, 70, 67
    return 1 if units <= single else math.ceil(units / multi)


def rfc2822(moment: datetime) -> str:
    """Twilio's date format in resources, e.g. "Mon, 16 Nov 2026 09:00:00 +0000"."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0))


def _now() -> datetime:
    return datetime.fromtimestamp(time.time(), UTC)


def _new_sid() -> str:
    return "SM" + secrets.token_hex(16)


@dataclass
class Message:
    """One message the fake accepted, kept for assertions and for the API's list and fetch."""

    sid: str
    to: str
    from_: str | None
    body: str
    status_callback: str | None
    received_at: datetime  # UTC; also the message's date_sent for the DateSent filters
    messaging_service_sid: str | None = None
    status: str = "queued"
    error_code: int | None = None
    updated_at: datetime | None = None

    def resource(self, account_sid: str, *, just_created: bool = False) -> dict[str, object]:
        """The Message resource JSON; date_sent is null only in the answer to the create, as at Twilio."""
        uri = f"{ACCOUNTS}{account_sid}/Messages/{self.sid}"
        return {
            "account_sid": account_sid, "api_version": API_VERSION, "body": self.body,
            "date_created": rfc2822(self.received_at), "date_updated": rfc2822(self.updated_at or self.received_at),
            "date_sent": None if just_created else rfc2822(self.received_at),
            "direction": "outbound-api", "error_code": self.error_code, "error_message": None,
            "from": self.from_, "messaging_service_sid": self.messaging_service_sid, "num_media": "0",
            "num_segments": str(segments(self.body)), "price": None, "price_unit": "USD", "sid": self.sid,
            "status": self.status, "to": self.to, "uri": f"{uri}.json",
            "subresource_uris": {"media": f"{uri}/Media.json", "feedback": f"{uri}/Feedback.json"},
        }


@dataclass(frozen=True)
class Request:
    """One HTTP request the fake received, as logged in `FakeTwilio.requests`."""

    method: str
    path: str
    query: dict[str, str]
    form: dict[str, str]
    headers: dict[str, str]


@dataclass(frozen=True)
class _Fault:
    status: int
    code: int | None = None
    message: str = ""
    retry_after: float | None = None
    hang: float = 0.0  # for a 201: the message is taken, the answer comes this much later


class _Answer(NamedTuple):
    status: int
    payload: dict[str, object]
    headers: dict[str, str] = {}
    delay: float = 0.0


def _error(status: int, code: int, message: str, **answer: object) -> _Answer:
    """Twilio's legacy error JSON, which the SDK turns into a TwilioRestException."""
    payload = {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
               "status": status}
    return _Answer(status, payload, **answer)


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1 in a daemon thread; set the SDK's `api.base_url` to `url`."""

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "fake-auth-token", port: int = 0, *,
                 number: str = DEFAULT_NUMBER, on_message: Callable[[Message], None] | None = None) -> None:
        if not account_sid.startswith("AC"):
            raise ValueError(f"an account SID starts with AC: {account_sid!r}")
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.number = number  # the To of `send_inbound` when none is given
        self.on_message = on_message  # called with each accepted message (the command line prints it)
        self.opted_out: set[str] = set()  # numbers that sent STOP: sending to them answers 21610
        self.latency = 0.0  # seconds added before answering every POST to Messages.json
        self._lock = threading.Lock()
        self._messages: list[Message] = []
        self._requests: list[Request] = []
        self._faults: deque[_Fault] = deque()
        self._stopping = threading.Event()
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="fake-twilio",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def messages(self) -> list[Message]:
        """The accepted messages, oldest first."""
        with self._lock:
            return list(self._messages)

    @property
    def requests(self) -> list[Request]:
        """Every request received, in order, including refused ones."""
        with self._lock:
            return list(self._requests)

    def fail_next(self, status: int, code: int | None = None, message: str | None = None,
                  retry_after: float | None = None, times: int = 1) -> None:
        """The next `times` POSTs to Messages.json answer this error (with Retry-After when given); nothing is sent."""
        if status < 400:
            raise ValueError(f"a fault is an error status, not {status}")
        fault = _Fault(status, code or 20000 + status, message or responses.get(status, "Error"), retry_after)
        with self._lock:
            self._faults.extend([fault] * times)

    def hang_next(self, seconds: float, times: int = 1) -> None:
        """The next `times` messages are taken (recorded) but answered `seconds` later: "it may have left"."""
        with self._lock:
            self._faults.extend([_Fault(201, hang=seconds)] * times)

    def callback(self, sid: str, status: str, error_code: int | None = None) -> int:
        """Post the message's signed status callback as Twilio does and record the status; returns the HTTP status."""
        with self._lock:
            message = self._find(sid)
            if message is None:
                raise KeyError(f"no message {sid}")
            if not message.status_callback:
                raise ValueError(f"{sid} was sent without a StatusCallback")
            message.status, message.error_code, message.updated_at = status, error_code, _now()
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": self.account_sid, "To": message.to, "From": message.from_ or "",
                  "ApiVersion": API_VERSION}
        if message.messaging_service_sid:
            params["MessagingServiceSid"] = message.messaging_service_sid
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        return post_signed(message.status_callback, params, self.auth_token).status_code

    def send_inbound(self, url: str, *, from_: str, body: str, to: str | None = None,
                     message_sid: str | None = None) -> requests.Response:
        """Post an incoming SMS to an app's webhook, every field and the signature as Twilio sends them."""
        params = inbound_params(from_=from_, to=to or self.number, body=body, message_sid=message_sid,
                                account_sid=self.account_sid)
        return post_signed(url, params, self.auth_token)

    def stop(self) -> None:
        """Stop serving; answers still waiting out a delay are released."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def __enter__(self) -> FakeTwilio:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _find(self, sid: str) -> Message | None:
        return next((m for m in self._messages if m.sid == sid), None)

    def _handle(self, request: Request, authorization: str) -> _Answer:
        """Route one request: authenticate, then create, list or fetch Messages."""
        with self._lock:
            self._requests.append(request)
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if authorization != f"Basic {expected}":
            return _error(401, 20003, "Authenticate")
        route = _MESSAGES_PATH.match(request.path)
        if route is None or route["account"] != self.account_sid:
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if route["sid"] is None and request.method == "POST":
            return self._create(request.form)
        if route["sid"] is None and request.method == "GET":
            return self._list(request.query, request.path)
        if request.method == "GET":
            return self._fetch(route["sid"], request.path)
        return _error(405, 20004, "Method not allowed")

    def _create(self, form: Mapping[str, str]) -> _Answer:
        with self._lock:
            fault = self._faults.popleft() if self._faults else _Fault(201)
        if fault.status >= 400:
            headers = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
            return _error(fault.status, fault.code, fault.message, headers=headers, delay=self.latency)
        refusal = self._refusal(form)
        if refusal is not None:
            return refusal._replace(delay=self.latency)
        message = Message(sid=_new_sid(), to=form["To"], from_=form.get("From") or None, body=form["Body"],
                          status_callback=form.get("StatusCallback") or None, received_at=_now(),
                          messaging_service_sid=form.get("MessagingServiceSid") or None,
                          status="queued" if form.get("From") else "accepted")
        with self._lock:
            self._messages.append(message)
        if self.on_message is not None:
            self.on_message(message)
        return _Answer(201, message.resource(self.account_sid, just_created=True), delay=self.latency + fault.hang)

    def _refusal(self, form: Mapping[str, str]) -> _Answer | None:
        """Twilio's 400s for a create it will not take."""
        to = form.get("To", "")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not form.get("Body"):
            return _error(400, 21602, "Message body is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _error(400, 21603, "A 'From' phone number is required.")
        if not _E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")
        return None

    def _list(self, query: Mapping[str, str], path: str) -> _Answer:
        try:
            checks = _filters(query)
            size = min(max(int(query.get("PageSize") or 50), 1), 1000)
            page = max(int(query.get("Page") or 0), 0)
        except ValueError as exc:
            return _error(400, 20001, f"Invalid parameter: {exc}")
        with self._lock:
            found = [m for m in reversed(self._messages) if all(check(m) for check in checks)]  # newest first
        sids = [m.sid for m in found]
        token = query.get("PageToken", "")
        if not token:
            start = page * size
        elif token[2:] in sids and token[:2] in ("PA", "PB"):
            mark = sids.index(token[2:])
            start = mark + 1 if token[:2] == "PA" else max(mark - size, 0)
        else:
            return _error(400, 20001, f"Invalid PageToken: {token}")
        chunk = found[start:start + size]
        kept = {k: v for k, v in query.items() if k not in ("Page", "PageSize", "PageToken")}

        def uri(**paging: object) -> str:
            return f"{path}?{urlencode(kept | {'PageSize': size} | paging)}"

        here = {"Page": page, "PageToken": token} if token else {"Page": page}
        after = {"Page": page + 1, "PageToken": "PA" + chunk[-1].sid} if chunk else {}
        before = {"Page": max(page - 1, 0), "PageToken": "PB" + chunk[0].sid} if chunk else {}
        return _Answer(200, {
            "messages": [m.resource(self.account_sid) for m in chunk],
            "page": page, "page_size": size, "start": start, "end": max(start + len(chunk) - 1, 0),
            "uri": uri(**here), "first_page_uri": uri(Page=0),
            "next_page_uri": uri(**after) if chunk and start + len(chunk) < len(found) else None,
            "previous_page_uri": uri(**before) if chunk and start else None,
        })

    def _fetch(self, sid: str, path: str) -> _Answer:
        with self._lock:
            message = self._find(sid)
        if message is None:
            return _error(404, 20404, f"The requested resource {path} was not found")
        return _Answer(200, message.resource(self.account_sid))


def _filters(query: Mapping[str, str]) -> list[Callable[[Message], bool]]:
    """Tests for the list filters To, From, DateSent, DateSent> (on or after) and DateSent< (on or before)."""
    checks: list[Callable[[Message], bool]] = []
    if query.get("To"):
        checks.append(lambda m: m.to == query["To"])
    if query.get("From"):
        checks.append(lambda m: m.from_ == query["From"])
    for key, compare in (("DateSent", eq), ("DateSent>", ge), ("DateSent<", le)):
        if query.get(key):
            checks.append(_date_check(query[key], compare))
    return checks


def _date_check(value: str, compare: Callable[[object, object], bool]) -> Callable[[Message], bool]:
    """A date-only value compares UTC calendar days; a date and time compares whole seconds, as Twilio keeps them."""
    if len(value) == 10:
        day = date.fromisoformat(value)
        return lambda m: compare(m.received_at.date(), day)
    moment = datetime.fromisoformat(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return lambda m: compare(m.received_at.replace(microsecond=0), moment)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops a burst of connections for a second
    fake: FakeTwilio


class _Handler(BaseHTTPRequestHandler):
    """Turns HTTP into calls on the FakeTwilio; one connection per request, so a stopped fake answers nobody."""

    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: tests read `fake.requests` instead."""

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        request = Request(method, url.path, _flat(url.query), _flat(raw), dict(self.headers.items()))
        fake = self.server.fake
        answer = fake._handle(request, self.headers.get("Authorization", ""))
        if answer.delay:
            fake._stopping.wait(answer.delay)
        body = json.dumps(answer.payload).encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Twilio-Request-Id", "RQ" + secrets.token_hex(16))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up waiting (a hang or a killed process)


def _flat(encoded: str) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(encoded, keep_blank_values=True).items()}


def inbound_params(*, from_: str, to: str, body: str, message_sid: str | None = None,
                   account_sid: str) -> dict[str, str]:
    """The form Twilio posts to a number's messaging webhook for an incoming SMS."""
    sid = message_sid or _new_sid()
    return {
        "ToCountry": _country(to), "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "",
        "FromZip": "", "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": body,
        "FromCountry": _country(from_), "To": to, "ToZip": "", "NumSegments": str(segments(body)),
        "MessageSid": sid, "AccountSid": account_sid, "From": from_, "ApiVersion": API_VERSION,
    }


def _country(number: str) -> str:
    digits = number.lstrip("+")
    return next((_COUNTRIES[digits[:n]] for n in (3, 2, 1) if digits[:n] in _COUNTRIES), "")


def sign(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """The X-Twilio-Signature of a webhook, computed by the SDK's own validator."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


def post_signed(url: str, params: Mapping[str, str], auth_token: str, timeout: float = 15.0) -> requests.Response:
    """Post a form to a webhook with the headers Twilio adds, signature included."""
    headers = {"X-Twilio-Signature": sign(url, params, auth_token), "User-Agent": "TwilioProxy/1.1",
               "I-Twilio-Idempotency-Token": str(uuid.uuid4())}
    return requests.post(url, data=dict(params), headers=headers, timeout=timeout)


def _print_message(message: Message) -> None:
    print(message.to, json.dumps(message.body, ensure_ascii=False), flush=True)


def main(argv: list[str] | None = None) -> None:
    """Serve in the foreground, one stdout line per accepted message (To and the body as a JSON string)."""
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="fake-auth-token")
    parser.add_argument("--number", default=DEFAULT_NUMBER, help="the default To of inbound messages")
    args = parser.parse_args(argv)
    fake = FakeTwilio(args.account_sid, args.auth_token, args.port, number=args.number, on_message=_print_message)
    print(f"fake Twilio API on {fake.url} (account {args.account_sid}); Ctrl-C stops", file=sys.stderr, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
