"""A local HTTP server speaking the part of Twilio's REST API we use, so the real twilio SDK talks to it.

Messages.json (create, list with To/From/DateSent filters and paging, fetch), Twilio's error shape,
scripted faults (an error status with Retry-After; a message taken but answered too late), and
signed webhooks the way Twilio sends them. Tests, benchmarks and manual runs use it:

    .venv/bin/python -m tests.fakes.twilio --port 8765 --account-sid AC... --auth-token ...
"""

from __future__ import annotations

import argparse
import base64
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlparse

import requests
from twilio.request_validator import RequestValidator

from core.segments import segments

API = "/2010-04-01/Accounts/"


@dataclass
class Received:
    """One message the fake provider accepted."""

    sid: str
    to: str
    from_: str
    body: str
    status_callback: str | None
    received_at: datetime  # UTC, when the request arrived
    status: str = "queued"

    def resource(self, account_sid: str) -> dict[str, object]:
        stamp = format_datetime(self.received_at.replace(microsecond=0), usegmt=True).replace("GMT", "+0000")
        return {"sid": self.sid, "account_sid": account_sid, "to": self.to, "from": self.from_, "body": self.body,
                "status": self.status, "direction": "outbound-api", "num_segments": str(segments(self.body)),
                "num_media": "0", "date_created": stamp, "date_updated": stamp, "date_sent": stamp,
                "price": None, "price_unit": "USD", "error_code": None, "error_message": None,
                "api_version": "2010-04-01", "messaging_service_sid": None,
                "uri": f"{API}{account_sid}/Messages/{self.sid}.json",
                "subresource_uris": {"media": f"{API}{account_sid}/Messages/{self.sid}/Media.json"}}


@dataclass
class _Fault:
    status: int
    code: int | None
    message: str
    retry_after: float | None = None
    hang: float | None = None  # record the message, then answer after this many seconds


@dataclass
class _State:
    messages: list[Received] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 stalls bursts of simultaneous connections
    daemon_threads = True


class FakeTwilio:
    """Twilio's Messages API on 127.0.0.1; `url` is what the SDK's `api.base_url` is set to."""

    def __init__(self, *, account_sid: str, auth_token: str, port: int = 0, echo: bool = False) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.opted_out: set[str] = set()
        self.latency = 0.0  # seconds between recording a message and answering
        self.echo = echo
        self._lock = threading.Lock()
        self._state = _State()
        self._server = _Server(("127.0.0.1", port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._state.messages)

    @property
    def requests(self) -> list[tuple[str, str, dict[str, str]]]:
        with self._lock:
            return list(self._state.requests)

    def fail_next(self, status: int, *, code: int | None = None, message: str = "error",
                  retry_after: float | None = None, times: int = 1) -> None:
        with self._lock:
            self._state.faults += [_Fault(status, code, message, retry_after) for _ in range(times)]

    def hang_next(self, seconds: float, *, times: int = 1) -> None:
        """The next messages are taken (recorded) but answered only after `seconds`: a client times out."""
        with self._lock:
            self._state.faults += [_Fault(201, None, "", hang=seconds) for _ in range(times)]

    def callback(self, sid: str, status: str, *, error_code: int | None = None) -> int:
        """Post a signed status callback for a message to its StatusCallback URL, as Twilio does."""
        with self._lock:
            message = next(m for m in self._state.messages if m.sid == sid)
            message.status = status
        params = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "SmsStatus": status,
                  "AccountSid": self.account_sid, "To": message.to, "From": message.from_, "ApiVersion": "2010-04-01"}
        if error_code is not None:
            params["ErrorCode"] = str(error_code)
        assert message.status_callback, "the message was sent without a StatusCallback"
        return post_signed(message.status_callback, params, self.auth_token).status_code

    def send_inbound(self, url: str, *, from_: str, body: str, to: str = "+15550100",
                     message_sid: str | None = None) -> requests.Response:
        """An incoming SMS webhook, signed, with every field Twilio sends."""
        params = inbound_params(from_=from_, to=to, body=body, account_sid=self.account_sid, message_sid=message_sid)
        return post_signed(url, params, self.auth_token)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTwilio:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- the API, called by the request handler ---

    def _create(self, form: Mapping[str, str]) -> tuple[int, dict[str, object], dict[str, str], float]:
        to, body = form.get("To", ""), form.get("Body")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if body is None:
            return _error(400, 21602, "Message body is required.")
        if not (to.startswith("+") and to[1:].isdigit()):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        with self._lock:
            fault = self._state.faults.pop(0) if self._state.faults else None
            if fault is not None and fault.hang is None:
                extra = {"Retry-After": f"{fault.retry_after:g}"} if fault.retry_after is not None else {}
                status, payload, _, _ = _error(fault.status, fault.code or fault.status, fault.message)
                return status, payload, extra, 0.0
            if to in self.opted_out:
                return _error(400, 21610, "Attempt to send to unsubscribed recipient")
            message = Received(sid="SM" + secrets.token_hex(16), to=to, from_=form.get("From", ""), body=body,
                               status_callback=form.get("StatusCallback"), received_at=datetime.now(UTC))
            self._state.messages.append(message)
        if self.echo:
            print(f"SMS to {to}: {body}", flush=True)
        delay = fault.hang if fault is not None else self.latency
        return 201, message.resource(self.account_sid), {}, delay or 0.0

    def _list(self, query: Mapping[str, str], path: str) -> dict[str, object]:
        with self._lock:
            found = [m for m in reversed(self._state.messages) if _matches(m, query)]  # newest first
        size = max(1, min(int(query.get("PageSize", "50") or 50), 1000))
        page = int(query.get("Page", "0") or 0)
        chunk = found[page * size:(page + 1) * size]

        def uri(number: int) -> str:
            kept = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}
            return f"{path}?{urlencode(kept | {'Page': number, 'PageToken': f'PT{number}'})}"

        more = (page + 1) * size < len(found)
        return {"messages": [m.resource(self.account_sid) for m in chunk], "page": page, "page_size": size,
                "start": page * size, "end": page * size + max(len(chunk) - 1, 0), "uri": uri(page),
                "first_page_uri": uri(0), "previous_page_uri": uri(page - 1) if page else None,
                "next_page_uri": uri(page + 1) if more else None}

    def _fetch(self, sid: str) -> tuple[int, dict[str, object]]:
        with self._lock:
            message = next((m for m in self._state.messages if m.sid == sid), None)
        if message is None:
            status, payload, _, _ = _error(404, 20404, f"The requested resource {sid} was not found")
            return status, payload
        return 200, message.resource(self.account_sid)


