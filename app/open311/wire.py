"""Open311's two formats: the same lists and objects as JSON, or as XML with the specification's element names.

Errors are the specification's list of {code, description}, in the format asked for.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

from fastapi.responses import Response

FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


def w3c(moment: datetime | None) -> str | None:
    """The W3C date-time the specification uses, e.g. 2026-11-16T14:45:00+05:45 (here always UTC, 'Z')."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def answer(fmt: str, payload: Any, *, root: str, item: str | None = None, status: int = 200) -> Response:
    """`payload` is a list of dicts (XML: <root><item>…</item></root>) or one dict (XML: <root>…</root>)."""
    if fmt == "json":
        return Response(json.dumps(payload, ensure_ascii=False), status_code=status, media_type=FORMATS["json"])
    element = Element(root)
    if isinstance(payload, list):
        for entry in payload:
            _fill(SubElement(element, item or "item"), entry)
    else:
        _fill(element, payload)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + tostring(element, encoding="unicode").encode()
    return Response(body, status_code=status, media_type=FORMATS["xml"])


def _fill(element: Element, value: Any) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if isinstance(inner, list):
                holder = SubElement(element, key)
                for entry in inner:
                    _fill(SubElement(holder, _singular(key)), entry)
            else:
                _fill(SubElement(element, key), inner)
    elif value is None:
        return
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _singular(key: str) -> str:
    return {"endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
            "keywords": "keyword"}.get(key, key.rstrip("s"))


def error(fmt: str, status: int, description: str) -> Response:
    return answer(fmt if fmt in FORMATS else "json", [{"code": status, "description": description}],
                  root="errors", item="error", status=status)
