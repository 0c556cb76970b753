"""The busiest routes, served without FastAPI's machinery around each request.

The list of returns, reading one and each step of its life (``app.DIRECT_ROUTES``) are still
FastAPI routes: their OpenAPI entries, and the answer to anything this module does not take
as it is. Here the same endpoint function is called with what the module resolves itself
(the path's and the query's parameters, the request, the container, the signed-in caller and
the body), sign-in, endpoint and the answer's JSON together: on PostgreSQL on the event
loop's own thread (``lane``), elsewhere in one worker thread. FastAPI
spent a quarter of an authorization's CPU around the endpoint: matching it among some 300
routes, solving its dependencies, two hand-offs to a worker thread (see docs/operations.md,
"The write path").

A request goes on to FastAPI, its body handed on unread, whenever this module would have to
decide something FastAPI decides: a body that is not JSON, does not parse or does not
validate, a content type other than JSON, a path or query parameter out of its bounds, an
``Idempotency-Key`` longer than the header allows. So every error of input is answered by
FastAPI as before; errors of the use case are answered by the app's own handlers, and a
model is written as FastAPI writes a route's model (validated as it, then by Pydantic).
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import re
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from fastapi import FastAPI
from fastapi.datastructures import DefaultPlaceholder
from fastapi.dependencies.utils import request_params_to_args
from fastapi.params import Depends
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from rma.adapters import lane
from rma.api.deps import bearer, get_container, get_principal
from rma.api.guards import replay_body
from rma.api.idempotency import IDEMPOTENT, MAX_KEY_LENGTH
from rma.bootstrap import Container

THREADS = 40
ON_LOOP = 20  # requests at once on the loop, each holding at most two pooled connections
_JSON = re.compile(r"application/json\s*(;.*)?", re.IGNORECASE)


@dataclass(frozen=True)
class _Body:
    name: str
    model: type[BaseModel]
    optional: bool  # an empty body is the model's defaults (``Body(default_factory=...)``)


@dataclass(frozen=True)
class _Route:
    """One endpoint, and how to call it with what a request holds."""

    method: str
    path: re.Pattern[str]
    earlier: tuple[re.Pattern[str], ...]  # earlier routes' paths, whose requests are theirs
    endpoint: Callable[..., Any]
    path_params: dict[str, TypeAdapter[str]]
    request: str | None  # the name of each kind of parameter the endpoint takes
    container: str
    principal: str
    body: _Body | None
    model: TypeAdapter[Any] | None  # what a model the endpoint returns is answered as
    queries: Sequence[Any] = ()  # FastAPI's fields of its query parameters

    def arguments(
        self, request: Request, match: re.Match[str], raw: bytes, container: Container
    ) -> dict[str, Any]:
        """The endpoint's arguments but the caller, or ``ValueError`` for FastAPI to judge."""
        values: dict[str, Any] = {}
        for name, adapter in self.path_params.items():
            values[name] = adapter.validate_python(match[name])  # ValidationError is a ValueError
        if self.queries:
            # Read and validated by FastAPI's own function: the same values, defaults and
            # refusals as its route's (a refused one goes on to FastAPI, which answers it).
            found, refused = request_params_to_args(self.queries, request.query_params)
            if refused:
                raise ValueError("a query parameter FastAPI refuses")
            values |= found
        if self.request:
            values[self.request] = request
        values[self.container] = container
        if self.body:
            values[self.body.name] = _parsed(self.body, request, raw)
        return values


def _parsed(body: _Body, request: Request, raw: bytes) -> BaseModel:
    if not raw:
        if not body.optional:
            raise ValueError("a body is required")
        return body.model()
    if not _JSON.fullmatch(request.headers.get("content-type", "")):
        raise ValueError("not declared JSON")
    return body.model.model_validate_json(raw)


