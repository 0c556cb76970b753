"""The measures of what comes back: return rates and reasons, with their rollups.

Facts are grouped by the day, week or month they fall on in the seller's zone
(``rma.adapters.local_time``). Shipped units come from an append-only rollup plus the rows
past its watermark; returned units, on PostgreSQL, from a rollup kept by triggers.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from rma.adapters import orm
from rma.adapters.analytics_customers import CustomerQueries
from rma.adapters.analytics_filters import (
    NOT_COUNTED,
    Row,
    from_amazon,
    in_period,
    item_conditions,
    ol,
    p,
    r,
    rc,
    return_conditions,
    ri,
    s,
    si,
)
from rma.adapters.analytics_operations import OperationsQueries
from rma.adapters.analytics_rollups import SqlRollups, split_key
from rma.adapters.analytics_speed import SpeedQueries
from rma.adapters.local_time import bucket
from rma.domain.analytics import UNCATEGORIZED, Dimension, MeasureFilter

_key = split_key


def _with_products(source: Any, seller_id: str, dimension: Dimension) -> Any:
    if dimension is not Dimension.CATEGORY:
        return source
    return source.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == ri.c.sku))


class SqlAnalytics(CustomerQueries, OperationsQueries, SpeedQueries):
    """The measures of one seller, read through one session."""

    def __init__(self, session: Session, *, use_rollups: bool = True):
        self.session = session
        self.use_rollups = use_rollups  # False: read the facts themselves (tests compare)

    def unknown_filters(self, seller_id: str, f: MeasureFilter) -> list[str]:
        """The fields of ``f`` whose value this seller has never used."""
        checks: list[tuple[str, Any]] = []
        if f.sku is not None:
            checks.append(
                (
                    "sku",
                    or_(
                        exists().where(p.c.seller_id == seller_id, p.c.sku == f.sku),
                        exists().where(ol.c.seller_id == seller_id, ol.c.sku == f.sku),
                    ),
                )
            )
        if f.category is not None and f.category != UNCATEGORIZED:
            checks.append(
                ("category", exists().where(p.c.seller_id == seller_id, p.c.category == f.category))
            )
        if f.reason is not None:
            checks.append(
                ("reason", exists().where(rc.c.seller_id == seller_id, rc.c.code == f.reason))
            )
        if f.facility is not None:
            fa = orm.facilities
            checks.append(
                ("facility", exists().where(fa.c.seller_id == seller_id, fa.c.code == f.facility))
            )
        if not checks:
            return []
        found = self.session.execute(select(*[check for _, check in checks])).one()
        return [name for (name, _), ok in zip(checks, found, strict=True) if not ok]

    def shipped_units(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, units shipped) by when they shipped: the rollup plus newer rows."""
        rollups = SqlRollups(self.session)
        mark = rollups.watermark(seller_id, f.period.tz) if self.use_rollups else 0
        by_category = dimension is Dimension.CATEGORY or f.category is not None
        found: list[Row] = []
        if mark:
            found = rollups.rolled_up(seller_id, f, dimension, by_category)
        when = bucket(s.c.shipped_at, f, self.dialect)
        key = _key(dimension, ol.c.sku, p.c.category)
        where = [s.c.seller_id == seller_id, in_period(s.c.shipped_at, f), si.c.pk > mark]
        if f.sku is not None:
            where.append(ol.c.sku == f.sku)
        if f.skus is not None:
            where.append(ol.c.sku.in_(f.skus))
        if f.category is not None:
            where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
        if f.facility is not None:
            where.append(s.c.facility_code == f.facility)
        if f.channel is not None:
            where.append(from_amazon(seller_id, s.c.order_id, f.channel))
        source = si.join(s, and_(s.c.seller_id == si.c.seller_id, s.c.id == si.c.shipment_id)).join(
            ol,
            and_(
                ol.c.seller_id == s.c.seller_id,
                ol.c.order_id == s.c.order_id,
                ol.c.line_id == si.c.line_id,
            ),
        )
        if by_category:
            source = source.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == ol.c.sku))
        statement = (
            select(when, key, func.sum(si.c.quantity))
            .select_from(source)
            .where(si.c.seller_id == seller_id, *where)
            .group_by(when, key)
        )
        found.extend(self._rows(statement))
        return found

    def refresh_rollups(self, seller_id: str, tz: str, now: datetime) -> int:
        """Roll up the seller's shipments made since the last refresh."""
        return SqlRollups(self.session).refresh(seller_id, tz, now)

    def stale_sellers(self) -> list[str]:
        """Sellers with shipments not rolled up, history not timed or customers not counted."""
        found = SqlRollups(self.session).stale_sellers()
        return sorted({*found, *self.untimed_sellers(), *self.customers_behind()})

    def returned_units(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, units) asked back in returns that were not denied or withdrawn."""
        if self._rolled_up(seller_id, f):
            return SqlRollups(self.session).returned(seller_id, f, dimension, by_reason=False)
        when = bucket(r.c.created_at, f, self.dialect)
        key = _key(dimension, ri.c.sku, p.c.category)
        joined = r.join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
        statement = (
            select(when, key, func.sum(ri.c.requested_quantity))
            .select_from(_with_products(joined, seller_id, dimension))
            .where(
                *return_conditions(seller_id, f),
                *item_conditions(seller_id, f),
                in_period(r.c.created_at, f),
                r.c.status.not_in(NOT_COUNTED),
            )
            .group_by(when, key)
        )
        return self._rows(statement)

    def reasons(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, reason code, fault, units) of returns that were not withdrawn."""
        when = bucket(r.c.created_at, f, self.dialect)
        key = _key(dimension, ri.c.sku, p.c.category)
        joined = r.join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
        statement: Any = (
            select(when, key, ri.c.reason_code, func.sum(ri.c.requested_quantity))
            .select_from(_with_products(joined, seller_id, dimension))
            .where(
                *return_conditions(seller_id, f),
                *item_conditions(seller_id, f),
                in_period(r.c.created_at, f),
                r.c.status.not_in(NOT_COUNTED),
            )
            .group_by(when, key, ri.c.reason_code)
        )
        # A seller has a few dozen reason codes: their faults are looked up once, not per row.
        if self._rolled_up(seller_id, f):
            found = SqlRollups(self.session).returned(seller_id, f, dimension, by_reason=True)
        else:
            found = self._rows(statement)
        codes = select(rc.c.code, rc.c.fault).where(rc.c.seller_id == seller_id)
        faults = {str(code): str(fault) for code, fault in self.session.execute(codes)}
        return [
            (at, key, code, faults.get(str(code), "unknown"), units)
            for at, key, code, units in found
        ]
