"""The busiest routes on the event loop's own thread: each request a greenlet, each wait for
PostgreSQL a turn of the loop.

The use cases are synchronous code (a unit of work, SQLAlchemy's session, psycopg's
connection). Run in a pool of threads, every statement's answer woke a thread that then queued
for Python's lock among the others; on two cores, with some thirty threads runnable, who got
the lock next was luck, and a request that lost a few times in a row made the p99. Here a
request's code runs in a greenlet of the loop's thread; where it would wait for the database it
hands the wait to the loop (``wait``) and the loop serves the next ready request, in the order
they became ready.

Only the database's waits give the loop back: a call that blocks on anything else (the
throttle's Redis) blocks the loop for as long, so such calls go through ``blocking``, which
runs them in a thread (no request calls a payment gateway or a webhook: the worker does).
Opening a connection blocks the loop for as long (psycopg's connect waits on its own): a
warm pool opens none. On SQLite (in process, no socket to wait on) the routes keep their
threads.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import select
import sys
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import psycopg
from greenlet import getcurrent, greenlet
from psycopg import waiting

_T = TypeVar("_T")
log = logging.getLogger(__name__)
_BLOCKING = ThreadPoolExecutor(8, thread_name_prefix="rma-blocking")


class _Request(greenlet):
    """A greenlet running one request's code; its parent is the loop's task serving it."""


async def run(work: Callable[..., _T], *arguments: Any) -> _T:
    """``work(*arguments)`` in a greenlet of this thread, in a copy of the caller's context;
    each ``wait`` it makes is awaited here, on the loop."""
    child = _Request(work, getcurrent())
    child.gr_context = contextvars.copy_context()  # who acts in the request goes along
    asked = child.switch(*arguments)
    while not child.dead:
        try:
            answer = await asked
        except BaseException:
            asked = child.throw(*sys.exc_info())
        else:
            asked = child.switch(answer)
    return asked  # type: ignore[no-any-return]


def in_request() -> bool:
    """Whether this code runs in a request's greenlet (a wait may give the loop back)."""
    return isinstance(getcurrent(), _Request)


def wait(awaitable: Awaitable[_T]) -> _T:
    """The result of ``awaitable``, awaited by the loop while this request's code waits."""
    current = getcurrent()
    assert isinstance(current, _Request), "wait() outside a request's greenlet"
    assert current.parent is not None  # the loop's task that runs the request
    return current.parent.switch(awaitable)  # type: ignore[no-any-return]


def readable(socket: int) -> None:
    """Until ``socket`` has something to read: on the loop in a request, else blocking."""
    if not in_request():
        select.select([socket], [], [])
        return
    loop = asyncio.get_running_loop()
    ready = loop.create_future()
    loop.add_reader(socket, ready.set_result, None)
    try:
        wait(ready)
    finally:
        loop.remove_reader(socket)


def blocking(work: Callable[..., _T], *arguments: Any) -> _T:
    """``work(*arguments)``, which waits on something but the database, off the loop."""
    if not in_request():
        return work(*arguments)
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return wait(loop.run_in_executor(_BLOCKING, context.run, work, *arguments))


async def watch_stalls(threshold: float, every: float = 0.05) -> None:
    """Log each time the loop was held ``threshold`` seconds or more past a timer of
    ``every``: a request's code that blocked on something but the database, a connection
    opened, a long stretch of Python. Runs until cancelled."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + every
        await asyncio.sleep(every)
        late = loop.time() - due
        if late >= threshold:
            log.warning("the event loop was held %.0f ms: its requests waited as long", late * 1000)


class Connection(psycopg.Connection[Any]):
    """psycopg's connection, whose waits for the server give the loop back in a request."""

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if not in_request():
            return super().wait(gen, interval, timeout)
        return wait(waiting.wait_async(gen, self.pgconn.socket, interval, timeout))
