"""seller_id in every key, and monthly range partitions for the append-only tables

Every seller-owned table gets ``seller_id`` into its primary key and unique keys, so that
PostgreSQL can be distributed by seller (Citus: a unique key must hold the distribution
column). On PostgreSQL the append-only tables become partitioned by month on their time,
which their keys then hold too; their rows are copied over, and a DEFAULT partition takes
rows outside the months made. SQLite keeps plain tables, and its tables numbered by SQLite's
row id keep that one-column key (SQLite numbers rows only for a one-column INTEGER key).

Revision ID: 0012
Revises: 0009 (to be re-chained after 0011 when merged)
"""

from __future__ import annotations

import warnings
from datetime import UTC, datetime
from typing import NamedTuple

from alembic import op
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# Tables keyed by their own id, which become keyed by it and seller_id.
ID_KEYED = {
    "return_addresses": "id",
    "orders": "id",
    "returns": "id",
    "return_items": "id",
    "analytics_alerts": "id",
    "report_schedules": "id",
    "webhook_endpoints": "id",
    "email_messages": "id",
    "store_sources": "id",
    "refunds": "id",
    "credit_entries": "id",
    "outbound_orders": "id",
    "repair_orders": "id",
    "partners": "id",
    "routing_rules": "id",
    "supplier_rmas": "id",
    "carrier_sources": "id",
    "package_receipts": "id",
    "inspection_photos": "id",
    "audit_entries": "id",
    "audit_checkpoints": "id",
    "used_action_tokens": "token_id",
    "return_risk": "return_id",
}
# Tables numbered by a sequence (SQLite: the row id); PostgreSQL only.
ROW_KEYED = ("order_lines", "shipment_items", "return_flags")

# (table, old unique key, new unique key), outside the partitioned tables.
UNIQUE_KEYS = (
    ("refunds", ("idempotency_key",), ("seller_id", "idempotency_key")),
    (
        "email_messages",
        ("event_id", "audience", "recipient"),
        ("seller_id", "event_id", "audience", "recipient"),
    ),
)

# How far ahead of today the upgrade makes monthly partitions (the due job keeps it so), and
# how far back at most: older rows go to the DEFAULT partition.
MONTHS_AHEAD = 3
MONTHS_BACK_AT_MOST = 36


class Shape(NamedTuple):
    """A table's keys and indexes in one state (before or after this revision)."""

    key: tuple[str, ...]
    unique: tuple[tuple[str, ...], ...] = ()


class Partitioned(NamedTuple):
    """An append-only table, its time column, and what goes on it besides the columns."""

    name: str
    column: str
    before: Shape
    after: Shape
    indexes: tuple[tuple[str, ...], ...] = ()
    # (columns, referred table, referred columns)
    foreign_keys: tuple[tuple[tuple[str, ...], str, tuple[str, ...]], ...] = ()
    sequence: str | None = None  # the sequence numbering ``pk``


