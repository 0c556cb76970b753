"""The statements every request runs, sent by the database driver itself.

Around one small statement SQLAlchemy's path (execution context, result object, events)
costs 0.15 to 0.2 ms of CPU on a 2-core server, four times what psycopg takes to send a
prepared statement and read its row; a return request runs several such statements (its API
key, the seller's settings, the order and its shipments, the return's rows, its outbox).
Each statement here (``DriverQuery``, ``DriverInsert``, ``DriverUpdate``,
``DriverStatement``) is compiled once per dialect, sent on the session's own connection,
inside its transaction, its parameters and columns converted as SQLAlchemy would (its own
type processors: dates on SQLite, decrypted secrets).

On PostgreSQL a statement is prepared once per connection and executed by libpq itself
(``_Prepared``), as ``pgbench -M prepared`` does: psycopg's cursor around one small
statement (its query parsing, prepared-statement bookkeeping, result object) cost twice
what libpq's call and psycopg's own conversion of the parameters and rows cost.

When something listens to the statements a connection sends (the benchmark records them
to replay them in pgbench), the statement goes through SQLAlchemy instead, as the same SQL.
"""

from __future__ import annotations

import re
import select
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, NoReturn

from psycopg import IsolationLevel, pq
from psycopg import errors as pg_errors
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy import BindParameter, Column, Select, Table, and_, bindparam, event, insert, update
from sqlalchemy.engine import Connection, Dialect, Engine
from sqlalchemy.exc import DBAPIError, InvalidRequestError
from sqlalchemy.orm import Session

from rma.adapters import audit_log, lane

_Processors = Sequence[tuple[int, Callable[[Any], Any]]]  # (column index, its conversion)
_Rows = Sequence[Mapping[str, Any]]  # values by column name
_ONE_BY_ONE = 4  # rows an INSERT sends one at a time rather than as a batch
_VALUES_AT_ONCE = 16  # rows one INSERT ... VALUES carries (PostgreSQL, nothing answered)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: Sequence[str]  # the parameters in order, for a positional driver (SQLite)
    defaults: Mapping[str, Any]  # every parameter, with the values the statement carries (a LIMIT)
    binds: Mapping[str, Callable[[Any], Any]]
    results: _Processors
    positional: bool
    prepare: bool
    numbered: bytes | None  # PostgreSQL: the SQL with $1, $2 ... for libpq (``_Prepared``)
    order: tuple[str, ...] = ()  # the parameters of ``numbered``, in order
    formats: tuple[PyFormat, ...] = ()  # how each is dumped: as psycopg's cursor dumps them


@dataclass(frozen=True)
class _Answer:
    rows: list[Any]
    rowcount: int


