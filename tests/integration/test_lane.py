"""A request's code on the event loop's thread: each wait gives the loop to the others.

Each test runs a request's code through ``lane.run`` on a loop where a ticker counts every
10 ms; while the request waits (a statement sleeping in PostgreSQL, a call through
``lane.blocking``) the ticker must go on counting. A wait that blocked the thread would stop
it: the count would stay at its start.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import logging
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from fastapi.routing import APIRoute
from psycopg.pq import TransactionStatus
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DBAPIError

from rma.adapters import lane
from rma.adapters.driver_rows import DriverQuery
from rma.adapters.throttle import LimitsAttempts
from rma.api.app import create_app
from rma.bootstrap import Container
from rma.services.throttling import Rule

SLEEP = 0.4  # seconds a request waits; the ticker counts every 10 ms meanwhile
_T = TypeVar("_T")


def _ticks_while(work: Callable[[], Any]) -> tuple[Any, int]:
    """``work()``'s answer in a request on a loop, and how often the loop ticked meanwhile."""

    async def main() -> tuple[Any, int]:
        ticks = 0
        running = True

        async def ticker() -> None:
            nonlocal ticks
            while running:
                ticks += 1
                await asyncio.sleep(0.01)

        counting = asyncio.create_task(ticker())
        await asyncio.sleep(0)  # the ticker's first tick
        start = ticks
        try:
            answer = await lane.run(work)
        finally:
            running = False
            await counting
        return answer, ticks - start

    return _run(main)


def _run(main: Callable[[], Coroutine[Any, Any, _T]]) -> _T:
    """``main()`` on a loop in a thread of its own: the browser tests' Playwright keeps a
    loop running in the test process's main thread, where ``asyncio.run`` refuses to."""
    with ThreadPoolExecutor(1) as thread:
        return thread.submit(asyncio.run, main()).result()


@pytest.mark.postgres_only
def test_a_statement_through_sqlalchemy_leaves_the_loop_to_others(container: Container) -> None:
    def request() -> Any:
        with container.engine.connect() as connection:
            return connection.execute(text("SELECT pg_sleep(:s), 7"), {"s": SLEEP}).one()[1]

    answer, ticks = _ticks_while(request)

    assert answer == 7
    assert ticks >= 10  # some 40 at 10 ms; none if the statement held the thread


@pytest.mark.postgres_only
def test_a_statement_sent_by_the_driver_leaves_the_loop_to_others(container: Container) -> None:
    sleepy = DriverQuery(select(func.pg_sleep(SLEEP), func.upper("done")))

    def request() -> Any:
        uow = container.uow()
        with uow:  # prepared at its first sending on the connection, then sent in a pipeline
            return sleepy.all(uow.session, {})[0][1]

    answer, ticks = _ticks_while(request)

    assert answer == "DONE"
    assert ticks >= 10


@pytest.mark.postgres_only
def test_a_statement_that_fails_raises_in_the_request_which_goes_on(
    container: Container,
) -> None:
    def request() -> Any:
        with container.engine.connect() as connection:
            with pytest.raises(DBAPIError, match="division by zero"):
                connection.execute(text("SELECT pg_sleep(0.05), 1 / 0"))
            connection.rollback()
            return connection.execute(text("SELECT 2")).scalar_one()

    answer, _ = _ticks_while(request)

    assert answer == 2


def test_a_blocking_call_runs_off_the_loop() -> None:
    answer, ticks = _ticks_while(lambda: lane.blocking(lambda: time.sleep(SLEEP) or "slept"))

    assert answer == "slept"
    assert ticks >= 10


def test_an_error_of_a_blocking_call_is_raised_in_the_request() -> None:
    def fails() -> None:
        raise LookupError("gateway down")

    def request() -> str:
        try:
            lane.blocking(fails)
        except LookupError as error:
            return f"caught: {error}"
        return "not raised"

    assert _ticks_while(request)[0] == "caught: gateway down"


def test_an_error_of_the_request_reaches_its_caller() -> None:
    def request() -> None:
        raise PermissionError("not yours")

    with pytest.raises(PermissionError, match="not yours"):
        _ticks_while(request)


acting: contextvars.ContextVar[str] = contextvars.ContextVar("acting", default="nobody")


def test_a_request_sees_its_callers_context_and_keeps_its_own_changes() -> None:
    async def main() -> tuple[str, str]:
        acting.set("seller")

        def request() -> str:
            seen = acting.get()
            acting.set("changed inside")
            return seen

        seen = await lane.run(request)
        return seen, acting.get()

    assert _run(main) == ("seller", "seller")


