"""Every error answers the same JSON shape: {"detail": "what is wrong, in plain words", "code": ..., "field": ...}."""

from __future__ import annotations

import html
import json

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import edge
from core.errors import DomainError

WRITE_METHODS = {"POST", "PUT", "PATCH"}
MACHINE_PATHS = ("/api/", "/open311", "/webhooks", "/open-data")  # answered in JSON whatever the Accept header
CHECKED = {"application/json", "application/x-www-form-urlencoded"}  # bodies read and checked at the edge


ERROR_SCHEMA = {"title": "Error", "type": "object", "required": ["detail", "code"], "properties": {
    "detail": {"type": "string", "description": "What is wrong, in plain words"},
    "code": {"type": "string", "description": "e.g. invalid_input, not_found, malformed_json"},
    "field": {"type": "string", "description": "The field at fault, when there is one"},
    "errors": {"type": "array", "items": {"type": "object"}, "description": "Each field's problem"}}}


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation_error)  # type: ignore[arg-type]
    generated = app.openapi

    def openapi() -> dict[str, object]:
        """The spec says what a 422 really holds: our error shape, not FastAPI's list of validation errors."""
        if app.openapi_schema is None:
            schema = generated()
            schemas = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in schemas:
                schemas["HTTPValidationError"] = ERROR_SCHEMA
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _answer(status: int, detail: str, code: str, field: str | None = None, **extra: object) -> JSONResponse:
    body: dict[str, object] = {"detail": detail, "code": code}
    if field:
        body["field"] = field
    body.update(extra)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)


def _domain_error(_request: Request, exc: DomainError) -> JSONResponse:
    return _answer(exc.status, exc.message, exc.code, exc.field)


def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return _answer(400, "the request body is not valid JSON", "malformed_json")
    problems = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        field = ".".join(location) or "body"
        problems.append({"field": field, "message": _plain(error)})
    detail = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return _answer(422, detail, "invalid_input", problems[0]["field"] if problems else None, errors=problems)


def _plain(error: dict[str, object]) -> str:
    kind = error.get("type")
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field this endpoint accepts"
    if kind == "model_attributes_type" or kind == "dict_type":
        return "the body must be a JSON object"
    return str(error.get("msg", "is not valid"))


class RequestGuard:
    """Before any handler runs: refuses oversized bodies (413), non-JSON writes to the API (415), and text no
    route should see in the path, the query or a form or JSON body (422, `app.edge`)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            edge.check_path(scope.get("raw_path") or scope["path"].encode("utf-8"))
            edge.check_pairs(scope.get("query_string") or b"", where="query")
        except edge.Refused as refused:
            await _refuse(scope, send, refused)
            return
        if scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        media_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if scope["path"].startswith("/api/") and media_type != "application/json":
            await _send_json(send, 415, "send the body as JSON with 'Content-Type: application/json'",
                             "unsupported_media_type")
            return
        declared = headers.get("content-length")
        if declared is not None and not declared.isdigit():
            await _send_json(send, 400, "the Content-Length header is not a number", "bad_request")
            return
        if declared is not None and int(declared) > self.max_bytes:
            await _send_json(send, 413, f"the request body is larger than {self.max_bytes} bytes", "too_large")
            return
        if declared is not None and media_type not in CHECKED:
            await self.app(scope, receive, send)
            return
        # Read the body (up to the limit: chunked bodies declare none), check it, then hand it on in one piece.
        body = b""
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body += message.get("body", b"")
            if len(body) > self.max_bytes:
                await _send_json(send, 413, f"the request body is larger than {self.max_bytes} bytes", "too_large")
                return
            more = message.get("more_body", False)
        try:
            if media_type == "application/json":
                edge.check_json(body)
            elif media_type == "application/x-www-form-urlencoded":
                edge.check_pairs(body, where="body")
        except edge.Refused as refused:
            await _refuse(scope, send, refused)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(scope: Scope, send: Send, refused: edge.Refused) -> None:
    """422: in the API's shape, or as a short page for a browser on one of our pages."""
    accept = dict(scope["headers"]).get(b"accept", b"").decode("latin-1")
    if "text/html" not in accept or scope["path"].startswith(MACHINE_PATHS):
        await _send_json(send, 422, refused.detail, "invalid_input", refused.field)
        return
    body = (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Not accepted</title></head><body>'
            f"<h1>This was not accepted</h1><p>{html.escape(refused.detail)}. Please go back and correct it.</p>"
            "</body></html>").encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 422, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, detail: str, code: str, field: str | None = None) -> None:
    body = json.dumps({"detail": detail, "code": code} | ({"field": field} if field else {})).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
