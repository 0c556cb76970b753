"""Who reads the primary although the replica would do: callers that have just written.

An API client asks with ``Cache-Control: no-cache`` (HTTP's way to say "not a stored copy":
the replica is one). A browser is not asked to do anything: a form it posts (a request with
cookies and an unsafe method) that succeeds sets a short cookie, and while it lasts the pages
it opens read the primary, so the page a form redirects to shows what the form did. A
browser's hard reload sends ``Cache-Control: no-cache`` too.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rma.adapters import replica

PRIMARY_COOKIE = "rma_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadsAfterWrites:
    """Pure ASGI, so the choice is in the context every route and streamed body inherits."""

    def __init__(self, app: ASGIApp, sticky_seconds: int, secure: bool):
        self.app = app
        attributes = f"Max-Age={sticky_seconds}; Path=/; HttpOnly; SameSite=Lax"
        self.cookie = f"{PRIMARY_COOKIE}=1; {attributes}" + ("; Secure" if secure else "")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = replica.prefer_primary(_asks_for_primary(headers))
        browser_writes = scope["method"] not in SAFE_METHODS and "cookie" in headers

        async def send_marked(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] < 400:
                MutableHeaders(scope=message).append("set-cookie", self.cookie)
            await send(message)

        try:
            await self.app(scope, receive, send_marked if browser_writes else send)
        finally:
            replica.stop_preferring(token)


def _asks_for_primary(headers: Headers) -> bool:
    directives = {d.strip().lower() for d in headers.get("cache-control", "").split(",")}
    return "no-cache" in directives or PRIMARY_COOKIE in cookie_parser(headers.get("cookie", ""))
