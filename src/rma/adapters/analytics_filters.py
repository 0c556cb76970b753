"""What every measure's SQL shares: the tables, which returns count, and the filters.

Every condition starts from ``seller_id``; a filter value of another seller matches nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Float, and_, cast, exists, func, select

from rma.adapters import orm, orm_amazon, orm_physical
from rma.domain.analytics import UNCATEGORIZED, Channel, MeasureFilter
from rma.domain.statuses import ReturnStatus

r = orm.returns
ri = orm.return_items
h = orm.return_history
p = orm.products
s = orm.shipments
si = orm.shipment_items
ol = orm.order_lines
o = orm.orders
rc = orm.reason_codes
NOT_COUNTED = (ReturnStatus.DENIED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED)
RECEIVED = (ReturnStatus.PARTIALLY_RECEIVED, ReturnStatus.RECEIVED)
Row = tuple[Any, ...]


def seconds_between(start: Any, end: Any, dialect: str) -> ColumnElement[float]:
    if dialect == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def in_period(at: Any, f: MeasureFilter) -> ColumnElement[bool]:
    first, after = f.period.utc_bounds()
    return and_(at >= first, at < after)


def category_of(sku: Any, seller_id: str) -> ColumnElement[str]:
    """The category of ``sku``, ``(none)`` when the product or its category is missing."""
    # An alias of its own: the outer query may join products too (rows split by category).
    own = p.alias("own_product")
    found = (
        select(own.c.category)
        .where(own.c.seller_id == seller_id, own.c.sku == sku)
        .scalar_subquery()
    )
    return func.coalesce(found, UNCATEGORIZED)


def return_conditions(seller_id: str, f: MeasureFilter) -> list[ColumnElement[bool]]:
    """What a return itself must satisfy: the seller, facility and channel."""
    where = [r.c.seller_id == seller_id]
    if f.facility is not None:
        pr = orm_physical.package_receipts
        where.append(
            exists().where(
                pr.c.seller_id == seller_id,
                pr.c.return_id == r.c.id,
                pr.c.facility_code == f.facility,
            )
        )
    if f.channel is not None:
        where.append(from_amazon(seller_id, r.c.order_id, f.channel))
    return where


def item_conditions(seller_id: str, f: MeasureFilter) -> list[ColumnElement[bool]]:
    """What a return item must satisfy: SKU, reason and category."""
    where = [ri.c.seller_id == seller_id]
    if f.sku is not None:
        where.append(ri.c.sku == f.sku)
    if f.skus is not None:
        where.append(ri.c.sku.in_(f.skus))
    if f.reason is not None:
        where.append(ri.c.reason_code == f.reason)
    if f.category is not None:
        where.append(category_of(ri.c.sku, seller_id) == f.category)
    return where


def some_item_matches(
    seller_id: str, f: MeasureFilter, return_id: Any
) -> list[ColumnElement[bool]]:
    """Nothing, or: one item of the return satisfies the item filters."""
    if f.sku is None and f.reason is None and f.category is None:
        return []
    return [exists().where(ri.c.return_id == return_id, *item_conditions(seller_id, f))]


def return_matches(seller_id: str, f: MeasureFilter, return_id: Any) -> list[ColumnElement[bool]]:
    """Conditions on a row keyed by a return id: the return and one of its items match.

    Nothing when nothing is filtered: the row's own ``seller_id`` already scopes it.
    """
    own = some_item_matches(seller_id, f, return_id)
    if f.facility is None and f.channel is None:
        return own
    outer = exists().where(r.c.id == return_id, *return_conditions(seller_id, f))
    return [outer, *own]


def from_amazon(seller_id: str, order_id: Any, channel: Channel) -> ColumnElement[bool]:
    fod = orm_amazon.fulfillment_order_details
    found = exists().where(fod.c.seller_id == seller_id, fod.c.order_id == order_id)
    return found if channel is Channel.AMAZON else ~found