class DirectRoutes:
    """ASGI middleware: serves the listed endpoints' requests itself, the rest passes on."""

    def __init__(self, app: ASGIApp, fastapi: FastAPI, endpoints: Sequence[Callable[..., Any]]):
        self.app = app
        self.fastapi = fastapi
        self.endpoints = endpoints
        self._routes: list[_Route] | None = None  # built at the first request, all included
        # On PostgreSQL each request runs on the loop's thread (``lane``), as many at once as
        # can hold two of the pool's connections each: one waiting for a connection there
        # would hold up the loop, and with it the requests that would give theirs back.
        self._on_loop = fastapi.state.container.engine.dialect.name == "postgresql"
        self._admitted = asyncio.Semaphore(ON_LOOP)
        # Elsewhere threads of its own, as many as anyio lends FastAPI's routes: handing work
        # to one through asyncio's executor costs half what anyio's hand-off did.
        self._threads = ThreadPoolExecutor(THREADS, thread_name_prefix="rma-direct")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "POST"):
            await self.app(scope, receive, send)
            return
        if self._routes is None:
            self._routes = direct_routes(self.fastapi, self.endpoints)
        for route in self._routes:
            match = route.path.fullmatch(scope["path"]) if route.method == scope["method"] else None
            if match is not None and not any(e.fullmatch(scope["path"]) for e in route.earlier):
                await self._serve(route, match, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _serve(
        self, route: _Route, match: re.Match[str], scope: Scope, receive: Receive, send: Send
    ) -> None:
        request = Request(scope, receive)
        raw = await request.body() if route.body else b""
        key = request.headers.get("idempotency-key")
        try:
            if key is not None and len(key) > MAX_KEY_LENGTH:
                raise ValueError("the header's own limit")
            arguments = route.arguments(request, match, raw, self.fastapi.state.container)
        except (ValueError, ValidationError):
            await self.app(scope, replay_body(raw, receive), send)
            return
        credentials = await bearer(request)  # the routes' own parse
        try:
            response = await self._run(_call, route, request, arguments, credentials)
        except Exception as error:
            handler = _handler_of(self.fastapi, error)
            if handler is None:
                raise  # the last-resort handler outside answers 500, as for any route
            response = await handler(request, error)
        await response(scope, receive, send)

    async def _run(self, work: Callable[..., Response], *arguments: Any) -> Response:
        """``work(*arguments)`` on the loop or in one of the threads, in this request's context."""
        if self._on_loop:
            # Shielded: a request its caller gave up on still ends its unit of work, as a
            # thread would, rather than stop between two statements.
            return await asyncio.shield(self._admit(work, *arguments))
        context = contextvars.copy_context()  # who acts in the request (``acting``) goes along
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, context.run, work, *arguments)

    async def _admit(self, work: Callable[..., Response], *arguments: Any) -> Response:
        async with self._admitted:
            return await lane.run(work, *arguments)


def _call(route: _Route, request: Request, arguments: dict[str, Any], credentials: Any) -> Response:
    """Sign in, run the endpoint and write its answer: a request's work, in one go."""
    principal = get_principal(request, arguments[route.container], credentials)
    answer = route.endpoint(**arguments, **{route.principal: principal})
    if isinstance(answer, Response):
        return answer
    assert route.model is not None  # _route_of holds a route that returns a model to one
    # As FastAPI answers a route's model: validated as it, then written by Pydantic.
    model = route.model.validate_python(answer, from_attributes=True)
    return Response(route.model.dump_json(model, by_alias=True), media_type="application/json")


def _handler_of(app: FastAPI, error: Exception) -> Callable[..., Any] | None:
    """The app's handler for ``error``, as Starlette finds it, but the last resort's."""
    for kind in type(error).__mro__:
        if kind is Exception:
            return None
        handler = app.exception_handlers.get(kind)
        if handler is not None:
            return handler
    return None


def direct_routes(app: FastAPI, endpoints: Sequence[Callable[..., Any]]) -> list[_Route]:
    """How to serve each of ``endpoints``, from its FastAPI route and its signature."""
    placed = list(_in_order(app.routes, "", servable=True))
    found = {
        p.route.endpoint: index
        for index, p in enumerate(placed)
        if isinstance(p.route, APIRoute) and p.servable
    }
    missing = [e.__qualname__ for e in endpoints if e not in found]
    if missing:
        raise LookupError(f"no route for {missing}")
    return [_route_of(placed, found[endpoint]) for endpoint in endpoints]


@dataclass(frozen=True)
class _Placed:
    """A route of the app, in the order FastAPI tries them, with its whole path."""

    path: str
    route: BaseRoute
    servable: bool  # no dependency was added where its router was included

    def pattern(self) -> re.Pattern[str]:
        mounted = "/{path:path}" if isinstance(self.route, Mount) else ""
        return compile_path(self.path + mounted)[0]


