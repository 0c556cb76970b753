"""One statement over many rows: a JSON document on PostgreSQL, executemany elsewhere.

A statement is written once over the columns of a row set. On PostgreSQL the rows travel as
one JSON document that ``json_to_recordset`` turns back into typed rows, so ten thousand rows
are one parameter and one statement the server plans once; SQLite, in process, runs the
statement once per row.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    DateTime,
    Dialect,
    Executable,
    Table,
    Text,
    TypeDecorator,
    any_,
    bindparam,
    cast,
    column,
    func,
    insert,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeEngine

Columns = Mapping[str, ColumnElement[Any]]


def execute_for_rows(
    connection: Connection,
    table: Table,
    rows: Sequence[Mapping[str, Any]],
    statement: Callable[[Columns], Executable],
) -> int:
    """Run ``statement`` for every row of ``rows``; answer how many rows it matched.

    Each row maps names of ``table``'s columns (whose types convert the values) to values;
    ``statement`` gets one column per name to build on.
    """
    if not rows:
        return 0
    types = {name: table.c[name].type for name in rows[0]}
    if connection.dialect.name == "postgresql":
        return _as_json(connection, types, rows, statement)
    columns = {name: bindparam(f"rows_{name}", type_=kind) for name, kind in types.items()}
    by_row = [{f"rows_{name}": value for name, value in row.items()} for row in rows]
    return _rowcount(connection.execute(statement(columns), by_row))


def one_of(connection: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> Any:
    """``column IN values``; on PostgreSQL one array, not a parameter per value."""
    if connection.dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def _as_json(
    connection: Connection,
    types: Mapping[str, TypeEngine[Any]],
    rows: Sequence[Mapping[str, Any]],
    statement: Callable[[Columns], Executable],
) -> int:
    converters = {
        name: _json_converter(kind, connection.dialect)
        for name, kind in types.items()
        if isinstance(kind, TypeDecorator | DateTime)
    }
    if converters:
        rows = [
            {name: converters[name](v) if name in converters else v for name, v in row.items()}
            for row in rows
        ]
    table = (
        func.json_to_recordset(cast(bindparam("rows", json.dumps(rows), type_=Text), JSON))
        .table_valued(*[column(name, kind) for name, kind in types.items()])
        .render_derived(name="rows", with_types=True)
    )
    columns = {name: table.c[name] for name in types}
    return _rowcount(connection.execute(statement(columns)))


def _json_converter(kind: TypeEngine[Any], dialect: Dialect) -> Callable[[Any], Any]:
    """How a value of ``kind`` goes into the JSON document: as it would be bound, as text."""
    process = kind.process_bind_param if isinstance(kind, TypeDecorator) else None

    def convert(value: Any) -> Any:
        if process is not None:
            value = process(value, dialect)  # our own types: UTC times, addresses
        return value.isoformat() if isinstance(value, datetime) else value

    return convert


def _rowcount(result: Any) -> int:
    return int(result.rowcount)


def insert_into(table: Table) -> Callable[[Columns], Executable]:
    """A statement for ``execute_for_rows`` that inserts each row into ``table``."""

    def statement(row: Columns) -> Executable:
        return insert(table).from_select(list(row), select(*row.values()))

    return statement