class DriverQuery:
    """One SELECT of fixed shape (no expanding ``IN``), rows as named tuples."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.row = namedtuple("row", list(statement.selected_columns.keys()), rename=True)  # type: ignore[misc]
        self._by_dialect: dict[str, _Compiled] = {}

    def all(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        if session.info.get(_AHEAD):  # something was asked ahead in this session
            found = _asked_ahead(session).pop((self, _key(params)), None)
            if found is not None:
                return found
        connection = session.connection()
        if connection.dispatch.before_cursor_execute:
            return [self.row(*row) for row in connection.execute(self.statement, params)]
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
        return self._rows(_sent(connection, compiled, _bound(params, compiled)).rows, compiled)

    def fresh(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        """The rows now, whatever was read ahead for these parameters (``keep_ahead``)."""
        if session.info.get(_AHEAD):
            _asked_ahead(session).pop((self, _key(params)), None)
        return self.all(session, params)

    def first(self, session: Session, params: Mapping[str, Any]) -> Any | None:
        rows = self.all(session, params)
        return rows[0] if rows else None

    def _rows(self, fetched: list[Any], compiled: _Compiled) -> list[Any]:
        if compiled.results:
            fetched = [_converted(row, compiled.results) for row in fetched]
        return [self.row(*row) for row in fetched]

    def first_alone(self, session: Session, params: Mapping[str, Any]) -> Any | None:
        """The first row, read on a pooled connection of its own, outside any transaction.

        For a lookup every request makes before its work (signing in), whose session would
        otherwise be opened for it alone: the session, its connection's checkout with its
        isolation level set and reset, and closing it cost five times the statement.
        """
        engine = session.get_bind()
        if not isinstance(engine, Engine):  # a session bound to a connection reads in it
            return self.first(session, params)
        if engine.dispatch.before_cursor_execute:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                found = connection.execute(self.statement, params).first()
            return None if found is None else self.row(*found)
        dialect = engine.dialect
        compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
        values = _bound(params, compiled)
        try:
            pooled = engine.raw_connection()
        except dialect.loaded_dbapi.Error as error:  # as ``engine.connect()`` raises it
            Connection._handle_dbapi_exception_noconnection(error, dialect, engine)
        try:
            fetched = _sent_on(pooled, compiled, values, begin=False).rows
        except dialect.loaded_dbapi.Error as error:
            _raise_alone_as_sqlalchemy(engine, pooled, error, compiled.sql, values)
        finally:
            pooled.close()
        rows = self._rows(fetched[:1], compiled)
        return rows[0] if rows else None

    def _compile(self, dialect: Dialect) -> _Compiled:
        results = []
        for index, column in enumerate(self.statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
        made = _compiled(self.statement, dialect, tuple(results))
        self._by_dialect[dialect.name] = made
        return made


def read_together(
    session: Session, reads: Sequence[tuple[DriverQuery, Mapping[str, Any]]]
) -> list[list[Any]]:
    """Each query's rows, the queries sent together: one round trip on PostgreSQL.

    Every round trip costs the API's thread a wake-up besides the call (30-60 us of CPU
    under load, most of it in the first Python it runs with cold caches); libpq's pipeline
    sends the statements at once and PostgreSQL runs each as it would alone. Elsewhere (and
    when something listens to the statements) they go one by one.
    """
    if session.info.get(_AHEAD):  # asked ahead together, they are answered together
        kept = _asked_ahead(session)
        if all((query, _key(params)) in kept for query, params in reads):
            return [kept.pop((query, _key(params))) for query, params in reads]
    connection = session.connection()
    dialect = connection.dialect
    if connection.dispatch.before_cursor_execute:
        return [query.all(session, params) for query, params in reads]
    compiled = [q._by_dialect.get(dialect.name) or q._compile(dialect) for q, _params in reads]
    sent = [(c, _bound(params, c)) for c, (_query, params) in zip(compiled, reads, strict=True)]
    answers = _pipelined(connection, sent)
    if answers is None:
        return [query.all(session, params) for query, params in reads]
    return [
        query._rows(answer.rows, c)
        for (query, _params), c, answer in zip(reads, compiled, answers, strict=True)
    ]


def ask_ahead(session: Session, reads: Sequence[tuple[DriverQuery, Mapping[str, Any]]]) -> None:
    """Send ``reads`` together now, for the use case that asks for each of them next.

    Each query's ``all`` with the same parameters then answers from what was read, once, in
    the same transaction: a return request's reason codes, products, SKU policies and
    earlier returns cost one round trip instead of four. For reads asked before anything is
    written: what the transaction writes in between is not in them.
    """
    answers = read_together(session, reads)  # begins the transaction they are kept for
    for (query, params), rows in zip(reads, answers, strict=True):
        keep_ahead(session, query, params, rows)


def keep_ahead(
    session: Session, query: DriverQuery, params: Mapping[str, Any], rows: list[Any]
) -> None:
    """Keep ``rows``, which ``query`` read with ``params`` in the session's transaction (in
    a pipeline of other reads), for its next ``all`` with them (see ``ask_ahead``)."""
    _asked_ahead(session)[(query, _key(params))] = rows


def _asked_ahead(session: Session) -> dict[tuple[DriverQuery, Any], list[Any]]:
    """The rows read ahead in the session's transaction, by query and parameters.

    The transaction is held weakly: it holds the session, whose ``info`` holds this, and a
    cycle would leave each request's session, transaction and connection to the cyclic
    collector (some 40 objects a request; its pass over them stalled a process for 25-45 ms
    every few seconds, the p99 of its requests).
    """
    transaction = session.get_transaction()
    if transaction is None:  # none begun yet: nothing read ahead is for it
        return {}
    kept = session.info.get(_AHEAD)
    if kept is None or kept[0]() is not transaction:
        kept = session.info[_AHEAD] = (weakref.ref(transaction), {})
    return kept[1]


def _key(params: Mapping[str, Any]) -> Any:
    return tuple(sorted(params.items()))


_AHEAD = "rma_asked_ahead"


def insert_together(
    session: Session, inserts: Sequence[tuple[DriverInsert, _Rows]]
) -> list[list[Any]]:
    """Each insert's answer (as ``DriverInsert.rows``), their statements sent together.

    The rows of a new return, its items and its history entries are written one after the
    other with nothing to wait for between them: on PostgreSQL their statements go in one
    libpq pipeline, one round trip instead of one a table and one a history entry. The
    first error stops the rest, as it would one by one. Elsewhere (and when something
    listens to the statements) each insert is sent on its own.
    """
    connection = session.connection()
    plans = [writer._planned(connection.dialect, rows) if rows else [] for writer, rows in inserts]
    sent = [statement for plan in plans if plan is not None for statement in plan]
    together = None if None in plans else _pipelined(connection, sent)
    if together is None:
        return [writer.rows(session, rows) for writer, rows in inserts]
    _audited(connection, inserts)
    return _per_insert(inserts, plans, together)


def ride_together(
    session: Session,
    inserts: Sequence[tuple[DriverInsert, _Rows]],
    answered: Callable[[list[list[Any]]], None],
) -> bool:
    """``insert_together``'s statements held to go with the transaction's next round trip
    (``ride``), ``answered`` told what each insert answers then; False (nothing held) where
    they cannot be."""
    connection = session.connection()
    plans = [writer._planned(connection.dialect, rows) if rows else [] for writer, rows in inserts]
    if None in plans:
        return False
    sent = [statement for plan in plans if plan is not None for statement in plan]

    def told(answers: list[_Answer]) -> None:
        answered(_per_insert(inserts, plans, answers))

    if not ride(connection, sent, told):
        return False
    _audited(connection, inserts)
    return True


def _per_insert(
    inserts: Sequence[tuple[DriverInsert, _Rows]],
    plans: Sequence[Sequence[Any] | None],
    answers: Sequence[_Answer],
) -> list[list[Any]]:
    """What each insert answers (its generated column, row by row), from its statements'."""
    left = iter(answers)
    answered = []
    for (writer, _rows), plan in zip(inserts, plans, strict=True):
        theirs = [next(left) for _ in plan or ()]
        answered.append([a.rows[0][0] for a in theirs] if writer.returning is not None else [])
    return answered


