"""PostgreSQL keeps the append-only tables in monthly partitions, made ahead and dropped late.

The job makes the coming months, moves early rows out of the DEFAULT partition, drops months
wholly past a table's retention with their rows, and never drops an outbox month that still
holds an event not yet delivered. SQLite keeps plain tables (the job does nothing there).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, text

from rma.adapters import orm
from rma.adapters.partitions import PostgresPartitions
from rma.bootstrap import Container
from rma.domain.ids import new_id
from rma.services.clock import utcnow
from rma.services.partitions import (
    PARTITIONED_TABLES,
    Month,
    PartitionPolicy,
    maintain_partitions,
    partition_name,
)
from rma.worker import maintain_partitions_now

pytestmark = pytest.mark.postgres_only

OUTBOX = next(t for t in PARTITIONED_TABLES if t.name == "outbox")


def _event(seller_id: str, at: datetime, *, processed: bool) -> dict[str, Any]:
    return {
        "id": new_id("evt"),
        "seller_id": seller_id,
        "event_type": "return.requested",
        "aggregate_id": new_id("ret"),
        "payload": {},
        "occurred_at": at,
        "processed_at": at if processed else None,
    }


def _add_events(container: Container, *rows: dict[str, Any]) -> None:
    with container.engine.begin() as connection:
        connection.execute(insert(orm.outbox), list(rows))


def _where(container: Container, event_id: str) -> str:
    """The partition holding the outbox event."""
    with container.engine.connect() as connection:
        query = "SELECT tableoid::regclass::text FROM outbox WHERE id = :id"
        return str(connection.execute(text(query), {"id": event_id}).scalar_one())


def _page(container: Container, seller_id: str) -> list[str]:
    with container.uow() as uow:
        return [e.id for e in uow.outbox.page(seller_id, event_type=None, after=None, limit=50)]


def test_every_append_only_table_is_partitioned_by_month_after_migrating(
    container: Container,
) -> None:
    this_month = Month.of(utcnow())
    store = PostgresPartitions(container.engine)
    with container.engine.connect() as connection:
        kinds: dict[str, str] = dict(
            connection.execute(
                text("SELECT relname, relkind FROM pg_class WHERE relname = ANY(:names)"),
                {"names": [t.name for t in PARTITIONED_TABLES]},
            ).all()
        )
        defaults = set(
            connection.execute(
                text(
                    "SELECT relname FROM pg_class WHERE relispartition AND relname LIKE '%default'"
                )
            ).scalars()
        )
    for table in PARTITIONED_TABLES:
        assert kinds[table.name] == "p", table.name
        assert f"{table.name}_default" in defaults
        assert {this_month.plus(n) for n in range(4)} <= set(store.months(table)), table.name


def test_a_row_past_the_months_made_waits_in_default_then_moves_into_its_month(
    container: Container,
) -> None:
    far = utcnow() + timedelta(days=3 * 365)
    event = _event("sel_a", far, processed=False)
    _add_events(container, event, _event("sel_b", utcnow(), processed=False))
    assert _where(container, event["id"]) == "outbox_default"

    PostgresPartitions(container.engine).make(OUTBOX, Month.of(far))

    assert _where(container, event["id"]) == partition_name("outbox", Month.of(far))
    assert _page(container, "sel_a") == [event["id"]]  # and a seller still sees only its own


def test_the_job_makes_coming_months_and_drops_expired_ones_but_not_undelivered_events(
    container: Container,
) -> None:
    store = PostgresPartitions(container.engine)
    now = utcnow()
    this_month = Month.of(now)
    delivered_month, waiting_month = this_month.plus(-20), this_month.plus(-19)
    for month in (delivered_month, waiting_month):
        if month not in store.months(OUTBOX):
            store.make(OUTBOX, month)
    # An earlier test's worker may already have made months ahead in this database.
    for month in (this_month.plus(4), this_month.plus(5)):
        if month in store.months(OUTBOX):
            store.drop(OUTBOX, month, keep_while="")
    old = _event("sel_a", delivered_month.start + timedelta(days=3), processed=True)
    waiting = _event("sel_a", waiting_month.start + timedelta(days=3), processed=False)
    delivered_too = _event("sel_a", waiting_month.start + timedelta(days=4), processed=True)
    recent = _event("sel_a", now, processed=True)
    _add_events(container, old, waiting, delivered_too, recent)

    policy = PartitionPolicy(months_ahead=5, retention={"outbox": 13})
    report = maintain_partitions(store, policy, now, [OUTBOX])

    assert partition_name("outbox", delivered_month) in report.dropped
    assert partition_name("outbox", waiting_month) in report.kept
    assert {partition_name("outbox", this_month.plus(n)) for n in (4, 5)} <= set(report.made)
    assert delivered_month not in store.months(OUTBOX)
    assert set(_page(container, "sel_a")) == {waiting["id"], delivered_too["id"], recent["id"]}

    # Once the worker has delivered it, the month goes on the next run.
    with container.engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET processed_at = occurred_at"))
    again = maintain_partitions(store, policy, now, [OUTBOX])
    assert again.dropped == [partition_name("outbox", waiting_month)]
    assert _page(container, "sel_a") == [recent["id"]]


def test_expired_rows_of_the_default_partition_go_too(container: Container) -> None:
    store = PostgresPartitions(container.engine)
    now = utcnow()
    # Older than any month the migration made: they sit in the DEFAULT partition.
    ancient = datetime(2001, 5, 1, tzinfo=UTC)
    gone = _event("sel_a", ancient, processed=True)
    undelivered = _event("sel_a", ancient, processed=False)
    _add_events(container, gone, undelivered)

    report = maintain_partitions(
        store, PartitionPolicy(months_ahead=0, retention={"outbox": 13}), now, [OUTBOX]
    )

    assert report.rows_deleted == 1
    assert _page(container, "sel_a") == [undelivered["id"]]


def test_history_is_kept_forever_unless_the_operator_says_otherwise(container: Container) -> None:
    report = maintain_partitions_now(container)

    assert report is not None
    assert not [name for name in report.dropped if name.startswith("return_history")]
    assert container.settings.retention_history_months == 0