def _in_order(routes: Sequence[BaseRoute], prefix: str, servable: bool) -> Iterator[_Placed]:
    for route in routes:
        if (included := getattr(route, "original_router", None)) is not None:
            # FastAPI 0.16x keeps an included router whole, and its inclusion's settings
            context = route.include_context  # type: ignore[attr-defined]
            inside = servable and not context.dependencies
            yield from _in_order(included.routes, prefix + context.prefix, inside)
        else:
            yield _Placed(prefix + getattr(route, "path", ""), route, servable)


def _earlier(placed: list[_Placed], index: int, method: str) -> tuple[re.Pattern[str], ...]:
    """The routes FastAPI tries before ``placed[index]`` that may take the same requests.

    ``GET /v1/returns/counts`` is the counts' route, not a return called ``counts``: a path
    two routes match belongs to the first, so the lane passes on what an earlier one takes.
    """
    path = placed[index].path
    found = []
    for earlier in placed[:index]:
        methods = getattr(earlier.route, "methods", None)  # a mount takes every method
        if (methods is None or method in methods) and _may_share(earlier, path):
            found.append(earlier.pattern())
    return tuple(found)


def _may_share(earlier: _Placed, path: str) -> bool:
    """Whether a request's path may match both (segment by segment; a mount, by its start)."""
    if isinstance(earlier.route, Mount) or ":path}" in earlier.path:
        start = earlier.path.split("{")[0]
        return path.startswith(start) or start.startswith(path.split("{")[0])
    ours, theirs = path.split("/"), earlier.path.split("/")
    return len(ours) == len(theirs) and all(
        a == b or "{" in a or "{" in b for a, b in zip(ours, theirs, strict=True)
    )


def _route_of(placed: list[_Placed], index: int) -> _Route:
    path, route = placed[index].path, placed[index].route
    assert isinstance(route, APIRoute)
    if list(route.dependencies) not in ([], IDEMPOTENT):
        raise TypeError(f"{path}: no dependency but the key's")
    if route.methods not in ({"POST"}, {"GET"}):
        raise TypeError(f"{path}: only GET or POST")
    hints = get_type_hints(route.endpoint, include_extras=True)
    kinds: dict[str, Any] = {"path_params": {}, "request": None, "body": None}
    queries = {field.name: field for field in route.dependant.query_params}
    for name, parameter in inspect.signature(route.endpoint).parameters.items():
        hint = hints[name]
        if name in queries:
            continue
        if f"{{{name}}}" in path:
            kinds["path_params"][name] = TypeAdapter(hint)
        elif hint is Request:
            kinds["request"] = name
        elif _dependency(hint) is get_container:
            kinds["container"] = name
        elif _dependency(hint) is get_principal:
            kinds["principal"] = name
        elif isinstance(model := _bare(hint), type) and issubclass(model, BaseModel):
            kinds["body"] = _Body(name, model, _optional(parameter, hint))
        else:
            raise TypeError(f"{path}: cannot serve the parameter {name!r} directly")
    pattern, _, _ = compile_path(path)
    (method,) = route.methods
    returns = hints.get("return")
    answers_itself = isinstance(returns, type) and issubclass(returns, Response)
    model = None if answers_itself else _answered_as(path, route)
    earlier = _earlier(placed, index, method)
    return _Route(
        method, pattern, earlier, route.endpoint, **kinds, model=model, queries=[*queries.values()]
    )


def _answered_as(path: str, route: APIRoute) -> TypeAdapter[Any]:
    """How FastAPI writes the route's model: by default, with 200."""
    shaped = (
        route.response_model_include,
        route.response_model_exclude,
        route.response_model_exclude_unset,
        route.response_model_exclude_defaults,
        route.response_model_exclude_none,
    )
    if (
        route.response_model is None
        or any(shaped)
        or route.status_code not in (None, 200)
        or not route.response_model_by_alias
        or not isinstance(route.response_class, DefaultPlaceholder)
    ):
        raise TypeError(f"{path}: its model is answered some other way than by default")
    return TypeAdapter(route.response_model)


def _optional(parameter: inspect.Parameter, hint: Any) -> bool:
    """Whether FastAPI would take an empty body as the model's defaults."""
    if parameter.default is not inspect.Parameter.empty:
        return True
    extras = get_args(hint)[1:] if get_origin(hint) is Annotated else ()
    return any(getattr(extra, "default_factory", None) is not None for extra in extras)


def _bare(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is Annotated else hint


def _dependency(hint: Any) -> Any:
    if get_origin(hint) is not Annotated:
        return None
    marks = [extra for extra in get_args(hint)[1:] if isinstance(extra, Depends)]
    return marks[0].dependency if marks else None
