"""The least a Python server on rma's stack can spend on a request's statements: the floor.

``bench returns`` judges rma's HTTP path against pgbench running the request's statements
from C. This is the same comparison from Python: a bare ASGI app (no framework, no domain,
no ORM) served by the same uvicorn, that for ``POST /<operation>`` with ``{"n": N}`` sends
the statements of that operation's pgbench script (``bench.sql_capture``) through libpq as
psycopg exposes it, prepared once a connection (as ``pgbench -M prepared``), on a pooled
connection, all in one pipeline (one round trip: fewer than any real request can make), and
answers their rows, loaded by psycopg, as JSON. What it spends in CPU a request is what HTTP,
JSON and the driver cost for those statements, before any work of rma's own: a goal below it
cannot be met by any code on this stack and this machine. ``POST /<operation>/each`` sends
them a round trip each, as pgbench does: the difference is what the round trips cost.

Served by uvicorn as ``bench.floor:app_from_environment`` (a factory): ``RMA_BENCH_FLOOR_URL``
is the database (a libpq URL), ``RMA_BENCH_FLOOR_SCRIPTS`` a JSON object of operation to
script path.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any

import psycopg
from psycopg.adapt import Transformer
from psycopg.pq import ExecStatus
from starlette.types import Receive, Scope, Send

_COPY = re.compile(r"(?<!:):n\b")  # pgbench's copy number; ``::text`` is a cast
POOL = 16  # connections a process opens at most, one a client at once
_INT8 = 20  # the copy number's type, as pgbench binds it
EACH = "each"  # ``POST /<operation>/each``: a round trip a statement


def statements(script: str) -> list[bytes]:
    """The script's statements in order, ``:n`` made parameter ``$1`` (meta lines out)."""
    found = []
    for line in script.splitlines():
        line = line.strip()
        if line and not line.startswith("\\"):
            found.append(_COPY.sub("$1", line).rstrip(";").encode())
    return found


class Floor:
    """ASGI app: each operation's statements for a copy number, and ``/healthz``."""

    def __init__(self, url: str, scripts: dict[str, list[bytes]]) -> None:
        self.url = url
        self.scripts = scripts
        self.idle: asyncio.LifoQueue[psycopg.Connection[Any]] = asyncio.LifoQueue()
        self.opened = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/healthz":
            await _answer(send, 200, {"status": "ok"})
            return
        name, _, trips = scope["path"].strip("/").partition("/")
        if name not in self.scripts or trips not in ("", EACH):
            await _answer(send, 404, {"error": "no such operation"})
            return
        rows = await self.run(name, int(json.loads(body)["n"]), each=trips == EACH)
        await _answer(send, 200, {"rows": rows})

    async def run(self, name: str, n: int, each: bool = False) -> list[list[Any]]:
        """The operation's statements for copy ``n``, their rows: all in one pipeline, or
        ``each`` in a round trip of its own, as pgbench sends them."""
        connection = await self._connection()
        pgconn, value = connection.pgconn, [str(n).encode()]
        statements = range(len(self.scripts[name]))
        trips = [[index] for index in statements] if each else [list(statements)]
        try:
            results = []
            for trip in trips:
                pgconn.enter_pipeline_mode()
                for index in trip:
                    pgconn.send_query_prepared(f"{name}_{index}".encode(), value)
                pgconn.pipeline_sync()
                results += await _pipeline_results(pgconn)
                pgconn.exit_pipeline_mode()
            rows = [_rows(connection, result) for result in results]
        except BaseException:
            self.opened -= 1  # in a failed transaction, perhaps: not for the next request
            connection.close()
            raise
        self.idle.put_nowait(connection)
        return rows

    async def _connection(self) -> psycopg.Connection[Any]:
        if not (self.idle.empty() and self.opened < POOL):
            return await self.idle.get()
        self.opened += 1  # opened and prepared on the loop, as a warm-up request
        connection = psycopg.Connection.connect(self.url, autocommit=True)
        for name, script in self.scripts.items():
            for index, statement in enumerate(script):
                _check(connection.pgconn.prepare(f"{name}_{index}".encode(), statement, [_INT8]))
        connection.pgconn.nonblocking = 1
        return connection


async def _pipeline_results(pgconn: Any) -> list[Any]:
    """Every statement's result up to the pipeline's sync, waiting on the loop."""
    loop = asyncio.get_running_loop()
    while pgconn.flush():
        await _ready(loop, loop.add_writer, loop.remove_writer, pgconn.socket)
    results = []
    while True:
        while pgconn.is_busy():
            await _ready(loop, loop.add_reader, loop.remove_reader, pgconn.socket)
            pgconn.consume_input()
        result = pgconn.get_result()
        if result is None:  # the end of one statement's results
            continue
        if result.status == ExecStatus.PIPELINE_SYNC:
            return results
        results.append(_check(result))


async def _ready(loop: Any, add: Any, remove: Any, socket: int) -> None:
    ready = loop.create_future()
    add(socket, ready.set_result, None)
    try:
        await ready
    finally:
        remove(socket)


def _rows(connection: psycopg.Connection[Any], result: Any) -> list[Any]:
    if result.status != ExecStatus.TUPLES_OK:
        return []
    loader = Transformer(connection)
    loader.set_pgresult(result)
    return loader.load_rows(0, result.ntuples, tuple)


def _check(result: Any) -> Any:
    if result.status not in (ExecStatus.TUPLES_OK, ExecStatus.COMMAND_OK):
        raise RuntimeError(result.error_message.decode(errors="replace"))
    return result


async def _answer(send: Send, status: int, document: Any) -> None:
    body = json.dumps(document, default=str, separators=(",", ":")).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def app_from_environment() -> Floor:
    paths = json.loads(os.environ["RMA_BENCH_FLOOR_SCRIPTS"])
    scripts = {name: statements(Path(path).read_text()) for name, path in paths.items()}
    return Floor(os.environ["RMA_BENCH_FLOOR_URL"], scripts)