PARTITIONED = (
    Partitioned(
        "return_history",
        "at",
        Shape(("pk",)),
        Shape(("pk", "seller_id", "at")),
        indexes=(("seller_id", "return_id"),),
        foreign_keys=((("seller_id", "return_id"), "returns", ("seller_id", "id")),),
        sequence="return_history_pk_seq",
    ),
    Partitioned(
        "outbox",
        "occurred_at",
        Shape(("id",)),
        Shape(("id", "seller_id", "occurred_at")),
        indexes=(("processed_at", "id"), ("published_at", "id")),
    ),
    Partitioned(
        "webhook_deliveries",
        "created_at",
        Shape(("id",), unique=(("endpoint_id", "event_id"),)),
        Shape(
            ("id", "seller_id", "created_at"),
            unique=(("seller_id", "endpoint_id", "event_id", "created_at"),),
        ),
        indexes=(("status", "next_attempt_at"), ("seller_id", "endpoint_id", "id")),
    ),
    Partitioned(
        "webhook_attempts",
        "at",
        Shape(("pk",)),
        Shape(("pk", "seller_id", "at")),
        indexes=(("seller_id", "delivery_id"),),
        sequence="webhook_attempts_pk_seq",
    ),
    Partitioned(
        "tracking_events",
        "occurred_at",
        Shape(("pk",), unique=(("seller_id", "source_id", "event_id"),)),
        Shape(
            ("pk", "seller_id", "occurred_at"),
            unique=(("seller_id", "source_id", "event_id", "occurred_at"),),
        ),
        indexes=(("seller_id", "tracking_number"), ("seller_id", "status", "occurred_at")),
        sequence="tracking_events_pk_seq",
    ),
    Partitioned(
        "inventory_movements",
        "created_at",
        Shape(("pk",), unique=(("seller_id", "item_id", "bucket"),)),
        Shape(
            ("pk", "seller_id", "created_at"),
            unique=(("seller_id", "item_id", "bucket", "created_at"),),
        ),
        indexes=(("seller_id", "sku"), ("seller_id", "created_at")),
        sequence="inventory_movements_pk_seq",
    ),
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _postgres_keys(to_new=True)
        for table in PARTITIONED:
            _rebuild(table, table.after, partitioned=True)
    else:
        _sqlite_keys(to_new=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in PARTITIONED:
            _rebuild(table, table.before, partitioned=False)
        _postgres_keys(to_new=False)
    else:
        _sqlite_keys(to_new=False)


def _uq(table: str, columns: tuple[str, ...]) -> str:
    return f"uq_{table}_{'_'.join(columns)}"


def _postgres_keys(*, to_new: bool) -> None:
    for table, own in ID_KEYED.items():
        _set_key(table, (own, "seller_id") if to_new else (own,))
    for table in ROW_KEYED:
        _set_key(table, ("pk", "seller_id") if to_new else ("pk",))
    for table, old, new in UNIQUE_KEYS:
        drop, add = (old, new) if to_new else (new, old)
        op.execute(
            f"ALTER TABLE {table} DROP CONSTRAINT {_uq(table, drop)},"
            f" ADD CONSTRAINT {_uq(table, add)} UNIQUE ({', '.join(add)})"
        )


def _set_key(table: str, columns: tuple[str, ...]) -> None:
    op.execute(
        f"ALTER TABLE {table} DROP CONSTRAINT pk_{table},"
        f" ADD CONSTRAINT pk_{table} PRIMARY KEY ({', '.join(columns)})"
    )


def _sqlite_keys(*, to_new: bool) -> None:
    string_keyed = dict(ID_KEYED)
    string_keyed.update(outbox="id", webhook_deliveries="id")
    times = {t.name: t.column for t in PARTITIONED}
    for table, own in string_keyed.items():
        key = [own, "seller_id", times[table]] if table in times else [own, "seller_id"]
        with warnings.catch_warnings():
            # SQLAlchemy warns that the copy's key differs from the reflected one: it is meant to.
            warnings.filterwarnings("ignore", "Table '_alembic_tmp_", sa_exc.SAWarning)
            with op.batch_alter_table(table, recreate="always") as batch:
                batch.create_primary_key(f"pk_{table}", key if to_new else [own])
    changes = [*UNIQUE_KEYS]
    changes += [
        (t.name, t.before.unique[0], t.after.unique[0]) for t in PARTITIONED if t.after.unique
    ]
    for table, old, new in changes:
        drop, add = (old, new) if to_new else (new, old)
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(_uq(table, drop), type_="unique")
            batch.create_unique_constraint(_uq(table, add), list(add))


def _rebuild(table: Partitioned, shape: Shape, *, partitioned: bool) -> None:
    """Make ``table`` anew (partitioned by month or plain) with its rows, keys and triggers."""
    bind = op.get_bind()
    name, old = table.name, f"{table.name}_before_0012"
    triggers = list(
        bind.execute(
            text(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger"
                " WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal"
            ),
            {"t": name},
        ).scalars()
    )
    op.execute(f"ALTER TABLE {name} RENAME TO {old}")
    by_month = f" PARTITION BY RANGE ({table.column})" if partitioned else ""
    op.execute(f"CREATE TABLE {name} (LIKE {old} INCLUDING DEFAULTS){by_month}")
    if partitioned:
        oldest = bind.execute(text(f"SELECT min({table.column}) FROM {old}")).scalar()
        for start, end in _months(oldest, datetime.now(UTC)):
            op.execute(
                f"CREATE TABLE {name}_p{start:%Y_%m} PARTITION OF {name}"
                f" FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')"
            )
        op.execute(f"CREATE TABLE {name}_default PARTITION OF {name} DEFAULT")
    op.execute(f"INSERT INTO {name} SELECT * FROM {old}")
    if table.sequence:
        op.execute(f"ALTER SEQUENCE {table.sequence} OWNED BY {name}.pk")
    op.execute(f"DROP TABLE {old}")
    op.execute(f"ALTER TABLE {name} ADD CONSTRAINT pk_{name} PRIMARY KEY ({', '.join(shape.key)})")
    for columns in shape.unique:
        op.execute(
            f"ALTER TABLE {name} ADD CONSTRAINT {_uq(name, columns)} UNIQUE ({', '.join(columns)})"
        )
    for columns in table.indexes:
        op.execute(f"CREATE INDEX ix_{name}_{'_'.join(columns)} ON {name} ({', '.join(columns)})")
    for columns, referred, referred_columns in table.foreign_keys:
        op.execute(
            f"ALTER TABLE {name} ADD CONSTRAINT fk_{name}_{'_'.join(columns)}_{referred}"
            f" FOREIGN KEY ({', '.join(columns)})"
            f" REFERENCES {referred} ({', '.join(referred_columns)})"
        )
    for definition in triggers:
        op.execute(definition)
    op.execute(f"ANALYZE {name}")


def _months(oldest: datetime | None, now: datetime) -> list[tuple[datetime, datetime]]:
    """Month bounds (UTC) from the oldest row's month, or this one, to a few months ahead."""
    first = _month_index(now) - MONTHS_BACK_AT_MOST
    start = max(_month_index(oldest), first) if oldest is not None else _month_index(now)
    last = _month_index(now) + MONTHS_AHEAD
    return [(_month_start(i), _month_start(i + 1)) for i in range(start, last + 1)]


def _month_index(moment: datetime) -> int:
    utc = moment.astimezone(UTC)
    return utc.year * 12 + utc.month - 1


def _month_start(index: int) -> datetime:
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)
