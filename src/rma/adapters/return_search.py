"""The search box of the returns list: any part of a number, an email or a name, any case.

A term is looked for in the RMA, order and tracking numbers and the email of the return,
and in the customer's name on its order, each as ``lower(column) LIKE '%term%'``.

Two shapes of the same test, for the two kinds of term (``SqlReturns.page`` chooses;
docs/operations.md, "Indexes for reads"):

- ``matching_ids``, for a term few returns have: the ids the trigram indexes find
  (``rma.adapters.orm_reads``), from one bitmap over the return's four columns and one
  over the names on orders. Fast while the matches are few; a term in a large share of
  returns ("gmail") makes it fetch every one of them.
- ``matches_row``, for a term many returns have: a test of each row, as the page walks
  the returns in its order. It fills a page quickly when the matches are many, and reads
  every return when they are few.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import CompoundSelect, and_, exists, func, or_, select, union_all

from rma.adapters import orm

ON_RETURN = ("rma_number", "order_number", "tracking_number", "customer_email")
TRIGRAM = 3  # a shorter term has no trigram for the indexes to look up


def _has(column: Any, term: str) -> Any:
    return func.lower(column).contains(term.lower(), autoescape=True)


def matching_ids(seller_id: str, term: str) -> CompoundSelect[tuple[str]]:
    """The ids of the seller's returns that have ``term``, as the indexes find them."""
    # Two sets UNIONed rather than an OR with an EXISTS for the name: an EXISTS inside the
    # OR keeps PostgreSQL from using any of the indexes, and it scans every return.
    found, orders = orm.returns.alias("found"), orm.orders
    on_return = select(found.c.id).where(
        found.c.seller_id == seller_id, or_(*(_has(found.c[name], term) for name in ON_RETURN))
    )
    by_name = (
        select(found.c.id)
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
    return or_(
        *(_has(c[name], term) for name in ON_RETURN),
        exists().where(
            orders.seller_id == seller_id, orders.id == c.order_id, _has(orders.customer_name, term)
        ),
    )
