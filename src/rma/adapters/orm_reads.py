"""Indexes for reading returns as data grows: the filtered queue, and search by any part.

The queue's are plain B-trees, on both backends. Search matches any part of a value in any
case (``lower(column) LIKE '%term%'``), which no B-tree can answer. On PostgreSQL, trigram
GIN indexes (``pg_trgm``) over the same ``lower(column)`` expressions answer it; SQLite has
none and scans. Which index serves which read, and why: docs/operations.md, "Indexes for
reads".
"""

from __future__ import annotations

from sqlalchemy import Column, Index, func

from rma.adapters.orm import orders, return_items, returns

# The filtered queue, each chosen from EXPLAIN ANALYZE at 1M returns (docs/operations.md):
# a status tab in either order of creation, without walking past the other statuses;
Index(
    "ix_returns_seller_id_status_created_at",
    returns.c.seller_id,
    returns.c.status,
    returns.c.created_at,
)
# the "recently updated" sorts, which otherwise sort every return the filter keeps, for the
# whole queue and for a status tab (which would walk past the other statuses, 0017);
Index("ix_returns_seller_id_updated_at", returns.c.seller_id, returns.c.updated_at)
Index(
    "ix_returns_seller_id_status_updated_at",
    returns.c.seller_id,
    returns.c.status,
    returns.c.updated_at,
)
# a SKU or a reason filter: each item holds its return's creation time (0016), so a page
# sorted by creation walks these newest (or oldest) first and stops when it is full.
Index(
    "ix_return_items_seller_id_sku_return_created_at",
    return_items.c.seller_id,
    return_items.c.sku,
    return_items.c.return_created_at,
    return_items.c.return_id,
)
Index(
    "ix_return_items_seller_id_reason_code_return_created_at",
    return_items.c.seller_id,
    return_items.c.reason_code,
    return_items.c.return_created_at,
    return_items.c.return_id,
)

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
