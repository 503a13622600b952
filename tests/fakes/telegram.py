"""A local HTTP server speaking the part of Telegram's Bot API the bot uses, so the real aiogram Bot talks to it.

Methods: getMe, sendMessage, answerCallbackQuery, editMessageText, editMessageReplyMarkup, setWebhook,
deleteWebhook, getWebhookInfo and getUpdates (long polling). Errors have the Bot API's shape
({"ok": false, "error_code", "description", "parameters"}); a chat can block the bot, and the next
calls can be made to fail (429 with retry_after, 5xx).

The user side: `fake.user(chat_id)` writes messages, shares a contact or a location, sends a photo and
taps inline buttons. Each update goes to the webhook set with setWebhook (with its secret token, as
Telegram does) or waits for getUpdates. Run by hand next to `make run`:

    .venv/bin/python -m tests.fakes.telegram --port 8766 --token 123:dev --chat 5001
    (then type lines: each is a message from that chat; /contact +9779812345678 shares a phone,
     /tap TEXT taps the latest inline button with that text)
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

BOT_ID = 4242


@dataclass
class Sent:
    """One message the bot sent (or edited) in a chat."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    edited: bool = False

    def buttons(self) -> list[str]:
        """The texts of its buttons (inline or reply keyboard), row by row."""
        markup = self.reply_markup or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        return [button["text"] for row in rows for button in row]

    def callback(self, text: str) -> str:
        """The callback data of the inline button with this text."""
        for row in (self.reply_markup or {}).get("inline_keyboard", []):
            for button in row:
                if button["text"] == text:
                    return button["callback_data"]
        raise KeyError(f"no inline button {text!r} in {self.buttons()}")


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None = None


@dataclass
class _State:
    sent: list[Sent] = field(default_factory=list)
    requests: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    webhook: tuple[str, str] | None = None  # url, secret token


class _Server(ThreadingHTTPServer):
    daemon_threads = True


