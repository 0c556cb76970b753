"""Each request gets its own box saying who acts in it (see ``rma.services.acting``)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from rma.services import acting


class ActingScope:
    """Pure ASGI, so the box is set in the context every dependency and route inherits."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = acting.begin()
        try:
            await self.app(scope, receive, send)
        finally:
            acting.end(token)