def _audited(connection: Connection, inserts: Sequence[tuple[DriverInsert, _Rows]]) -> None:
    for writer, rows in inserts:
        if rows:
            audit_log.inserted(connection, writer.table, rows)


class DriverQueryAmong:
    """A ``DriverQuery`` whose statement takes a list (``column IN (...)``).

    SQLAlchemy expands such a list when it sends the statement; here each length the list
    comes in has its statement compiled once, and a list longer than ``CHUNK`` is asked in
    chunks (their rows are told apart by the list's own values, so they only add up).
    """

    CHUNK = 32

    def __init__(self, make: Callable[[list[BindParameter[Any]]], Select[Any]], name: str):
        self.make = make
        self.name = name
        self._by_length: dict[int, DriverQuery] = {}

    def all(self, session: Session, params: Mapping[str, Any], among: Iterable[Any]) -> list[Any]:
        return [
            row for query, named in self.asks(params, among) for row in query.all(session, named)
        ]

    def asks(
        self, params: Mapping[str, Any], among: Iterable[Any]
    ) -> list[tuple[DriverQuery, dict[str, Any]]]:
        """The statements ``all`` sends, each with its parameters (``ask_ahead`` takes them).

        The list's values in order, so that the same values make the same statements.
        """
        values = sorted(set(among))
        asks = []
        for start in range(0, len(values), self.CHUNK):
            chunk = values[start : start + self.CHUNK]
            query = self._by_length.get(len(chunk)) or self._made(len(chunk))
            named = {f"{self.name}_{n}": value for n, value in enumerate(chunk)}
            asks.append((query, {**params, **named}))
        return asks

    def _made(self, length: int) -> DriverQuery:
        query = DriverQuery(self.make([bindparam(f"{self.name}_{n}") for n in range(length)]))
        self._by_length[length] = query
        return query