class FakeTelegram:
    """The Bot API on 127.0.0.1; `url` is what TelegramAPIServer.from_base(...) is given."""

    def __init__(self, *, token: str, port: int = 0, echo: bool = False) -> None:
        self.token = token
        self.echo = echo
        self.blocked: set[int] = set()
        self.poster: Callable[[str, dict[str, Any], dict[str, str]], int] | None = None  # e.g. a TestClient
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._state = _State()
        self._update_ids = itertools.count(100_001)
        self._message_ids = itertools.count(1)
        self._server = _Server(("127.0.0.1", port), _handler(self))
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return list(self._state.sent)

    def chat(self, chat_id: int) -> list[Sent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def last(self, chat_id: int) -> Sent:
        messages = self.chat(chat_id)
        assert messages, f"the bot sent nothing to chat {chat_id}"
        return messages[-1]

    @property
    def requests(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self._state.requests)

    @property
    def webhook(self) -> tuple[str, str] | None:
        with self._lock:
            return self._state.webhook

    def fail_next(self, status: int, description: str, *, retry_after: int | None = None, times: int = 1) -> None:
        with self._lock:
            self._state.faults += [_Fault(status, description, retry_after) for _ in range(times)]

    def user(self, chat_id: int, *, first_name: str = "Asha", language_code: str | None = "en") -> TelegramUser:
        return TelegramUser(self, chat_id=chat_id, first_name=first_name, language_code=language_code)

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def deliver(self, update: dict[str, Any], *, secret: str | None = None) -> int | None:
        """To the webhook if one is set (answering its HTTP status), else queued for getUpdates (None)."""
        with self._lock:
            webhook = self._state.webhook
            if webhook is None:
                self._state.updates.append(update)
                self._arrived.notify_all()
                return None
        url, token = webhook
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret if secret is not None else token} if (
            token or secret) else {}
        if self.poster is not None:
            return self.poster(url, update, headers)
        return requests.post(url, json=update, headers=headers, timeout=30).status_code

    def set_webhook(self, url: str, secret: str) -> None:
        """As if the bot had called setWebhook."""
        with self._lock:
            self._state.webhook = (url, secret)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTelegram:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- the API, called by the request handler ---

    def call(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        with self._lock:
            self._state.requests.append((method, params))
            fault = self._state.faults.pop(0) if self._state.faults and method != "getUpdates" else None
        if fault is not None:
            return _error(fault.status, fault.description, retry_after=fault.retry_after)
        handler = getattr(self, "_" + method, None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return handler(params)

    def _getMe(self, _params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802 - the API's names
        return _ok({"id": BOT_ID, "is_bot": True, "first_name": "OpenRedress", "username": "openredress_bot",
                    "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False})

    def _sendMessage(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        chat_id, text = _chat_id(params), params.get("text", "")
        if chat_id is None:
            return _error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        with self._lock:
            message = Sent(chat_id=chat_id, message_id=next(self._message_ids), text=text, reply_markup=markup)
            self._state.sent.append(message)
        if self.echo:
            print(f"bot → {chat_id}: {text}" + (f"  {message.buttons()}" if markup else ""), flush=True)
        return _ok(_message(message))

    def _editMessageText(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return self._edit(params, text=params.get("text"))

    def _editMessageReplyMarkup(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return self._edit(params, text=None)

    def _edit(self, params: dict[str, Any], *, text: str | None) -> tuple[int, dict[str, Any]]:
        chat_id, message_id = _chat_id(params), int(params.get("message_id", 0))
        with self._lock:
            original = next((m for m in self._state.sent if m.chat_id == chat_id and m.message_id == message_id),
                            None)
            if original is None:
                return _error(400, "Bad Request: message to edit not found")
            markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
            edited = Sent(chat_id=chat_id, message_id=message_id, text=text if text is not None else original.text,
                          reply_markup=markup, edited=True)
            self._state.sent.append(edited)
        if self.echo:
            print(f"bot ✎ {chat_id}: {edited.text}", flush=True)
        return _ok(_message(edited))

    def _answerCallbackQuery(self, _params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        return _ok(True)

    def _setWebhook(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        url = params.get("url", "")
        with self._lock:
            self._state.webhook = (url, params.get("secret_token", "")) if url else None
        return _ok(True)

    def _deleteWebhook(self, _params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        with self._lock:
            self._state.webhook = None
        return _ok(True)

    def _getWebhookInfo(self, _params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        with self._lock:
            url = self._state.webhook[0] if self._state.webhook else ""
            pending = len(self._state.updates)
        return _ok({"url": url, "has_custom_certificate": False, "pending_update_count": pending})

    def _getUpdates(self, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:  # noqa: N802
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 2.0)  # a short long-poll keeps shutdowns quick
        with self._arrived:
            if self._state.webhook is not None:
                return _error(409, "Conflict: can't use getUpdates method while webhook is active")
            self._state.updates = [u for u in self._state.updates if u["update_id"] >= offset]
            if not self._state.updates and wait:
                self._arrived.wait(wait)
            return _ok(list(self._state.updates[:100]))


class TelegramUser:
    """A person in a private chat with the bot: each action builds the update Telegram would send."""

    def __init__(self, fake: FakeTelegram, *, chat_id: int, first_name: str, language_code: str | None) -> None:
        self.fake = fake
        self.chat_id = chat_id
        self.first_name = first_name
        self.language_code = language_code

    def _from(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.chat_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def _message(self, **content: Any) -> dict[str, Any]:
        message = {"message_id": next(self.fake._message_ids), "date": int(time.time()),
                   "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
                   "from": self._from()} | content
        return {"update_id": self.fake.next_update_id(), "message": message}

    def says(self, text: str, **deliver: Any) -> int | None:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self.fake.deliver(self._message(**content), **deliver)

    def shares_contact(self, phone: str, *, own: bool = True) -> int | None:
        contact = {"phone_number": phone, "first_name": self.first_name}
        if own:
            contact["user_id"] = self.chat_id
        return self.fake.deliver(self._message(contact=contact))

    def shares_location(self, latitude: float, longitude: float) -> int | None:
        return self.fake.deliver(self._message(location={"latitude": latitude, "longitude": longitude}))

    def sends_photo(self, file_id: str, caption: str | None = None) -> int | None:
        sizes = [{"file_id": f"{file_id}-s", "file_unique_id": f"{file_id}-us", "width": 90, "height": 67},
                 {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960}]
        return self.fake.deliver(self._message(photo=sizes, **({"caption": caption} if caption else {})))

    def taps(self, button: str, **deliver: Any) -> int | None:
        """Tap the inline button with this text on the latest bot message that has it."""
        message = next(m for m in reversed(self.fake.chat(self.chat_id)) if button in m.buttons())
        return self.tap_data(message.callback(button), message_id=message.message_id, **deliver)

    def tap_data(self, data: str, *, message_id: int, **deliver: Any) -> int | None:
        shown = {"message_id": message_id, "date": int(time.time()), "text": "…",
                 "chat": {"id": self.chat_id, "type": "private", "first_name": self.first_name},
                 "from": {"id": BOT_ID, "is_bot": True, "first_name": "OpenRedress"}}
        query = {"id": str(self.fake.next_update_id()), "from": self._from(), "chat_instance": str(self.chat_id),
                 "data": data, "message": shown}
        return self.fake.deliver({"update_id": self.fake.next_update_id(), "callback_query": query}, **deliver)


def _chat_id(params: dict[str, Any]) -> int | None:
    try:
        return int(params.get("chat_id"))
    except (TypeError, ValueError):
        return None


def _message(sent: Sent) -> dict[str, Any]:
    message: dict[str, Any] = {"message_id": sent.message_id, "date": int(time.time()), "text": sent.text,
                               "chat": {"id": sent.chat_id, "type": "private"},
                               "from": {"id": BOT_ID, "is_bot": True, "first_name": "OpenRedress"}}
    if sent.reply_markup and "inline_keyboard" in sent.reply_markup:
        message["reply_markup"] = sent.reply_markup
    return message


def _ok(result: Any) -> tuple[int, dict[str, Any]]:
    return 200, {"ok": True, "result": result}


def _error(status: int, description: str, *, retry_after: int | None = None) -> tuple[int, dict[str, Any]]:
    payload: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        payload["parameters"] = {"retry_after": retry_after}
    return status, payload


def _handler(fake: FakeTelegram) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            return

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def _params(self) -> dict[str, Any]:
            parsed = urlparse(self.path)
            params = {k: v[-1] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            kind = self.headers.get("Content-Type", "")
            if raw and kind.startswith("application/json"):
                params |= json.loads(raw)
            elif raw and kind.startswith("multipart/form-data"):
                params |= _multipart(raw, kind)
            elif raw:
                params |= {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
            return params

        def _route(self) -> None:
            path = urlparse(self.path).path
            prefix = f"/bot{fake.token}/"
            if not path.startswith("/bot"):
                self._answer(*_error(404, "Not Found"))
                return
            if not path.startswith(prefix):
                self._answer(*_error(401, "Unauthorized"))
                return
            self._answer(*fake.call(path[len(prefix):], self._params()))

        do_GET = _route  # noqa: N815 - the http.server naming
        do_POST = _route  # noqa: N815

    return Handler


def _multipart(raw: bytes, content_type: str) -> dict[str, str]:
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    fields: dict[str, str] = {}
    for part in raw.split(b"--" + boundary):
        head, _, body = part.partition(b"\r\n\r\n")
        if b'name="' not in head:
            continue
        name = head.split(b'name="', 1)[1].split(b'"', 1)[0].decode()
        fields[name] = body.rstrip(b"\r\n").decode()
    return fields


def main() -> None:
    parser = argparse.ArgumentParser(description="A local stand-in for Telegram's Bot API, with a user at the "
                                     "keyboard: each line typed is a message to the bot.")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--token", default="123456:dev-token")
    parser.add_argument("--chat", type=int, default=5001, help="the chat id of the user typing")
    args = parser.parse_args()
    fake = FakeTelegram(token=args.token, port=args.port, echo=True)
    user = fake.user(args.chat)
    print(f"fake Telegram Bot API on {fake.url} (token {args.token}); type messages, Ctrl-D stops", flush=True)
    for line in sys.stdin:
        line = line.strip()
        if line.startswith("/contact "):
            user.shares_contact(line.split(maxsplit=1)[1])
        elif line.startswith("/tap "):
            data = line.split(maxsplit=1)[1]
            message = next(m for m in reversed(fake.chat(args.chat)) if data in m.buttons())
            user.tap_data(message.callback(data), message_id=message.message_id)
        elif line:
            user.says(line)
    fake.stop()


if __name__ == "__main__":
    main()
