"""The exports in SQL: one streamed statement per report, read a batch at a time.

On PostgreSQL the rows come through a server-side cursor (``yield_per``), so memory stays
flat however many rows a report has; SQLite's cursor is lazy already. Rows come out as
mappings of plain values; ``rma.services.reports`` shapes them into the report's columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Enum, Select, String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_money, orm_physical
from rma.adapters.analytics_filters import (
    in_period,
    item_conditions,
    return_conditions,
    return_matches,
    some_item_matches,
)
from rma.adapters.orm import UtcDateTime
from rma.domain.analytics import MeasureFilter
from rma.domain.reports import Report
from rma.domain.statuses import ReturnStatus

BATCH = 2000
r = orm.returns
ri = orm.return_items
h = orm.return_history
p = orm.products
o = orm.orders
ol = orm.order_lines
rf = orm_money.refunds
ce = orm_money.credit_entries
im = orm_physical.inventory_movements
pr = orm_physical.package_receipts
RECEIVED = (ReturnStatus.PARTIALLY_RECEIVED, ReturnStatus.RECEIVED)


class SqlExports:
    """Streams of one seller's facts for each report."""

    def __init__(self, session: Session):
        self.session = session

    def stream(
        self, report: Report, seller_id: str, f: MeasureFilter | None
    ) -> Iterator[dict[str, Any]]:
        """The rows of ``report`` for ``seller_id`` within ``f`` (everything when None)."""
        statement = _STATEMENTS[report](seller_id, f)
        result = self.session.execute(
            statement, execution_options={"yield_per": BATCH, "stream_results": True}
        )
        for row in result.mappings():
            yield dict(row)

    def rows(
        self, report: Report, seller_id: str, f: MeasureFilter | None
    ) -> Iterator[Sequence[Any]]:
        """The rows of a plain report as tuples of text, numbers and booleans.

        Times are formatted and codes left as text by the database: the rows go straight
        to the encoder, with no Python object made per value.
        """
        statement = _flat(_STATEMENTS[report](seller_id, f), self.dialect)
        result = self.session.execute(
            statement, execution_options={"yield_per": BATCH, "stream_results": True}
        )
        for batch in result.partitions():
            yield from batch

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def received_per_location(self, seller_id: str, f: MeasureFilter | None) -> dict[Any, int]:
        """Units received of each (SKU, location) whose items were booked at that location."""
        booked = (
            select(im.c.item_id, im.c.location)
            .where(im.c.seller_id == seller_id, *_period(im.c.created_at, f))
            .distinct()
            .subquery()
        )
        statement = (
            select(ri.c.sku, booked.c.location, func.sum(ri.c.received_quantity))
            .select_from(booked)
            .join(ri, and_(ri.c.seller_id == seller_id, ri.c.id == booked.c.item_id))
            .group_by(ri.c.sku, booked.c.location)
        )
        return {(sku, loc): int(units) for sku, loc, units in self.session.execute(statement)}


def _flat(statement: Select[Any], dialect: str) -> Select[Any]:
    """``statement`` with its times as ISO-8601 UTC text and its codes as plain text."""
    columns = []
    for column in statement.selected_columns:
        if isinstance(column.type, UtcDateTime):
            text: Any = (
                func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                if dialect == "postgresql"
                else func.strftime("%Y-%m-%dT%H:%M:%SZ", column)
            )
        elif isinstance(column.type, Enum):
            text = type_coerce(column, String())
        else:
            text = column
        columns.append(text.label(column.key))
    return statement.with_only_columns(*columns)


def _period(at: Any, f: MeasureFilter | None) -> list[Any]:
    return [] if f is None else [in_period(at, f)]


def _returns_where(seller_id: str, f: MeasureFilter | None) -> list[Any]:
    if f is None:
        return [r.c.seller_id == seller_id]
    return [
        *return_conditions(seller_id, f),
        in_period(r.c.created_at, f),
        *some_item_matches(seller_id, f, r.c.id),
    ]


