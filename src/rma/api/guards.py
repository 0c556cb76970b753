"""Refuse URLs carrying a NUL character before any route sees them.

Bodies are checked by the schemas (``schemas.base.In``); a NUL in a path or query parameter
would otherwise reach PostgreSQL, which cannot store it and fails the request with a 500.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from rma.api.errors import error_response


class RefuseNulInUrl:
    """ASGI middleware: a request whose path or query holds NUL is answered 422."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (
            "\x00" in scope["path"] or b"%00" in scope.get("query_string", b"")
        ):
            response = error_response(
                422, "invalid_input", "the URL cannot contain the NUL character", [{"field": "url"}]
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
