"""The reads every request runs, sent by the database driver itself.

Around one small statement SQLAlchemy's path (execution context, result object, events)
costs 0.15 to 0.2 ms of CPU on a 2-core server, four times what psycopg takes to send a
prepared statement and read its row; a return request runs several such reads (its API key,
the seller's settings, the order and its shipments). A ``DriverQuery`` compiles its statement
once per dialect, sends it on the session's own connection, inside its transaction, as
psycopg's prepared statement (as ``pgbench -M prepared`` does), and converts the columns as
SQLAlchemy would (its own type processors: dates on SQLite, decrypted secrets).

When something listens to the statements a connection sends (the benchmark records them
to replay them in pgbench), the query goes the usual way instead, as the same SQL.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

_Processors = Sequence[tuple[int, Callable[[Any], Any]]]  # (column index, its conversion)


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: Sequence[str]  # the parameters in order, for a positional driver (SQLite)
    defaults: Mapping[str, Any]  # values the statement carries itself (a LIMIT)
    binds: Mapping[str, Callable[[Any], Any]]
    results: _Processors
    positional: bool
    prepare: bool


class DriverQuery:
    """One SELECT of fixed shape (no expanding ``IN``), rows as named tuples."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        self.row = namedtuple("row", list(statement.selected_columns.keys()))  # type: ignore[misc]
        self._by_dialect: dict[str, _Compiled] = {}

    def all(self, session: Session, params: Mapping[str, Any]) -> list[Any]:
        connection = session.connection()
        if connection.dispatch.before_cursor_execute:
            return [self.row(*row) for row in connection.execute(self.statement, params)]
        dialect = connection.dialect
        compiled = self._by_dialect.get(dialect.name) or self._compile(dialect)
        values = {**compiled.defaults, **params}
        for name, process in compiled.binds.items():
            values[name] = process(values[name])
        cursor: Any = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            if compiled.positional:
                cursor.execute(compiled.sql, [values[name] for name in compiled.names])
            elif compiled.prepare:
                cursor.execute(compiled.sql, values, prepare=True)
            else:
                cursor.execute(compiled.sql, values)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if compiled.results:
            fetched = [_converted(row, compiled.results) for row in fetched]
        return [self.row(*row) for row in fetched]

    def first(self, session: Session, params: Mapping[str, Any]) -> Any | None:
        rows = self.all(session, params)
        return rows[0] if rows else None

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self.statement.compile(dialect=dialect)
        binds = {}
        for name, bind in compiled.binds.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                binds[name] = process
        results = []
        for index, column in enumerate(self.statement.selected_columns):
            process = column.type.dialect_impl(dialect).result_processor(dialect, None)
            if process is not None:
                results.append((index, process))
        made = _Compiled(
            sql=str(compiled),
            names=tuple(compiled.positiontup or ()),
            defaults={k: v for k, v in compiled.params.items() if v is not None},
            binds=binds,
            results=tuple(results),
            positional=dialect.positional,
            prepare=dialect.driver == "psycopg",
        )
        self._by_dialect[dialect.name] = made
        return made


def _converted(row: Sequence[Any], results: _Processors) -> list[Any]:
    values = list(row)
    for index, process in results:
        values[index] = process(values[index])
    return values
