"""Indexes for reading returns as data grows: the filtered queue, and search by any part.

Search matches any part of a value in any case (``lower(column) LIKE '%term%'``), which no
B-tree can answer. On PostgreSQL, trigram GIN indexes (``pg_trgm``) over the same
``lower(column)`` expressions answer it from the index; SQLite has none and scans. Which
index serves which read, and why, is in docs/operations.md ("Indexes for reads").
"""

from __future__ import annotations

from sqlalchemy import Column, Index, func

from rma.adapters.orm import orders, returns

# What search looks in: the numbers and email on the return, the name on its order.
SEARCHED: tuple[Column[str], ...] = (
    returns.c.rma_number,
    returns.c.order_number,
    returns.c.tracking_number,
    returns.c.customer_email,
    orders.c.customer_name,
)


def _trigram_index(column: Column[str]) -> Index:
    # PostgreSQL only: SQLite has no GIN, and Alembic cannot read expression indexes back
    # from SQLite, so it leaves these out when it compares the schema there.
    label = f"{column.name}_lower"
    return Index(
        f"ix_{column.table.name}_{column.name}_trgm",
        func.lower(column).label(label),
        postgresql_using="gin",
        postgresql_ops={label: "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


TRIGRAM_INDEXES = [_trigram_index(column) for column in SEARCHED]