def _items_where(seller_id: str, f: MeasureFilter | None) -> list[Any]:
    if f is None:
        return [r.c.seller_id == seller_id, ri.c.seller_id == seller_id]
    return [
        *return_conditions(seller_id, f),
        *item_conditions(seller_id, f),
        in_period(r.c.created_at, f),
    ]


def _returns(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    c = r.c
    return (
        select(
            c.id.label("return_id"),
            c.rma_number,
            c.order_number,
            c.customer_email,
            c.status,
            c.resolution,
            c.in_policy,
            c.created_at,
            c.updated_at,
            c.carrier,
            c.tracking_number,
            c.label_type,
            c.label_paid_by,
            c.label_cost,
            c.currency,
        )
        .where(*_returns_where(seller_id, f))
        .order_by(c.created_at, c.id)
    )


def _items_from() -> Any:
    return r.join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))


def _return_items(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    return (
        select(
            r.c.id.label("return_id"),
            r.c.rma_number,
            ri.c.id.label("item_id"),
            r.c.order_number,
            ri.c.line_id,
            ri.c.sku,
            ri.c.reason_code,
            ri.c.requested_quantity,
            ri.c.authorized_quantity,
            ri.c.received_quantity,
            ri.c.accepted_quantity,
            ri.c.rejected_quantity,
            ri.c.condition,
            ri.c.disposition,
            func.coalesce(ri.c.resolution, r.c.resolution).label("resolution"),
            ri.c.unit_price,
            r.c.currency,
            r.c.created_at.label("return_created_at"),
            ri.c.inspected_at,
            ri.c.comment,
        )
        .select_from(_items_from())
        .where(*_items_where(seller_id, f))
        .order_by(r.c.created_at, r.c.id, ri.c.id)
    )


def _with_product(seller_id: str) -> Any:
    return _items_from().outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == ri.c.sku))


def _line_name() -> Any:
    return (
        select(ol.c.name)
        .where(
            ol.c.seller_id == ri.c.seller_id,
            ol.c.order_id == r.c.order_id,
            ol.c.line_id == ri.c.line_id,
        )
        .scalar_subquery()
    )


