"""Monthly partitions of the append-only tables: make the coming months, drop expired ones.

On PostgreSQL the return history, the outbox, webhook deliveries and their attempts, carrier
events and inventory movements are partitioned by month on their time (migration 0012). A
due job keeps partitions made a few months ahead, so rows never pile up in the DEFAULT
partition, and drops the months that are wholly past a table's retention: dropping a
partition is instant and leaves no dead rows, where a DELETE of a month would not be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in UTC, the span of one partition."""

    year: int
    month: int

    @classmethod
    def of(cls, moment: datetime) -> Month:
        utc = moment.astimezone(UTC)
        return cls(utc.year, utc.month)

    def plus(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    @property
    def start(self) -> datetime:
        return datetime(self.year, self.month, 1, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        return self.plus(1).start


@dataclass(frozen=True)
class PartitionedTable:
    """A table partitioned by month, and which retention setting applies to it."""

    name: str
    column: str  # the time its rows are partitioned by
    retention: str  # the Settings field giving the months kept (0: kept forever)
    keep_while: str = ""  # SQL condition: a partition with a row matching it is never dropped


PARTITIONED_TABLES = (
    PartitionedTable("return_history", "at", "retention_history_months"),
    # An event is not delivered until the worker fanned it out (processed_at); with a
    # broker it also waits to be published.
    PartitionedTable(
        "outbox", "occurred_at", "retention_outbox_months", keep_while="processed_at IS NULL"
    ),
    PartitionedTable(
        "webhook_deliveries",
        "created_at",
        "retention_webhook_deliveries_months",
        keep_while="status = 'pending'",
    ),
    PartitionedTable("webhook_attempts", "at", "retention_webhook_deliveries_months"),
    PartitionedTable("tracking_events", "occurred_at", "retention_carrier_events_months"),
    PartitionedTable("inventory_movements", "created_at", "retention_inventory_movements_months"),
)


class PartitionStore(Protocol):
    """Where the partitions are: listed, made and dropped (PostgreSQL)."""

    def months(self, table: PartitionedTable) -> list[Month]: ...

    def make(self, table: PartitionedTable, month: Month) -> None:
        """Make the month's partition, moving its rows out of the DEFAULT partition."""

    def drop(self, table: PartitionedTable, month: Month, keep_while: str) -> bool:
        """Drop the month's partition unless a row matches ``keep_while``; answer if dropped."""

    def delete_before(self, table: PartitionedTable, cutoff: datetime, keep_while: str) -> int:
        """Delete the DEFAULT partition's rows older than ``cutoff``; answer how many."""


@dataclass(frozen=True)
class PartitionPolicy:
    """How far ahead to make months, and how many past months each table keeps."""

    months_ahead: int
    retention: dict[str, int]  # table name -> months kept before this one (0: forever)
    awaiting_broker: bool = False  # outbox events also wait to be published


@dataclass
class PartitionReport:
    """What one run made, dropped, and kept back from dropping."""

    made: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # expired, but still holding undelivered rows
    rows_deleted: int = 0  # expired rows of the DEFAULT partitions


def maintain_partitions(
    store: PartitionStore,
    policy: PartitionPolicy,
    now: datetime,
    tables: Sequence[PartitionedTable] = PARTITIONED_TABLES,
) -> PartitionReport:
    """Make each table's months through ``months_ahead``; drop months past its retention."""
    report = PartitionReport()
    this_month = Month.of(now)
    for table in tables:
        existing = set(store.months(table))
        for ahead in range(policy.months_ahead + 1):
            month = this_month.plus(ahead)
            if month not in existing:
                store.make(table, month)
                report.made.append(_name(table, month))
        kept_months = policy.retention.get(table.name, 0)
        if kept_months <= 0:
            continue
        # Kept: the month in progress and the ``kept_months`` before it, in full.
        cutoff = this_month.plus(-kept_months)
        keep_while = _keep_while(table, policy)
        for month in sorted(m for m in existing if m.end <= cutoff.start):
            dropped = store.drop(table, month, keep_while)
            (report.dropped if dropped else report.kept).append(_name(table, month))
        report.rows_deleted += store.delete_before(table, cutoff.start, keep_while)
    return report


def _keep_while(table: PartitionedTable, policy: PartitionPolicy) -> str:
    if table.name == "outbox" and policy.awaiting_broker:
        return "processed_at IS NULL OR published_at IS NULL"
    return table.keep_while


def _name(table: PartitionedTable, month: Month) -> str:
    return partition_name(table.name, month)


def partition_name(table: str, month: Month) -> str:
    """The name of a table's partition for ``month`` (as migration 0012 names them)."""
    return f"{table}_p{month.year:04d}_{month.month:02d}"
