"""Every seller-owned table can be distributed by seller: ``seller_id`` is in each of its keys.

A distributed PostgreSQL (Citus) splits a table into shards by one column and can enforce a
primary key, a unique key or a foreign key only when it holds that column, matched to the
same column on the other side. This reads the migrated schema (not the ORM's idea of it) and
names every table that breaks the rule. Tables without ``seller_id`` must be listed below
with the reason they are not the seller's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import (
    Column,
    Engine,
    ForeignKeyConstraint,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    create_engine,
    inspect,
    text,
)

from rma.bootstrap import Container

# Tables without seller_id: the platform's own.
PLATFORM_TABLES = {
    "alembic_version": "the schema's revision",
    "sellers": "the distribution root: a seller's key is its id, the value others hold",
    "staff_sessions": "a desk sign-in, found by its cookie before any seller is known",
    "idempotency_keys": "scoped by the caller's key (its seller inside the scope string)",
    "audit_holds": "one row: since when live rows are held to the audit trail",
}

# Tables with seller_id that are found by a platform-wide value before the seller is known:
# in a distributed deployment they are reference tables, copied whole to every node (they are
# small and written rarely), so their platform-wide unique keys keep working.
REFERENCE_TABLES = {
    "api_keys": "found by the secret's hash; platform keys have no seller",
    "customer_sessions": "found by the customer's cookie",
    "amazon_credentials": "found by the Login-with-Amazon client id and refresh token",
    "amazon_access_tokens": "found by the access token's hash",
    "portal_settings": "a shop handle names one seller across the platform",
}

# SQLite numbers rows only for a one-column INTEGER PRIMARY KEY: these tables keep it there
# (SQLite is never distributed); PostgreSQL holds them to the rule like every other.
SQLITE_ROW_NUMBERED = {
    "order_lines",
    "shipment_items",
    "return_history",
    "webhook_attempts",
    "tracking_events",
    "return_flags",
    "inventory_movements",
}


def key_problems(engine: Engine) -> list[str]:
    """What keeps the schema behind ``engine`` from being distributed by seller."""
    schema = inspect(engine)
    tables = set(schema.get_table_names()) - _partitions(engine)
    owned = {t for t in tables if "seller_id" in _columns(schema, t)}
    problems = [
        f"{table}: no seller_id, and not a listed platform table"
        for table in sorted(tables - owned - set(PLATFORM_TABLES))
    ]
    for table in sorted(owned - set(REFERENCE_TABLES)):
        key = schema.get_pk_constraint(table)["constrained_columns"]
        row_numbered = engine.dialect.name == "sqlite" and table in SQLITE_ROW_NUMBERED
        if "seller_id" not in key and not row_numbered:
            problems.append(f"{table}: primary key {key} lacks seller_id")
        uniques: list[list[Any]] = [u["column_names"] for u in schema.get_unique_constraints(table)]
        uniques += [i["column_names"] for i in schema.get_indexes(table) if i["unique"]]
        problems += [
            f"{table}: unique key {columns} lacks seller_id"
            for columns in uniques
            if "seller_id" not in columns
        ]
        for fk in schema.get_foreign_keys(table):
            if fk["referred_table"] not in owned - set(REFERENCE_TABLES):
                continue
            pairs = dict(zip(fk["constrained_columns"], fk["referred_columns"], strict=True))
            if pairs.get("seller_id") != "seller_id":
                problems.append(
                    f"{table}: foreign key {fk['constrained_columns']} to {fk['referred_table']}"
                    " does not match seller_id to seller_id"
                )
    return problems


def _columns(schema: Any, table: str) -> set[str]:
    return {column["name"] for column in schema.get_columns(table)}


def _partitions(engine: Engine) -> set[str]:
    """PostgreSQL's partitions, which take their keys from their parent."""
    if engine.dialect.name != "postgresql":
        return set()
    with engine.connect() as connection:
        query = "SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'"
        return set(connection.execute(text(query)).scalars())


def test_every_seller_owned_table_keeps_seller_id_in_its_keys(backend: Container) -> None:
    assert key_problems(backend.engine) == []


def test_the_listed_exceptions_are_still_what_they_say(backend: Container) -> None:
    schema = inspect(backend.engine)
    tables = set(schema.get_table_names())
    assert set(PLATFORM_TABLES) | set(REFERENCE_TABLES) <= tables
    assert not [t for t in PLATFORM_TABLES if "seller_id" in _columns(schema, t)]
    assert all("seller_id" in _columns(schema, t) for t in REFERENCE_TABLES)


def _owned(metadata: MetaData, name: str, *extra: Any) -> Table:
    return Table(
        name,
        metadata,
        Column("id", String, primary_key=True),
        Column("seller_id", String, primary_key=True),
        *extra,
    )


def _unkeyed(metadata: MetaData) -> None:
    Table("notes", metadata, Column("id", String, primary_key=True), Column("seller_id", String))


def _globally_unique(metadata: MetaData) -> None:
    _owned(metadata, "notes", Column("code", String), UniqueConstraint("code"))


def _referring_by_id_alone(metadata: MetaData) -> None:
    _owned(metadata, "books")
    _owned(
        metadata,
        "notes",
        Column("book_id", String),
        UniqueConstraint("seller_id", "book_id"),
        ForeignKeyConstraint(["book_id"], ["books.id"]),
    )


def _without_seller(metadata: MetaData) -> None:
    Table("notes", metadata, Column("id", String, primary_key=True))


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (_unkeyed, "notes: primary key ['id'] lacks seller_id"),
        (_globally_unique, "notes: unique key ['code'] lacks seller_id"),
        (
            _referring_by_id_alone,
            "notes: foreign key ['book_id'] to books does not match seller_id to seller_id",
        ),
        (_without_seller, "notes: no seller_id, and not a listed platform table"),
    ],
)
def test_a_table_that_breaks_the_rule_is_named(
    make: Callable[[MetaData], None], problem: str
) -> None:
    engine = create_engine("sqlite://")
    metadata = MetaData()
    make(metadata)
    metadata.create_all(engine)
    assert key_problems(engine) == [problem]
