"""The search box of the returns list: any part of a number, an email or a name, any case.

A term is looked for in the RMA, order and tracking numbers and the email of the return,
and in the customer's name on its order, each as ``lower(column) LIKE '%term%'``.

Two shapes of the same test, for the two kinds of term (``SqlReturns.page`` chooses;
docs/operations.md, "Indexes for reads"):

- ``matching_ids``, for a term few returns have: the ids the trigram indexes find
  (``rma.adapters.orm_reads``), from one bitmap over the return's four columns and one
  over the names on orders. Fast while the matches are few; a term in a large share of
  returns ("gmail") makes it fetch every one of them. With their sort keys, a page of
  the search alone names only the returns it can show (``SqlReturns.page``).
- ``matches_row``, for a term many returns have: a test of each row, as the page walks
  the returns in its order. It fills a page quickly when the matches are many, and reads
  every return when they are few.

``looks_broad`` asks PostgreSQL's estimate first, so a term it expects in many returns
skips the lookup.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    Connection,
    Dialect,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    union_all,
)

from rma.adapters import orm

ON_RETURN = ("rma_number", "order_number", "tracking_number", "customer_email")
TRIGRAM = 3  # a shorter term has no trigram for the indexes to look up


def _has(column: Any, term: str) -> Any:
    return func.lower(column).contains(term.lower(), autoescape=True)


def matching_ids(seller_id: str, term: str, *, sorted_by: bool = False) -> CompoundSelect[Any]:
    """The ids of the seller's returns that have ``term``, as the indexes find them; with
    ``sorted_by``, beside each its ``created_at`` and ``updated_at``, which the lookup has
    read already (it rechecks each match on its row)."""
    # Two sets UNIONed rather than an OR with an EXISTS for the name: an EXISTS inside the
    # OR keeps PostgreSQL from using any of the indexes, and it scans every return.
    found, orders = orm.returns.alias("found"), orm.orders
    columns = [found.c.id, *((found.c.created_at, found.c.updated_at) if sorted_by else ())]
    on_return = select(*columns).where(
        found.c.seller_id == seller_id, or_(*(_has(found.c[name], term) for name in ON_RETURN))
    )
    by_name = (
        select(*columns)
        .join(
            orders, and_(orders.c.seller_id == found.c.seller_id, orders.c.id == found.c.order_id)
        )
        .where(orders.c.seller_id == seller_id, _has(orders.c.customer_name, term))
    )
    # UNION ALL: a return in both sets is found twice, which IN ignores and a LIMIT
    # tolerates, and the ids stream out as found instead of after the whole set.
    return union_all(on_return, by_name)


def matches_row(seller_id: str, term: str) -> Any:
    """The condition that this return row matches ``term``, tested on the row itself."""
    c, orders = orm.returns.c, orm.orders.c
    named = select(orders.id).where(
        orders.seller_id == seller_id, orders.id == c.order_id, _has(orders.customer_name, term)
    )
    # OFFSET 0: the name is looked up on the row's order, one probe a row. PostgreSQL would
    # otherwise hash every order with the term first: 25,000 names of an "anna" took 450 ms
    # at 1M returns, where the page needed 2,000 rows.
    return or_(*(_has(c[name], term) for name in ON_RETURN), exists(named.offset(0)))


def looks_broad(connection: Connection, seller_id: str, term: str, many: int) -> bool:
    """Whether PostgreSQL expects more than ``many`` returns and names to have ``term``.

    Its estimate reads the column statistics (each trigram index's expression has its own),
    which see a term in more than a percent or so of the values, such as "gmail"; a rarer
    term comes out as a few hundred. Asking costs a plan of two plain statements, a few
    tenths of a millisecond. Always False elsewhere.
    """
    if connection.dialect.name != "postgresql":
        return False
    escaped = "".join(f"/{c}" if c in "/%_" else c for c in term.lower())
    params = {"seller_id": seller_id, "pattern": f"%{escaped}%"}
    plan = connection.exec_driver_sql(_estimate(connection.dialect), params).scalar_one()
    return bool(plan[0]["Plan"]["Plan Rows"] > many)


@cache
def _estimate(dialect: Dialect) -> str:
    """``EXPLAIN`` of the lookup's two halves, the name's without its join, compiled once."""
    pattern, seller_id = (
        bindparam("pattern", type_=String()),
        bindparam("seller_id", type_=String()),
    )
    c, orders = orm.returns.c, orm.orders.c
    on_return = select(c.id).where(
        c.seller_id == seller_id,
        or_(*(func.lower(c[name]).like(pattern, escape="/") for name in ON_RETURN)),
    )
    by_name = select(orders.id).where(
        orders.seller_id == seller_id, func.lower(orders.customer_name).like(pattern, escape="/")
    )
    return f"EXPLAIN (FORMAT JSON) {union_all(on_return, by_name).compile(dialect=dialect)}"
