"""Engines for the embedded SQLite file and for PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from rma.adapters import lane


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and write-serializing transactions."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"timeout": 30, "check_same_thread": False}, **options
        )
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    options.setdefault("pool_size", 20)
    options.setdefault("max_overflow", 20)
    # No ping before each checkout: it cost every request two round trips. A connection the
    # server dropped fails its request with 503 (retry), and SQLAlchemy then discards every
    # pooled connection made before, so one request per process sees a restart.
    options.setdefault("pool_recycle", 1800)
    if "options" not in parsed.query:
        # No parallel workers for a query: rma's reads are pages that stop at a LIMIT, and
        # starting workers cost them more than they saved (a search's index lookup, 2 ms of
        # work, took 18 ms behind a Gather at load 3 on 2 cores; docs/operations.md,
        # "Indexes for reads"). ``?options=-c max_parallel_workers_per_gather=2`` in the
        # URL gives them back. Times in UTC, as rma keeps them: psycopg then reads each
        # into a datetime already in UTC, where a server's zone (Debian's is "Etc/UTC")
        # had every one converted (8% of the CPU of a page of 50 returns).
        connect_args = {"options": "-c max_parallel_workers_per_gather=0 -c TimeZone=UTC"}
        options["connect_args"] = {**connect_args, **options.get("connect_args", {})}
    if make_url(url).get_driver_name() == "psycopg":
        # psycopg prepares no statement of its own: it would drop every prepared statement
        # of the connection (``DEALLOCATE ALL``) at each rollback, those rma prepares for
        # its busiest statements too (``driver_rows``), which are then kept for the
        # connection's life.
        options["connect_args"] = {"prepare_threshold": None, **options.get("connect_args", {})}
        engine = create_engine(url, **options)
        # Its connections' waits give the event loop back in a request served on it.
        event.listen(engine, "do_connect", _lane_connection)
        return engine
    return create_engine(url, **options)


def _lane_connection(dialect: Any, record: Any, cargs: Any, cparams: Any) -> lane.Connection:
    return lane.Connection.connect(*cargs, **cparams)


def make_session_factory(engine: Engine, *, read_only: bool = False) -> sessionmaker[Session]:
    """Sessions over ``engine``; ``read_only`` ones run each statement on its own.

    A read-only session opens no transaction: a lookup costs one round trip instead of
    BEGIN, the query and ROLLBACK, and on SQLite it does not queue for the write lock.
    """
    if read_only:
        # SQLite's sessions are already in autocommit as far as the driver knows (see
        # _sqlite_on_connect); there, read-only only means no BEGIN IMMEDIATE.
        option = (
            {"rma_read_only": True}
            if engine.dialect.name == "sqlite"
            else {"isolation_level": "AUTOCOMMIT"}
        )
        bound = engine.execution_options(**option)
        return sessionmaker(bound, expire_on_commit=False, autoflush=False)
    # Objects stay readable after commit: entrypoints render what a use case returned.
    return sessionmaker(engine, expire_on_commit=False)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, say when transactions begin (see _sqlite_begin_immediate).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    # Take the write lock at the start, so two read-then-write transactions queue up
    # instead of the second failing (or both deciding on the same stale read).
    if connection.get_execution_options().get("rma_read_only"):
        return  # a read-only session: each statement on its own, no lock
    connection.exec_driver_sql("BEGIN IMMEDIATE")