def _amazon_fba(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    received_at = (
        select(func.min(h.c.at))
        .where(h.c.seller_id == seller_id, h.c.return_id == r.c.id, h.c.to_status.in_(RECEIVED))
        .scalar_subquery()
    )
    facility = (
        select(func.max(pr.c.facility_code))
        .where(pr.c.seller_id == seller_id, pr.c.return_id == r.c.id)
        .scalar_subquery()
    )
    return (
        select(
            received_at.label("received_at"),
            r.c.created_at,
            r.c.order_number,
            ri.c.sku,
            p.c.asin,
            p.c.fnsku,
            func.coalesce(p.c.name, _line_name()).label("product_name"),
            ri.c.received_quantity,
            facility.label("facility_code"),
            ri.c.condition,
            ri.c.disposition,
            ri.c.reason_code,
            r.c.rma_number,
            ri.c.comment,
        )
        .select_from(_with_product(seller_id))
        .where(*_items_where(seller_id, f), ri.c.received_quantity > 0)
        .order_by(r.c.created_at, r.c.id, ri.c.id)
    )


def _amazon_seller_fulfilled(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    line = ol.alias("line")
    joined = (
        _with_product(seller_id)
        .join(o, and_(o.c.seller_id == r.c.seller_id, o.c.id == r.c.order_id))
        .outerjoin(
            line,
            and_(
                line.c.seller_id == ri.c.seller_id,
                line.c.order_id == r.c.order_id,
                line.c.line_id == ri.c.line_id,
            ),
        )
        .outerjoin(rf, and_(rf.c.seller_id == r.c.seller_id, rf.c.return_id == r.c.id))
    )
    return (
        select(
            r.c.order_number,
            o.c.ordered_at,
            r.c.created_at,
            r.c.status,
            r.c.rma_number,
            r.c.label_type,
            r.c.label_cost,
            r.c.currency,
            r.c.carrier,
            r.c.tracking_number,
            r.c.label_paid_by,
            p.c.asin,
            ri.c.sku,
            func.coalesce(p.c.name, line.c.name).label("product_name"),
            ri.c.requested_quantity,
            ri.c.reason_code,
            r.c.in_policy,
            ri.c.resolution.label("item_resolution"),
            r.c.resolution,
            r.c.delivered_at,
            (line.c.unit_price * line.c.quantity).label("line_amount"),
            line.c.quantity.label("line_quantity"),
            ri.c.id.label("item_id"),
            rf.c.status.label("refund_status"),
            rf.c.breakdown,
            p.c.category,
        )
        .select_from(joined)
        .where(*_items_where(seller_id, f))
        .order_by(r.c.created_at, r.c.id, ri.c.id)
    )


def _refunds(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    where = [rf.c.seller_id == seller_id, *_period(rf.c.created_at, f)]
    if f is not None:
        where.extend(return_matches(seller_id, f, rf.c.return_id))
    part = rf.c.breakdown
    return (
        select(
            rf.c.id.label("refund_id"),
            rf.c.return_id,
            rf.c.order_id,
            rf.c.status,
            rf.c.gateway,
            rf.c.amount,
            *[
                part[name].as_integer().label(name)
                for name in (
                    "goods",
                    "tax",
                    "shipping",
                    "restocking_fee",
                    "label_cost",
                    "adjustment",
                )
            ],
            rf.c.currency,
            rf.c.reference,
            rf.c.created_at,
            rf.c.updated_at,
        )
        .where(*where)
        .order_by(rf.c.created_at, rf.c.id)
    )


def _store_credit(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    return (
        select(
            ce.c.id.label("entry_id"),
            ce.c.customer_email,
            ce.c.kind,
            ce.c.amount,
            ce.c.bonus,
            ce.c.currency,
            ce.c.return_id,
            ce.c.note,
            ce.c.created_at,
        )
        .where(ce.c.seller_id == seller_id, *_period(ce.c.created_at, f))
        .order_by(ce.c.created_at, ce.c.id)
    )


def _movement_filters(seller_id: str, f: MeasureFilter | None) -> list[Any]:
    where = [im.c.seller_id == seller_id, *_period(im.c.created_at, f)]
    if f is not None and f.sku is not None:
        where.append(im.c.sku == f.sku)
    if f is not None and f.facility is not None:
        where.append(im.c.location == f.facility)
    return where


def _movements(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    return (
        select(
            im.c.created_at,
            im.c.sku,
            im.c.location,
            im.c.bucket,
            im.c.quantity,
            im.c.return_id,
            im.c.item_id,
        )
        .where(*_movement_filters(seller_id, f))
        .order_by(im.c.created_at, im.c.pk)
    )


def _reconciliation(seller_id: str, f: MeasureFilter | None) -> Select[Any]:
    return (
        select(im.c.sku, im.c.location, im.c.bucket, func.sum(im.c.quantity).label("quantity"))
        .where(*_movement_filters(seller_id, f))
        .group_by(im.c.sku, im.c.location, im.c.bucket)
        .order_by(im.c.sku, im.c.location, im.c.bucket)
    )


_STATEMENTS = {
    Report.RETURNS: _returns,
    Report.RETURN_ITEMS: _return_items,
    Report.AMAZON_FBA_RETURNS: _amazon_fba,
    Report.AMAZON_SELLER_FULFILLED_RETURNS: _amazon_seller_fulfilled,
    Report.REFUNDS: _refunds,
    Report.STORE_CREDIT: _store_credit,
    Report.INVENTORY_MOVEMENTS: _movements,
    Report.INVENTORY_RECONCILIATION: _reconciliation,
}
