"""The measures in SQL: one statement each, the same text on SQLite and PostgreSQL.

Facts are grouped by the day, week or month they fall on in the seller's zone. PostgreSQL
converts with its zone database (``timezone(tz, at)``); SQLite has none, so the zone's UTC
offsets over the period (daylight saving included) are passed in as a ``CASE``. Every
statement filters by ``seller_id`` first; a filter value of another seller matches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_amazon, orm_money, orm_physical
from rma.adapters.analytics_rollups import SqlRollups, split_key
from rma.adapters.local_time import bucket
from rma.adapters.orm_analytics import shipped_units_daily
from rma.domain.analytics import UNCATEGORIZED, Channel, Dimension, MeasureFilter
from rma.domain.inventory import Bucket
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
        where.append(_from_amazon(seller_id, r.c.order_id, f.channel))
    return where


def item_conditions(seller_id: str, f: MeasureFilter) -> list[ColumnElement[bool]]:
    """What a return item must satisfy: SKU, reason and category."""
    where = [ri.c.seller_id == seller_id]
    if f.sku is not None:
        where.append(ri.c.sku == f.sku)
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


def _from_amazon(seller_id: str, order_id: Any, channel: Channel) -> ColumnElement[bool]:
    fod = orm_amazon.fulfillment_order_details
    found = exists().where(fod.c.seller_id == seller_id, fod.c.order_id == order_id)
    return found if channel is Channel.AMAZON else ~found


_key = split_key


def _with_products(source: Any, seller_id: str, dimension: Dimension) -> Any:
    if dimension is not Dimension.CATEGORY:
        return source
    return source.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == ri.c.sku))


class SqlAnalytics:
    """The measures of one seller, read through one session."""

    def __init__(self, session: Session, *, use_rollups: bool = True):
        self.session = session
        self.use_rollups = use_rollups  # False: read the facts themselves (tests compare)

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _returned_rollup(self, seller_id: str, f: MeasureFilter) -> bool:
        """Whether returned units come from the trigger-kept rollup.

        On PostgreSQL only (the triggers live there), without a facility (a return's facility
        is where it was received, which the rollup does not know), and for periods in the
        seller's own zone (the rollup's days are in it).
        """
        if not self.use_rollups or self.dialect != "postgresql" or f.facility is not None:
            return False
        zone = select(orm.sellers.c.timezone).where(orm.sellers.c.id == seller_id)
        return self.session.scalar(zone) == f.period.tz

    def _rows(self, statement: Select[Any] | Any) -> list[Row]:
        return [tuple(row) for row in self.session.execute(statement)]

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
            daily = shipped_units_daily
            rolled_key = _key(dimension, daily.c.sku, p.c.category)
            found = rollups.rolled_up(seller_id, f, rolled_key, by_category)
        when = bucket(s.c.shipped_at, f, self.dialect)
        key = _key(dimension, ol.c.sku, p.c.category)
        where = [s.c.seller_id == seller_id, in_period(s.c.shipped_at, f), si.c.pk > mark]
        if f.sku is not None:
            where.append(ol.c.sku == f.sku)
        if f.category is not None:
            where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
        if f.facility is not None:
            where.append(s.c.facility_code == f.facility)
        if f.channel is not None:
            where.append(_from_amazon(seller_id, s.c.order_id, f.channel))
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
        return SqlRollups(self.session).stale_sellers()

    def returned_units(self, seller_id: str, f: MeasureFilter, dimension: Dimension) -> list[Row]:
        """(bucket, key, units) asked back in returns that were not denied or withdrawn."""
        if self._returned_rollup(seller_id, f):
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
        if self._returned_rollup(seller_id, f):
            found = SqlRollups(self.session).returned(seller_id, f, dimension, by_reason=True)
        else:
            found = self._rows(statement)
        codes = select(rc.c.code, rc.c.fault).where(rc.c.seller_id == seller_id)
        faults = {str(code): str(fault) for code, fault in self.session.execute(codes)}
        return [
            (at, key, code, faults.get(str(code), "unknown"), units)
            for at, key, code, units in found
        ]

    def carrier_damage(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, carrier, units inspected as carrier-damaged, carrier exceptions)."""
        carrier = func.coalesce(r.c.carrier, "(unknown)")
        damaged_at = bucket(ri.c.inspected_at, f, self.dialect)
        damaged = (
            select(
                damaged_at.label("at"),
                carrier.label("carrier"),
                ri.c.received_quantity.label("units"),
                literal(0).label("exceptions"),
            )
            .select_from(r)
            .join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
            .where(
                *return_conditions(seller_id, f),
                *item_conditions(seller_id, f),
                in_period(ri.c.inspected_at, f),
                ri.c.condition == "carrier_damaged",
            )
        )
        te = orm_physical.tracking_events
        exception_at = bucket(te.c.occurred_at, f, self.dialect)
        exceptions = (
            select(
                exception_at.label("at"),
                te.c.carrier.label("carrier"),
                literal(0).label("units"),
                literal(1).label("exceptions"),
            )
            .select_from(te)
            .join(
                r,
                and_(r.c.seller_id == te.c.seller_id, r.c.tracking_number == te.c.tracking_number),
            )
            .where(
                te.c.seller_id == seller_id,
                te.c.status == "exception",
                in_period(te.c.occurred_at, f),
                *return_matches(seller_id, f, r.c.id),
            )
        )
        both = union_all(damaged, exceptions).subquery()
        statement = select(
            both.c.at, both.c.carrier, func.sum(both.c.units), func.sum(both.c.exceptions)
        ).group_by(both.c.at, both.c.carrier)
        return self._rows(statement)

    def money(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, currency, measure, minor units) of each money measure."""
        rf = orm_money.refunds
        ce = orm_money.credit_entries
        im = orm_physical.inventory_movements
        refund_at = bucket(rf.c.updated_at, f, self.dialect)
        refunds_done = [
            rf.c.seller_id == seller_id,
            rf.c.status == "succeeded",
            in_period(rf.c.updated_at, f),
            *return_matches(seller_id, f, rf.c.return_id),
        ]
        # One pass over the refunds for all three sums (each reads the breakdown JSON).
        refunded = (
            select(
                refund_at,
                rf.c.currency,
                func.sum(rf.c.amount),
                func.sum(rf.c.breakdown["restocking_fee"].as_integer()),
                func.sum(rf.c.breakdown["label_cost"].as_integer()),
            )
            .where(*refunds_done)
            .group_by(refund_at, rf.c.currency)
        )
        found: list[Row] = [
            (at, currency, name, amount)
            for at, currency, *sums in self._rows(refunded)
            for name, amount in zip(
                ("refunded", "restocking_fees", "label_costs_recovered"), sums, strict=True
            )
        ]
        parts: list[Select[Any]] = []
        credit_at = bucket(ce.c.created_at, f, self.dialect)
        parts.append(
            select(credit_at, ce.c.currency, literal("store_credit_issued"), func.sum(ce.c.amount))
            .where(
                ce.c.seller_id == seller_id,
                ce.c.kind == "issued",
                in_period(ce.c.created_at, f),
                *return_matches(seller_id, f, ce.c.return_id),
            )
            .group_by(credit_at, ce.c.currency)
        )
        moved_at = bucket(im.c.created_at, f, self.dialect)
        for name, kinds in (
            ("value_restocked", (Bucket.AVAILABLE,)),
            ("value_written_off", (Bucket.LIQUIDATE, Bucket.DISPOSE)),
        ):
            parts.append(
                select(
                    moved_at, r.c.currency, literal(name), func.sum(im.c.quantity * ri.c.unit_price)
                )
                .select_from(im)
                .join(ri, and_(ri.c.seller_id == im.c.seller_id, ri.c.id == im.c.item_id))
                .join(r, and_(r.c.seller_id == ri.c.seller_id, r.c.id == ri.c.return_id))
                .where(
                    im.c.seller_id == seller_id,
                    im.c.bucket.in_(kinds),
                    in_period(im.c.created_at, f),
                    *return_conditions(seller_id, f),
                    *item_conditions(seller_id, f),
                )
                .group_by(moved_at, r.c.currency)
            )
        return found + [row for part in parts for row in self._rows(part)]

    def speed(self, seller_id: str, f: MeasureFilter, fractions: Sequence[float]) -> list[Row]:
        """(bucket, stage, returns timed, then one nearest-rank percentile per fraction)."""
        rf = orm_money.refunds
        authorized_at = func.min(case((h.c.to_status == ReturnStatus.AUTHORIZED, h.c.at)))
        received_at = func.min(case((h.c.to_status.in_(RECEIVED), h.c.at)))
        per_return = (
            select(
                r.c.id.label("id"),
                bucket(r.c.created_at, f, self.dialect).label("at"),
                r.c.created_at.label("requested_at"),
                authorized_at.label("authorized_at"),
                received_at.label("received_at"),
            )
            .select_from(r)
            .join(h, and_(h.c.seller_id == r.c.seller_id, h.c.return_id == r.c.id))
            .where(
                *return_conditions(seller_id, f),
                in_period(r.c.created_at, f),
                *some_item_matches(seller_id, f, r.c.id),
                h.c.to_status.in_((ReturnStatus.AUTHORIZED, *RECEIVED)),
            )
            .group_by(r.c.id, r.c.created_at)
            # Read three times below (once per stage): computed once, not three times.
            .cte("per_return")
            .prefix_with("MATERIALIZED")
        )
        refunded_at = (
            select(rf.c.updated_at)
            .where(
                rf.c.seller_id == seller_id,
                rf.c.return_id == per_return.c.id,
                rf.c.status == "succeeded",
            )
            .scalar_subquery()
        )
        stages = [
            ("request_to_authorization", per_return.c.requested_at, per_return.c.authorized_at),
            ("authorization_to_receipt", per_return.c.authorized_at, per_return.c.received_at),
            ("receipt_to_refund", per_return.c.received_at, refunded_at),
        ]
        timed = union_all(
            *[
                select(
                    per_return.c.at.label("at"),
                    literal(name).label("stage"),
                    seconds_between(start, end, self.dialect).label("seconds"),
                )
                .select_from(per_return)
                .where(start.is_not(None), end.is_not(None))
                for name, start, end in stages
            ]
        ).subquery()
        ranked = select(
            timed.c.at,
            timed.c.stage,
            timed.c.seconds,
            func.row_number()
            .over(partition_by=(timed.c.at, timed.c.stage), order_by=timed.c.seconds)
            .label("rank"),
            func.count().over(partition_by=(timed.c.at, timed.c.stage)).label("n"),
        ).subquery()
        # Nearest rank: the smallest value whose rank reaches fraction x n.
        percentiles = [
            func.min(case((ranked.c.rank >= fraction * ranked.c.n, ranked.c.seconds)))
            for fraction in fractions
        ]
        statement = select(
            ranked.c.at, ranked.c.stage, func.max(ranked.c.n), *percentiles
        ).group_by(ranked.c.at, ranked.c.stage)
        return self._rows(statement)

    def outcomes(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(SKU, condition, disposition, units accepted, units rejected) of inspected items."""
        statement = (
            select(
                ri.c.sku,
                ri.c.condition,
                func.coalesce(ri.c.disposition, "none"),
                func.sum(ri.c.accepted_quantity),
                func.sum(ri.c.rejected_quantity),
            )
            .select_from(r)
            .join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
            .where(
                *return_conditions(seller_id, f),
                *item_conditions(seller_id, f),
                in_period(ri.c.inspected_at, f),
                ri.c.condition.is_not(None),
            )
            .group_by(ri.c.sku, ri.c.condition, ri.c.disposition)
        )
        return self._rows(statement)

    def top_customers(self, seller_id: str, f: MeasureFilter, limit: int) -> list[Row]:
        """(email, returns, units returned) of the customers who returned the most."""
        returns_count = func.count(func.distinct(r.c.id))
        units = func.sum(ri.c.requested_quantity)
        statement = (
            select(r.c.customer_email, returns_count, units)
            .select_from(r)
            .join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
            .where(
                *return_conditions(seller_id, f),
                *item_conditions(seller_id, f),
                in_period(r.c.created_at, f),
                r.c.status.not_in(NOT_COUNTED),
            )
            .group_by(r.c.customer_email)
            .order_by(returns_count.desc(), units.desc(), r.c.customer_email)
            .limit(limit)
        )
        return self._rows(statement)

    def units_shipped_to(
        self, seller_id: str, f: MeasureFilter, emails: Sequence[str]
    ) -> dict[str, int]:
        """Units shipped in the period to each of ``emails``."""
        if not emails:
            return {}
        where = [
            s.c.seller_id == seller_id,
            in_period(s.c.shipped_at, f),
            o.c.customer_email.in_(list(emails)),
        ]
        if f.sku is not None:
            where.append(ol.c.sku == f.sku)
        if f.category is not None:
            where.append(category_of(ol.c.sku, seller_id) == f.category)
        statement = (
            select(o.c.customer_email, func.sum(si.c.quantity))
            .select_from(s)
            .join(o, and_(o.c.seller_id == s.c.seller_id, o.c.id == s.c.order_id))
            .join(si, and_(si.c.seller_id == s.c.seller_id, si.c.shipment_id == s.c.id))
            .join(
                ol,
                and_(
                    ol.c.seller_id == s.c.seller_id,
                    ol.c.order_id == s.c.order_id,
                    ol.c.line_id == si.c.line_id,
                ),
            )
            .where(*where)
            .group_by(o.c.customer_email)
        )
        return {email: int(units) for email, units in self.session.execute(statement)}
