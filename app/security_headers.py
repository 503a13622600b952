"""Browser protections on every response: what a page may load, who may frame it, what it tells others.

Pages carry no inline script (the one script is a static file), so the policy allows scripts from this
origin only; styles may be inline (the public pages and the charts set a few). Nothing may frame a page
(clickjacking a staff action or a citizen's tracking page), no response is sniffed into another type, a
link out says only where it came from, and the browser's camera, microphone and location are never asked
for. HSTS is sent once the service is public over https. The interactive API docs (development, or
REDRESS_API_DOCS) need their own inline start-up script, so only their two pages allow it.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
          "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
          "frame-ancestors 'none'")
DOCS_POLICY = POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})
HEADERS = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
           (b"referrer-policy", b"same-origin"),
           (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
           (b"cross-origin-opener-policy", b"same-origin")]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = DOCS_POLICY if scope["path"] in DOCS_PATHS else POLICY
        added = [(b"content-security-policy", policy.encode()), *HEADERS, *([HSTS] if self.https else [])]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in added if h[0] not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
