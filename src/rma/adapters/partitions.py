"""The monthly partitions of PostgreSQL: listed from the catalogue, made, dropped.

Each change runs in a transaction of its own with a short lock timeout: making or dropping a
partition locks its parent table for an instant, and a job waiting behind a long
transaction must not hold every writer of the table up behind it; it gives up and the next
run tries again.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import Connection, Engine, text

from rma.services.partitions import Month, PartitionedTable, partition_name

LOCK_TIMEOUT = "5s"


class PostgresPartitions:
    """Partitions of one PostgreSQL database, named as migration 0012 names them."""

    def __init__(self, engine: Engine):
        self.engine = engine

    def months(self, table: PartitionedTable) -> list[Month]:
        pattern = re.compile(rf"^{re.escape(table.name)}_p(\d{{4}})_(\d{{2}})$")
        with self.engine.connect() as connection:
            names = connection.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = CAST(:parent AS regclass)"
                ),
                {"parent": table.name},
            ).scalars()
            found = [pattern.match(name) for name in names]
        return [Month(int(m[1]), int(m[2])) for m in found if m]

    def make(self, table: PartitionedTable, month: Month) -> None:
        name, column = partition_name(table.name, month), table.column
        bounds = {"start": month.start, "end": month.end}
        with self.engine.begin() as connection:
            _lock_timeout(connection)
            connection.execute(text(f"CREATE TABLE {name} (LIKE {table.name} INCLUDING DEFAULTS)"))
            # Rows of that month that came before it was made are in the DEFAULT partition,
            # which must hold none of them when the month is attached.
            connection.execute(
                text(
                    f"WITH moved AS (DELETE FROM {table.name}_default"
                    f" WHERE {column} >= :start AND {column} < :end RETURNING *)"
                    f" INSERT INTO {name} SELECT * FROM moved"
                ),
                bounds,
            )
            connection.execute(
                text(
                    f"ALTER TABLE {table.name} ATTACH PARTITION {name}"
                    f" FOR VALUES FROM ('{month.start.isoformat()}') TO ('{month.end.isoformat()}')"
                )
            )

    def drop(self, table: PartitionedTable, month: Month, keep_while: str) -> bool:
        name = partition_name(table.name, month)
        with self.engine.begin() as connection:
            _lock_timeout(connection)
            # Locked first, so no row can change between the look and the drop.
            connection.execute(text(f"LOCK TABLE {name} IN ACCESS EXCLUSIVE MODE"))
            if (
                keep_while
                and connection.execute(
                    text(f"SELECT EXISTS (SELECT 1 FROM {name} WHERE {keep_while})")
                ).scalar_one()
            ):
                return False
            connection.execute(text(f"DROP TABLE {name}"))
        return True

    def delete_before(self, table: PartitionedTable, cutoff: datetime, keep_while: str) -> int:
        condition = f"{table.column} < :cutoff"
        if keep_while:
            condition += f" AND NOT ({keep_while})"
        with self.engine.begin() as connection:
            _lock_timeout(connection)
            deleted = connection.execute(
                text(f"DELETE FROM {table.name}_default WHERE {condition}"), {"cutoff": cutoff}
            )
        return int(deleted.rowcount)


def _lock_timeout(connection: Connection) -> None:
    connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