class DriverInsert:
    """Whole rows of one table, inserted by the driver; the audit trail is told of them.

    Optionally answers one generated column of each row (``returning``), in the rows' order.
    """

    def __init__(self, table: Table, returning: Column[Any] | None = None) -> None:
        self.table = table
        self.returning = returning
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}
        self._values: dict[tuple[str, tuple[str, ...], int], _Compiled] = {}

    def rows(
        self, session: Session, rows: _Rows, *, audited: bool = True, riding: bool = False
    ) -> list[Any]:
        """Insert ``rows``; ``audited=False``: the caller tells the trail of them itself;
        ``riding``: sent with the next statement of the transaction, in its round trip
        (``ride``), if they can be (PostgreSQL, answering nothing)."""
        if not rows:
            return []
        connection = session.connection()
        dialect = connection.dialect
        names = tuple(rows[0])
        compiled = self._compiled.get((dialect.name, names)) or self._compile(dialect, names)
        sent = [_bound(row, compiled) for row in rows]
        planned = self._plan(dialect, compiled, sent) if riding and not self.returning else None
        if planned is not None and ride(connection, planned):
            if audited:
                audit_log.inserted(connection, self.table, rows)
            return []
        if connection.dispatch.before_cursor_execute:
            answered = self._sent_where_seen(connection, compiled, sent)
        else:
            answered = self._send(connection, compiled, sent)
        if audited:
            audit_log.inserted(connection, self.table, rows)
        return answered

    def objects(
        self,
        session: Session,
        objects: Sequence[object],
        keys: Mapping[str, Any] | None = None,
        *,
        audited: bool = True,
        riding: bool = False,
    ) -> list[Any]:
        """Insert the rows ``objects`` hold (all but a generated ``pk``), ``keys`` set on each."""
        return self.rows(session, self.rows_of(objects, keys), audited=audited, riding=riding)

    def rows_of(
        self, objects: Sequence[object], keys: Mapping[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """The rows ``objects`` hold (all but a generated ``pk``), ``keys`` set on each."""
        given = dict(keys or {})
        names = [c.name for c in self.table.c if c.name != "pk" and c.name not in given]
        return [{**{name: getattr(obj, name) for name in names}, **given} for obj in objects]

    def _planned(self, dialect: Dialect, rows: _Rows) -> list[tuple[_Compiled, Any]] | None:
        """``_plan`` for ``rows`` as given (``insert_together``)."""
        names = tuple(rows[0])
        compiled = self._compiled.get((dialect.name, names)) or self._compile(dialect, names)
        return self._plan(dialect, compiled, [_bound(row, compiled) for row in rows])

    def _plan(
        self, dialect: Dialect, compiled: _Compiled, rows: list[Any]
    ) -> list[tuple[_Compiled, Any]] | None:
        """On PostgreSQL, the statements for ``rows`` (converted already), each with its
        values; None where they go otherwise (elsewhere, or many rows: ``executemany``).

        A few rows answering nothing go in one INSERT of as many VALUES (prepared once for
        that many), each round trip being a wake-up of the API's thread and the backend.
        Otherwise a few rows go a statement at a time, more in one psycopg ``executemany``:
        its pipeline's machinery costs more than it saves for the one history entry or the
        two items of a request.
        """
        if not compiled.prepare:
            return None
        if self.returning is None and 1 < len(rows) <= _VALUES_AT_ONCE:
            names = tuple(rows[0])
            at_once = self._values_statement(dialect, names, len(rows))
            values = {f"{name}_{n}": row[name] for n, row in enumerate(rows) for name in names}
            return [(at_once, values)]
        if len(rows) > _ONE_BY_ONE:
            return None
        return [(compiled, row) for row in rows]

    def _send(self, connection: Connection, compiled: _Compiled, rows: list[Any]) -> list[Any]:
        planned = self._plan(connection.dialect, compiled, rows)
        if planned is not None:
            answers = [_sent(connection, statement, values) for statement, values in planned]
            return [a.rows[0][0] for a in answers] if self.returning is not None else []
        if len(rows) > _ONE_BY_ONE and (self.returning is None or compiled.prepare):
            try:
                return self._many(connection, compiled, rows)
            except connection.dialect.loaded_dbapi.Error as error:
                _raise_as_sqlalchemy(connection, error, compiled.sql, rows)
        answered = []
        for row in rows:
            sent = _sent(connection, compiled, row)
            if self.returning is not None:
                answered.append(sent.rows[0][0])
        return answered

    def _sent_where_seen(
        self, connection: Connection, compiled: _Compiled, rows: list[Any]
    ) -> list[Any]:
        """The same SQL sent through SQLAlchemy, whose statement events a recorder watches."""
        params = [row if isinstance(row, dict) else tuple(row) for row in rows]
        if self.returning is None:
            connection.exec_driver_sql(compiled.sql, params)
            return []
        return [connection.exec_driver_sql(compiled.sql, row).scalar_one() for row in params]

    def _values_statement(self, dialect: Dialect, names: tuple[str, ...], count: int) -> _Compiled:
        """One ``INSERT`` of ``count`` rows of ``names``, its parameters ``name_n``."""
        key = (dialect.name, names, count)
        compiled = self._values.get(key)
        if compiled is None:
            many = [
                {name: bindparam(f"{name}_{n}", type_=self.table.c[name].type) for name in names}
                for n in range(count)
            ]
            compiled = self._values[key] = _compiled(insert(self.table).values(many), dialect)
        return compiled

    def _many(self, connection: Connection, compiled: _Compiled, rows: list[Any]) -> list[Any]:
        _send_riding(connection)  # what waits to ride goes first: the cursor cannot take it
        with _cursor(connection.connection.dbapi_connection) as cursor:
            if self.returning is None:
                cursor.executemany(compiled.sql, rows)
                return []
            cursor.executemany(compiled.sql, rows, returning=True)
            answered = [cursor.fetchone()[0]]
            while cursor.nextset():
                answered.append(cursor.fetchone()[0])
            return answered

    def _compile(self, dialect: Dialect, names: tuple[str, ...]) -> _Compiled:
        statement = insert(self.table).values({name: bindparam(name) for name in names})
        if self.returning is not None:
            statement = statement.returning(self.returning)
        made = _compiled(statement, dialect)
        self._compiled[(dialect.name, names)] = made
        return made


class DriverStatement:
    """One statement of fixed shape (an ``INSERT ... SELECT``, writes chained in a ``WITH``).

    ``execute`` sends it; ``first`` also answers its first row, as the driver gives it.
    """

    def __init__(self, statement: Any) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def execute(
        self,
        connection: Connection,
        params: Mapping[str, Any],
        *,
        commit: bool = False,
        before: Sequence[Before] = (),
    ) -> None:
        """Send it; ``commit``: the transaction's last statement, its ``COMMIT`` sent along;
        ``before``: statements to send first, each told its first row.

        On PostgreSQL they all go in one libpq pipeline: a round trip costs the API's thread
        a wake-up (see ``read_together``), and psycopg's commit its Python. The first that
        fails stops the rest, the ``COMMIT`` too. The owner of the transaction commits it as
        usual after; the driver finds it ended then (psycopg sends nothing for a connection
        outside a transaction). Where the driver cannot (SQLite, a listener recording
        statements) they are sent one by one, and nothing commits.
        """
        if commit or before:
            sent = [ahead.statement.bound(connection.dialect, ahead.params) for ahead in before]
            sent.append(self.bound(connection.dialect, params))
            answers = _pipelined(connection, sent, commit=commit)
            if answers is not None:
                for ahead, answer in zip(before, answers, strict=False):
                    ahead.answered(answer.rows[0] if answer.rows else None)
                return
        send_each(connection, before)
        self._send(connection, params, answer=False)

    def bound(self, dialect: Dialect, params: Mapping[str, Any]) -> tuple[_Compiled, Any]:
        """The statement for ``dialect`` and its parameters, as the driver sends them."""
        compiled = self._compiled_for(dialect)
        return compiled, _bound(params, compiled)

    def first(self, connection: Connection, params: Mapping[str, Any]) -> Any:
        return self._send(connection, params, answer=True)

    def _send(self, connection: Connection, params: Mapping[str, Any], answer: bool) -> Any:
        if connection.dispatch.before_cursor_execute:
            result = connection.execute(self.statement, params)
            return tuple(result.one()) if answer else None
        compiled = self._compiled_for(connection.dialect)
        rows = _sent(connection, compiled, _bound(params, compiled)).rows
        return (rows[0] if rows else None) if answer else None

    def _compiled_for(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = _compiled(self.statement, dialect)
        return compiled


@dataclass(frozen=True)
class Before:
    """A statement sent ahead of another in its round trip (``DriverStatement.execute``),
    and what is done with its first row (None if it answers none)."""

    statement: DriverStatement
    params: Mapping[str, Any]
    answered: Callable[[Any], None]


def send_each(connection: Connection, before: Sequence[Before]) -> None:
    """Each statement sent alone, and told its first row (``DriverStatement.execute``
    where they cannot go together)."""
    for ahead in before:
        ahead.answered(ahead.statement.first(connection, ahead.params))


class DriverUpdate:
    """UPDATEs of one row of a table by its key, of whichever columns changed.

    ``where`` names the columns the row is found by (its key, and a version to check);
    ``rowcount`` answers how many rows matched, so a caller can tell a stale version.
    """

    def __init__(self, table: Table, where: Sequence[str]) -> None:
        self.table = table
        self.where = tuple(where)
        self._compiled: dict[tuple[str, tuple[str, ...]], _Compiled] = {}

    def rowcount(
        self, session: Session, values: Mapping[str, Any], where: Mapping[str, Any]
    ) -> int:
        connection = session.connection()
        params = {**values, **{f"where_{name}": where[name] for name in self.where}}
        names = tuple(values)
        if connection.dispatch.before_cursor_execute:
            return connection.execute(self._statement(names), params).rowcount
        dialect = connection.dialect
        compiled = self._compiled.get((dialect.name, names)) or self._compile(dialect, names)
        return _sent(connection, compiled, _bound(params, compiled)).rowcount

    def _statement(self, names: tuple[str, ...]) -> Any:
        c = self.table.c
        found = and_(*(c[name] == bindparam(f"where_{name}") for name in self.where))
        return update(self.table).where(found).values({name: bindparam(name) for name in names})

    def _compile(self, dialect: Dialect, names: tuple[str, ...]) -> _Compiled:
        made = _compiled(self._statement(names), dialect)
        self._compiled[(dialect.name, names)] = made
        return made


def _compiled(statement: Any, dialect: Dialect, results: _Processors = ()) -> _Compiled:
    compiled = statement.compile(dialect=dialect)
    sql = str(compiled)
    prepare = dialect.driver == "psycopg"
    numbered, order = _numbered(sql) if prepare else (None, ())
    return _Compiled(
        sql=sql,
        names=tuple(compiled.positiontup or ()),
        defaults=dict(compiled.params),
        binds=_bind_processors(compiled, dialect),
        results=results,
        positional=dialect.positional,
        prepare=prepare,
        numbered=numbered,
        order=order,
        formats=(PyFormat.AUTO,) * len(order),
    )


_PLACEHOLDER = re.compile(r"%\(([^)]+)\)s|%%")


def _numbered(sql: str) -> tuple[bytes, tuple[str, ...]]:
    """psycopg's ``%(name)s`` placeholders as libpq's ``$1``: one number a name."""
    order: dict[str, int] = {}

    def number(found: re.Match[str]) -> str:
        if found.group(0) == "%%":
            return "%"
        name = found.group(1)
        return f"${order.setdefault(name, len(order) + 1)}"

    return _PLACEHOLDER.sub(number, sql).encode(), tuple(order)


def _sent(connection: Connection, compiled: _Compiled, values: Any) -> _Answer:
    """The statement sent on the session's connection: its rows, and the rows it touched."""
    if connection.info.get(_RIDING):
        answers = _pipelined(connection, [(compiled, values)])
        assert answers is not None  # only a connection that pipelines holds rides
        return answers[0]
    try:
        # The pool's connection, whose ``info`` lives as long as it.
        return _sent_on(connection.connection, compiled, values, begin=True)
    except connection.dialect.loaded_dbapi.Error as error:
        _raise_as_sqlalchemy(connection, error, compiled.sql, values)


def _pipelined(
    connection: Connection, sent: Sequence[tuple[_Compiled, Any]], *, commit: bool = False
) -> list[_Answer] | None:
    """Each statement's answer, all sent in one libpq pipeline on the session's connection
    (``commit``: the transaction's ``COMMIT`` after them); None where they cannot be (SQLite,
    psycopg preparing statements of its own, a listener recording statements)."""
    if connection.dispatch.before_cursor_execute:
        return None
    riding: list[_Ride] = connection.info.get(_RIDING) or []
    held = held_statements(connection)
    prepared = _prepared_of(connection.connection, [c for c, _ in (*held, *sent)])
    if prepared is None:
        return None
    sent = [*held, *sent]
    connection.info.pop(_RIDING, None)  # sent now, or failed with the transaction
    try:
        answers = prepared.send_together(sent, commit=commit)
    except connection.dialect.loaded_dbapi.Error as error:
        sql = "; ".join(compiled.sql for compiled, _ in sent)
        _raise_as_sqlalchemy(connection, error, sql, [values for _, values in sent])
    start = 0
    for held_ride in riding:
        end = start + len(held_ride.planned)
        if held_ride.answered is not None:
            held_ride.answered(answers[start:end])
        start = end
    return answers[len(held) :]


def held_statements(connection: Connection) -> list[tuple[_Compiled, Any]]:
    """The statements ``ride`` holds for the connection's next round trip, in order."""
    riding: list[_Ride] = connection.info.get(_RIDING) or []
    return [statement for held in riding for statement in held.planned]


@dataclass(frozen=True)
class _Ride:
    """Statements held by ``ride``, and what is done with their answers once sent."""

    planned: Sequence[tuple[_Compiled, Any]]
    answered: Callable[[list[_Answer]], None] | None


def ride(
    connection: Connection,
    planned: Sequence[tuple[_Compiled, Any]],
    answered: Callable[[list[_Answer]], None] | None = None,
) -> bool:
    """Hold statements to go ahead of the transaction's next one, in its round trip, and
    tell ``answered`` their answers then; False (nothing held) where they cannot (not
    pipelined).

    An inspection's flags and stock movements, a new return's rows: nothing in the request
    waits for them, and each was a round trip of its own. Held, they go with the next
    statement sent on the connection, the driver's (``_pipelined``, ``_sent``) or
    SQLAlchemy's (an engine listener sends them first), at the latest the commit's. A
    failure among them raises where they are sent, and stops what follows them there, as
    it would have alone; a rollback forgets them.
    """
    if connection.dispatch.before_cursor_execute:
        return False
    if _prepared_of(connection.connection, [compiled for compiled, _ in planned]) is None:
        return False
    engine = connection.engine
    if engine not in _riding_engines:
        _riding_engines.add(engine)
        event.listen(engine, "before_execute", _send_riding)
        event.listen(engine, "commit", _send_riding)
        event.listen(engine, "rollback", _forget_riding)
        event.listen(engine.pool, "checkin", _forget_given_back)
    connection.info.setdefault(_RIDING, []).append(_Ride(planned, answered))
    return True


def _send_riding(connection: Connection, *_args: Any) -> None:
    """What waits to ride, sent alone: SQLAlchemy sends a statement of its own next."""
    if connection.info.get(_RIDING):
        _pipelined(connection, [])


def _forget_riding(connection: Connection) -> None:
    try:
        connection.info.pop(_RIDING, None)
    except InvalidRequestError:  # the connection was lost: the pool forgets it whole
        return


def _forget_given_back(_dbapi: Any, record: Any, *_state: Any) -> None:
    record.info.pop(_RIDING, None)  # a connection given back to the pool holds nothing


_RIDING = "rma_riding"  # in the pooled connection's info: statements held by ``ride``
_riding_engines: weakref.WeakSet[Engine] = weakref.WeakSet()


def _raise_alone_as_sqlalchemy(
    engine: Engine, pooled: Any, error: Exception, sql: str, values: Any
) -> NoReturn:
    """``_raise_as_sqlalchemy`` for a statement sent on a pooled connection of its own."""
    dialect = engine.dialect
    dropped = dialect.is_disconnect(error, pooled.dbapi_connection, None)  # type: ignore[arg-type]
    if dropped:
        engine.pool._invalidate(pooled, error)  # it, and every connection made before it
    raise DBAPIError.instance(
        sql,
        values,
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dropped,
        dialect=dialect,
    ) from error


def _raise_as_sqlalchemy(
    connection: Connection, error: Exception, sql: str, values: Any
) -> NoReturn:
    """The driver's error raised as SQLAlchemy raises it from an execution of its own.

    An ``IntegrityError`` the unit of work answers as a conflict, an ``OperationalError``
    the API answers 503; a connection the database dropped is invalidated, and every one
    the pool made before it is replaced at its next checkout.
    """
    connection._handle_dbapi_exception(error, sql, values, None, None)


def _sent_on(pooled: Any, compiled: _Compiled, values: Any, *, begin: bool) -> _Answer:
    """The statement sent on a pooled connection; ``begin``: in a transaction (PostgreSQL)."""
    prepared = _prepared_of(pooled, [compiled])
    if prepared is not None:
        return prepared.send(compiled, values, begin=begin)
    with _cursor(pooled.dbapi_connection) as cursor:
        if compiled.prepare:  # psycopg preparing statements of its own (not rma's engines)
            cursor.execute(compiled.sql, values, prepare=True)
        else:
            cursor.execute(compiled.sql, values)
        return _Answer(cursor.fetchall() if cursor.description else [], cursor.rowcount)


def _prepared_of(pooled: Any, compiled: Sequence[_Compiled]) -> _Prepared | None:
    """The pooled connection's statements prepared by libpq (made at its first), or None
    where the driver's cursor sends ``compiled`` (SQLite; psycopg preparing its own)."""
    dbapi: Any = pooled.dbapi_connection
    if any(c.numbered is None for c in compiled) or dbapi.prepare_threshold is not None:
        return None
    prepared: _Prepared | None = pooled.info.get(_Prepared)  # lives as long as the connection
    if prepared is None:
        prepared = pooled.info[_Prepared] = _Prepared(dbapi, Transformer(dbapi))
    return prepared


_ROWS, _DONE, _IDLE = pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK, pq.TransactionStatus.IDLE
_BAD, _SYNC = pq.ConnStatus.BAD, pq.ExecStatus.PIPELINE_SYNC


@dataclass
class _Statement:
    """A prepared statement's name, and the loaders of its columns, chosen once.

    Its columns' types are the same at every execution, so psycopg's choice of a loader for
    each (a lookup by type and format a column) is made at the first, not at every one.
    """

    name: bytes
    loader: Any  # a Transformer of the connection, its loaders set by the first result
    chosen: bool = False

    def rows(self, result: Any) -> list[Any]:
        self.loader.set_pgresult(result, set_loaders=not self.chosen)
        self.chosen = True
        return self.loader.load_rows(0, result.ntuples, tuple)  # type: ignore[no-any-return]


def _answered(statement: _Statement, result: Any) -> _Answer:
    """A statement's rows, or (answering none) how many rows it touched."""
    if result.status != _ROWS:
        return _Answer([], int(result.command_tuples or 0))
    return _Answer(statement.rows(result), result.ntuples)


@dataclass
class _Prepared:
    """One psycopg connection's statements, prepared by libpq under names of rma's own.

    psycopg's connection stays in charge of the transaction: a statement outside one begins
    it as psycopg would (its isolation level), so psycopg's commit and rollback end it. An
    error is psycopg's own (``psycopg.errors``; a lost connection an ``OperationalError``, as
    its cursor says it), which ``_sent`` raises as SQLAlchemy would. Rows are converted by
    psycopg's loaders of the connection, as its cursor's are.
    """

    connection: Any
    transformer: Any  # dumps every statement's parameters
    statements: dict[tuple[bytes, tuple[int, ...]], _Statement] = field(default_factory=dict)

    def send(self, compiled: _Compiled, values: Mapping[str, Any], *, begin: bool) -> _Answer:
        if begin and self._outside_transaction():
            # The transaction's BEGIN and its first statement in one round trip, not two.
            return self.send_together([(compiled, values)])[0]
        if lane.in_request():  # libpq's own call would block the loop: its pipeline waits on it
            return self.send_together([(compiled, values)], begin=False)[0]
        tx = self.transformer
        params = tx.dump_sequence([values[name] for name in compiled.order], compiled.formats)
        statement = self._statement(compiled)
        result = self.connection.pgconn.exec_prepared(statement.name, params, tx.formats)
        return _answered(statement, self._check(result))

    def send_together(
        self,
        sent: Sequence[tuple[_Compiled, Mapping[str, Any]]],
        *,
        commit: bool = False,
        begin: bool = True,
    ) -> list[_Answer]:
        """Each statement's answer, the statements sent in one libpq pipeline; ``commit``:
        the transaction's ``COMMIT`` after them, in the same round trip; ``begin``: in a
        transaction, begun first if there is none.

        The pipeline stops at its first error: the statements after it and the ``COMMIT``
        are not run, and the transaction is left failed, for its owner to roll back.
        """
        pgconn, tx = self.connection.pgconn, self.transformer
        begin = begin and self._outside_transaction()
        calls = []
        for compiled, values in sent:  # each prepared first, if new, outside the pipeline
            params = tx.dump_sequence([values[name] for name in compiled.order], compiled.formats)
            calls.append((self._statement(compiled), params, list(tx.formats)))
        pgconn.enter_pipeline_mode()
        try:
            if begin:
                pgconn.send_query_params(self._begin(), None)
            for statement, params, formats in calls:
                pgconn.send_query_prepared(statement.name, params, formats)
            if commit:
                pgconn.send_query_params(b"COMMIT", None)
            pgconn.pipeline_sync()
            results = self._pipeline_results()
        finally:
            if pgconn.status != _BAD:
                pgconn.exit_pipeline_mode()
        for result in results:  # the first error, as the statements one by one would raise it
            self._check(result)
        answers = results[1 : len(calls) + 1] if begin else results[: len(calls)]
        return [
            _answered(statement, result)
            for (statement, _params, _formats), result in zip(calls, answers, strict=True)
        ]

    def _statement(self, compiled: _Compiled) -> _Statement:
        assert compiled.numbered is not None
        key = (compiled.numbered, tuple(self.transformer.types or ()))
        statement = self.statements.get(key)
        if statement is None:
            name = f"rma_{len(self.statements)}".encode()
            pgconn, types = self.connection.pgconn, self.transformer.types
            if lane.in_request():  # libpq's own call would block the loop
                pgconn.send_prepare(name, compiled.numbered, types)
                self._check(self._result())
            else:
                self._check(pgconn.prepare(name, compiled.numbered, types))
            statement = self.statements[key] = _Statement(name, Transformer(self.connection))
        return statement

    def _pipeline_results(self) -> list[Any]:
        """Every result up to the pipeline's sync."""
        self._flush()
        results: list[Any] = []
        while True:
            result = self._next_result()
            if result is None:  # the end of one statement's results
                continue
            if result.status == _SYNC:
                return results
            results.append(result)

    def _result(self) -> Any:
        """The result of the one statement sent."""
        self._flush()
        last = None
        while (result := self._next_result()) is not None:
            last = result
        return last

    def _next_result(self) -> Any:
        """libpq's next result (None at the end of a statement's), waiting on the socket
        without the GIL (in a request on the event loop, letting the loop serve others:
        ``lane.readable``)."""
        pgconn = self.connection.pgconn
        while pgconn.is_busy():
            lane.readable(pgconn.socket)
            pgconn.consume_input()
        return pgconn.get_result()

    def _flush(self) -> None:
        """Send what the socket did not take yet (a non-blocking connection)."""
        pgconn = self.connection.pgconn
        while pgconn.flush():
            select.select([pgconn.socket], [pgconn.socket], [])
            pgconn.consume_input()

    def _outside_transaction(self) -> bool:
        """Whether a statement now would run on its own, where psycopg would begin one."""
        connection = self.connection
        return connection.pgconn.transaction_status == _IDLE and not connection.autocommit

    def _begin(self) -> bytes:
        # The statement psycopg itself begins a transaction with (its isolation level).
        connection, parts = self.connection, [b"BEGIN"]
        if connection.isolation_level is not None:
            level = IsolationLevel(connection.isolation_level).name.replace("_", " ")
            parts.append(b"ISOLATION LEVEL " + level.encode())
        if connection.read_only is not None:
            parts.append(b"READ ONLY" if connection.read_only else b"READ WRITE")
        if connection.deferrable is not None:
            parts.append(b"DEFERRABLE" if connection.deferrable else b"NOT DEFERRABLE")
        return b" ".join(parts)

    def _check(self, result: Any) -> Any:
        if result.status not in (_ROWS, _DONE):
            if self.connection.pgconn.status == _BAD:  # lost: as psycopg's cursor says it
                raise pg_errors.OperationalError(result.error_message.decode(errors="replace"))
            raise pg_errors.error_from_result(result, encoding=self.connection.info.encoding)
        return result


@contextmanager
def _cursor(dbapi: Any) -> Iterator[Any]:
    """A cursor of the driver's own connection, in the session's transaction."""
    cursor: Any = dbapi.cursor()
    try:
        yield cursor
    finally:
        cursor.close()


def _bind_processors(compiled: Any, dialect: Dialect) -> dict[str, Callable[[Any], Any]]:
    """Each parameter's conversion, by the name the compiled statement gives it."""
    processors: dict[str, Callable[[Any], Any]] = {}
    for bind, name in compiled.bind_names.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return processors


def _bound(params: Mapping[str, Any], compiled: _Compiled) -> Any:
    """The parameters as the driver takes them: converted, and in order if positional."""
    values = {**compiled.defaults, **params}
    for name, process in compiled.binds.items():
        values[name] = process(values[name])
    return [values[name] for name in compiled.names] if compiled.positional else values


def _converted(row: Sequence[Any], results: _Processors) -> list[Any]:
    values = list(row)
    for index, process in results:
        values[index] = process(values[index])
    return values
