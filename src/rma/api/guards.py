"""Refuse hostile requests before any route sees them: NUL in URLs, oversized or deep bodies.

Bodies are checked by the schemas (``schemas.base.In``); a NUL in a path or query parameter
would otherwise reach PostgreSQL, which cannot store it and fails the request with a 500.

A body is read here, up to the limit of its route class, before the app parses it: a body
larger than that is answered 413 without being read further, and a JSON body nested deeper
than ``MAX_JSON_DEPTH`` is answered 422 before the parser recurses into it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rma.api.errors import error_response

MAX_JSON_DEPTH = 32
BULK_PATHS = ("/v1/orders/import", "/desk/orders/import")
_JSON_TOKENS = re.compile(rb'[\[\]{}"\\]')


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


@dataclass(frozen=True)
class BodyLimits:
    """The largest body, in bytes, of each class of route."""

    public: int  # no credentials needed: sign-ins, portal forms, customer sessions, tokens
    api: int  # a caller with a key or token
    upload: int  # prepaid labels and photos
    carrier: int  # signed carrier tracking webhooks and store order webhooks
    bulk: int = 268_435_456  # CSV order imports, passed on as they arrive (never held whole)

    def streams(self, scope: Scope) -> bool:
        """Whether the route reads its body as a stream (then it is counted, not held)."""
        return str(scope["path"]).endswith(BULK_PATHS)

    def of(self, scope: Scope) -> int:
        path: str = scope["path"]
        if path.endswith(BULK_PATHS):
            return self.bulk
        if path.endswith(("/label", "/photos")):
            return self.upload
        if path.startswith(("/v1/carrier-events", "/v1/store-events")):
            return self.carrier
        if Headers(scope=scope).get("authorization"):
            return self.api
        return self.public


class LimitRequestBodies:
    """ASGI middleware: reads each body up to its route class's limit, then hands it on."""

    def __init__(self, app: ASGIApp, limits: BodyLimits):
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limits.of(scope)
        headers = Headers(scope=scope)
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await _too_large(limit)(scope, receive, send)
            return
        if self.limits.streams(scope):
            await _Counted(self.app, limit)(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(limit)(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        if "json" in headers.get("content-type", "") and json_depth(body) > MAX_JSON_DEPTH:
            response = error_response(
                422,
                "invalid_input",
                f"the JSON body is nested more than {MAX_JSON_DEPTH} levels deep",
                [{"field": "body"}],
            )
            await response(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)


class _Counted:
    """Hands a streamed body on chunk by chunk; past the limit, answers 413 and cuts it."""

    def __init__(self, app: ASGIApp, limit: int):
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        size = 0
        refused = False

        async def counted_receive() -> Message:
            nonlocal size, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                size += len(message.get("body", b""))
                if size > self.limit:
                    refused = True
                    await _too_large(self.limit)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            if not refused:  # the 413 went out; whatever the app answers after it does not
                await send(message)

        await self.app(scope, counted_receive, guarded_send)


def json_depth(body: bytes) -> int:
    """How deep arrays and objects nest in ``body``, brackets inside strings not counted."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return 0  # too few brackets to nest that deep: the common case, decided in C
    depth = deepest = 0
    in_string = escaped = False
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if in_string:
            if escaped:
                escaped = False
            elif token == b"\\":
                # An escaped quote or backslash is the next token, and is no token at all.
                escaped = body[match.end() : match.end() + 1] in (b'"', b"\\")
            elif token == b'"':
                in_string = False
            continue
        if token == b'"':
            in_string = True
        elif token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _too_large(limit: int) -> ASGIApp:
    return error_response(
        413,
        "payload_too_large",
        f"the request body is larger than this route takes ({limit} bytes)",
        [{"field": "body"}],
    )


def replay_body(body: bytes, receive: Receive) -> Receive:
    """``receive`` for an app after ``body`` was read: the body again, then what comes."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # after the body: the disconnect, when it comes

    return replay