def test_outside_a_request_a_blocking_call_is_simply_made() -> None:
    assert not lane.in_request()
    assert lane.blocking(lambda: "called") == "called"


@pytest.mark.postgres_only
def test_a_lookup_sent_alone_in_a_request_leaves_no_transaction_open(
    container: Container,
) -> None:
    """As signing in reads its key: on a pooled connection of its own, outside a transaction
    (one left open would cost a rollback as the connection goes back to the pool)."""
    lookup = DriverQuery(select(func.upper("key")))
    returned: list[TransactionStatus] = []

    def on_return(dbapi: Any, record: Any, state: Any) -> None:
        returned.append(dbapi.info.transaction_status)

    def request() -> Any:
        with container.uow() as uow:
            return lookup.first_alone(uow.session, {})[0]

    event.listen(container.engine, "reset", on_return)
    try:
        answer, _ = _ticks_while(request)
    finally:
        event.remove(container.engine, "reset", on_return)

    assert answer == "KEY"
    assert returned[0] == TransactionStatus.IDLE  # the lookup's connection, given back first


@contextmanager
def _slow_redis(delay: float) -> Iterator[str]:
    """A proxy to the Redis on loopback that answers each command ``delay`` seconds late."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def relay(client: socket.socket) -> None:
        with client, socket.create_connection(("127.0.0.1", 6379)) as upstream:
            while asked := client.recv(65536):
                time.sleep(delay)
                upstream.sendall(asked)
                client.sendall(upstream.recv(65536))

    def serve() -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # closed: the test is over
                return
            threading.Thread(target=relay, args=(client,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        listener.close()


def test_the_throttles_redis_is_waited_on_off_the_loop() -> None:
    with _slow_redis(SLEEP / 4) as url:
        attempts = LimitsAttempts({Rule.KEY_REQUESTS: "100 per minute"}, url)
        key = f"key-{uuid.uuid4()}"

        def request() -> int:
            attempts.count(Rule.KEY_REQUESTS, key)
            return attempts.wait(Rule.KEY_REQUESTS, key)

        answer, ticks = _ticks_while(request)

    assert answer == 0  # one attempt of a hundred: not throttled
    assert ticks >= 10  # several commands, each 100 ms late


def _held_warnings(caplog: pytest.LogCaptureFixture, hold: float) -> list[int]:
    """The stalls a watcher of 100 ms logged while the loop was held ``hold`` seconds once."""

    async def main() -> None:
        watching = asyncio.create_task(lane.watch_stalls(0.1, every=0.01))
        await asyncio.sleep(0.05)
        time.sleep(hold)  # a request's code that blocked the thread
        await asyncio.sleep(0.05)
        watching.cancel()

    with caplog.at_level(logging.WARNING, logger="rma.adapters.lane"):
        _run(main)
    found = [re.search(r"held (\d+) ms", r.getMessage()) for r in caplog.records]
    return [int(match.group(1)) for match in found if match]


def test_a_loop_held_past_the_threshold_is_logged_with_how_long(
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert [ms >= 250 for ms in _held_warnings(caplog, 0.3)] == [True]


def test_a_loop_that_keeps_turning_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    assert _held_warnings(caplog, 0.0) == []


# ``async`` routes that read their body on the loop and hand everything else to a thread.
HANDS_ITS_WORK_OFF = {
    "rma.api.routes.intake.import_orders",
    "rma.api.routes.tracking.ingest_carrier_events",
    "rma.api.routes.warehouse.add_photo",
    "rma.api.routes.labels.put_label",
    "rma.api.routes.stores.ingest_store_event",
    "rma.api.amazon.auth.exchange_token",
    "rma.web.desk_intake.import_file",
}


def test_no_route_runs_its_use_case_on_the_event_loop(container: Container) -> None:
    """An ``async`` route runs on the loop: every statement of its use case would hold up
    each request the process serves there (on PostgreSQL, the busiest routes). A route is a
    plain ``def``, which FastAPI runs in a thread (a page's form comes through
    ``PostedForm``), or one of those above, each checked by hand to await its work in a
    thread (``run_in_threadpool``)."""
    on_loop = {
        f"{route.endpoint.__module__}.{route.endpoint.__name__}"
        for route in _routes(create_app(container).routes)
        if isinstance(route, APIRoute) and inspect.iscoroutinefunction(route.endpoint)
    }
    assert on_loop == HANDS_ITS_WORK_OFF


def _routes(routes: list[Any]) -> Iterator[Any]:
    for route in routes:
        included = getattr(route, "original_router", None)  # FastAPI keeps a router whole
        yield from _routes(included.routes) if included is not None else [route]