def _error(status: int, code: int, message: str) -> tuple[int, dict[str, object], dict[str, str], float]:
    return status, {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                    "status": status}, {}, 0.0


def _instant(value: str) -> datetime:
    value = value.strip().lstrip("<>=")
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _matches(message: Received, query: Mapping[str, str]) -> bool:
    sent = message.received_at
    checks = [
        ("To", lambda v: message.to == v),
        ("From", lambda v: message.from_ == v),
        ("DateSent>", lambda v: sent >= _instant(v)),
        ("DateSent<", lambda v: sent <= _instant(v)),
        ("DateSent", lambda v: sent.date() == _instant(v).date() if len(v) <= 10 else sent == _instant(v)),
    ]
    return all(check(query[key]) for key, check in checks if query.get(key))


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:  # quiet: tests read fake.requests instead
            return

        def _authorised(self) -> bool:
            header = self.headers.get("Authorization", "")
            expected = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
            return header == f"Basic {expected}"

        def _answer(self, status: int, payload: dict[str, object], headers: Mapping[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client died waiting (the fault run kills it on purpose)

        def _route(self, method: str) -> None:
            parsed = urlparse(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            form = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}
            query = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
            with fake._lock:
                fake._state.requests.append((method, parsed.path, form or query))
            if not self._authorised():
                self._answer(*_error(401, 20003, "Authenticate")[:2])
                return
            prefix = f"{API}{fake.account_sid}/Messages"
            if not parsed.path.startswith(API) or not parsed.path.startswith(prefix):
                self._answer(*_error(404, 20404, "The requested resource was not found")[:2])
                return
            if method == "POST" and parsed.path == prefix + ".json":
                status, payload, headers, delay = fake._create(form)
                if delay:
                    time.sleep(delay)
                self._answer(status, payload, headers)
            elif method == "GET" and parsed.path == prefix + ".json":
                self._answer(200, fake._list(query, parsed.path))
            elif method == "GET" and parsed.path.endswith(".json"):
                self._answer(*fake._fetch(parsed.path[len(prefix) + 1:-len(".json")]))
            else:
                self._answer(*_error(405, 20004, "Method not allowed")[:2])

        def do_GET(self) -> None:  # noqa: N802 - the http.server naming
            self._route("GET")

        def do_POST(self) -> None:  # noqa: N802
            self._route("POST")

    return Handler


def inbound_params(*, from_: str, to: str, body: str, account_sid: str,
                   message_sid: str | None = None) -> dict[str, str]:
    """The form Twilio posts to a number's messaging webhook for an incoming SMS."""
    sid = message_sid or "SM" + secrets.token_hex(16)
    return {"ToCountry": "US", "ToState": "", "SmsMessageSid": sid, "NumMedia": "0", "ToCity": "", "FromZip": "",
            "SmsSid": sid, "FromState": "", "SmsStatus": "received", "FromCity": "", "Body": body,
            "FromCountry": "NP", "To": to, "ToZip": "", "NumSegments": str(segments(body)), "MessageSid": sid,
            "AccountSid": account_sid, "From": from_, "ApiVersion": "2010-04-01"}


def sign(url: str, params: Mapping[str, str], auth_token: str) -> str:
    """X-Twilio-Signature for a webhook, computed by the SDK's own validator."""
    return RequestValidator(auth_token).compute_signature(url, dict(params))


def post_signed(url: str, params: Mapping[str, str], auth_token: str) -> requests.Response:
    return requests.post(url, data=params, headers={"X-Twilio-Signature": sign(url, params, auth_token)}, timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description="A local stand-in for Twilio's Messages API.")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--account-sid", default="AC" + "0" * 32)
    parser.add_argument("--auth-token", default="dev-token")
    args = parser.parse_args()
    fake = FakeTwilio(account_sid=args.account_sid, auth_token=args.auth_token, port=args.port, echo=True)
    print(f"fake Twilio API on {fake.url} (account {args.account_sid}); Ctrl-C stops", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        fake.stop()


if __name__ == "__main__":
    main()
