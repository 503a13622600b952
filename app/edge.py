"""The one check of what comes from outside, before any route or query runs: text that no database stores.

PostgreSQL refuses a NUL character in text with an error the route did not expect (a 500 where SQLite
answered 4xx), and a control character or invalid UTF-8 in a name, a code or a complaint is never what a
person meant. So every path, query value and form or JSON body is read once here: control characters
(tab, newline and carriage return allowed in bodies), invalid UTF-8 and JSON nested deeper than any of our
bodies answer 422 in the API's error shape, naming the field, and nothing reaches a handler.
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 but tab, newline, carriage return; and DEL
CONTROL_IN_NAMES = re.compile(r"[\x00-\x1f\x7f]")  # a path or a query value has no line breaks either
JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)
MAX_JSON_DEPTH = 32  # our deepest body is three levels; a 10,000-deep one only costs the parser's stack


class Refused(Exception):
    """A value no route should see: `field` names it, `detail` says what is wrong in plain words."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field


def check_path(raw_path: bytes) -> None:
    text = _text(unquote_to_bytes(raw_path), "path")
    if CONTROL_IN_NAMES.search(text):
        raise Refused(f"the address {_what(text)}", "path")


def check_pairs(encoded: bytes, *, where: str) -> None:
    """A query string or a form body (application/x-www-form-urlencoded): every name and value."""
    for pair in encoded.split(b"&"):
        if not pair:
            continue
        name, _, value = pair.partition(b"=")
        name_text = _text(unquote_to_bytes(name.replace(b"+", b" ")), where)
        value_text = _text(unquote_to_bytes(value.replace(b"+", b" ")), name_text or where)
        pattern = CONTROL_IN_NAMES if where == "query" else CONTROL
        if CONTROL_IN_NAMES.search(name_text) or pattern.search(value_text):
            raise Refused(f"{_field(name_text, where)} {_what(name_text + value_text)}", _field(name_text, where))


def check_json(body: bytes) -> None:
    text = _text(body, "body")
    if JSON_NUL.search(body) or "\x00" in text:
        raise Refused("the body holds a control character (a NUL byte)", "body")
    depth = deepest = 0
    inside = escaped = False
    for char in text:
        if inside:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                inside = False
        elif char == '"':
            inside = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise Refused(f"the body is nested more than {MAX_JSON_DEPTH} levels deep", "body")
        elif char in "]}":
            depth -= 1


def _text(raw: bytes, field: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused("the text is not valid UTF-8", _field(field, "body")) from None


def _what(text: str) -> str:
    return "holds a control character" + (" (a NUL byte)" if "\x00" in text else "")


def _field(name: str, where: str) -> str:
    return CONTROL_IN_NAMES.sub("?", name)[:64] if name else where
