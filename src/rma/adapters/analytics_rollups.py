"""The shipped-units rollup: units per local day, SKU, facility and channel, kept incrementally.

Shipments never change once made, so rolling them up is append-only: each refresh adds the
``shipment_items`` rows past the seller's watermark (their ``pk`` only grows) and moves the
watermark. A read adds the rollup's days to the raw rows past the watermark, so answers are
exact whether or not a refresh ran. If the seller's zone changes, the rollup is rebuilt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, and_, cast, delete, func, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_amazon
from rma.adapters.local_time import bucket, day_bucket
from rma.adapters.orm_analytics import (
    analytics_watermarks,
    returned_units_daily,
    shipped_units_daily,
)
from rma.domain.analytics import UNCATEGORIZED, Dimension, Grain, MeasureFilter, Period

s, si, ol = orm.shipments, orm.shipment_items, orm.order_lines
daily = shipped_units_daily
marks = analytics_watermarks


def split_key(dimension: Dimension, sku: Any, category: Any) -> ColumnElement[str]:
    """What rows are split by; ``category`` is the joined products' column."""
    if dimension is Dimension.SKU:
        return sku  # type: ignore[no-any-return]
    if dimension is Dimension.CATEGORY:
        return func.coalesce(category, UNCATEGORIZED)
    return literal("all")


def local_day(at: Any, tz: str, first: datetime, last: datetime, dialect: str) -> Any:
    """The calendar day of ``at`` in ``tz``, for instants between ``first`` and ``last``."""
    # A period without the 3-year limit: a refresh may span all of a seller's history.
    start = first.astimezone(UTC).date() - timedelta(days=1)
    period = Period(start, last.astimezone(UTC).date() + timedelta(days=1), tz)
    return bucket(at, MeasureFilter(period, Grain.DAY), dialect)


class SqlRollups:
    """The rollup of one session."""

    def __init__(self, session: Session):
        self.session = session

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def watermark(self, seller_id: str, tz: str) -> int:
        """The last ``shipment_items.pk`` in the rollup (0 if none, or days in another zone)."""
        found = self.session.execute(
            select(marks.c.shipped_pk, marks.c.timezone).where(marks.c.seller_id == seller_id)
        ).first()
        return int(found.shipped_pk) if found is not None and found.timezone == tz else 0

    def refresh(self, seller_id: str, tz: str, now: datetime) -> int:
        """Roll up the seller's new shipment rows; answer how many item rows were added."""
        mark = self.session.execute(
            select(marks.c.shipped_pk, marks.c.timezone)
            .where(marks.c.seller_id == seller_id)
            .with_for_update()
        ).first()
        if mark is None:
            self.session.execute(
                marks.insert().values(
                    seller_id=seller_id, shipped_pk=0, timezone=tz, refreshed_at=now
                )
            )
            old = 0
        elif mark.timezone != tz:
            self.session.execute(delete(daily).where(daily.c.seller_id == seller_id))
            old = 0
        else:
            old = int(mark.shipped_pk)
        span = self.session.execute(
            select(
                func.max(si.c.pk), func.count(), func.min(s.c.shipped_at), func.max(s.c.shipped_at)
            )
            .select_from(si)
            .join(s, and_(s.c.seller_id == si.c.seller_id, s.c.id == si.c.shipment_id))
            .where(si.c.seller_id == seller_id, si.c.pk > old)
        ).one()
        new, count, first, last = span
        if not count:
            return 0
        day = local_day(s.c.shipped_at, tz, first, last, self.dialect)
        fod = orm_amazon.fulfillment_order_details
        channel = func.coalesce(
            select(literal("amazon"))
            .where(fod.c.seller_id == seller_id, fod.c.order_id == s.c.order_id)
            .scalar_subquery(),
            "direct",
        )
        facility = func.coalesce(s.c.facility_code, "")
        rows = (
            select(
                literal(seller_id),
                day if self.dialect == "sqlite" else cast(day, Date),
                ol.c.sku,
                facility,
                channel,
                func.sum(si.c.quantity),
            )
            .select_from(si)
            .join(s, and_(s.c.seller_id == si.c.seller_id, s.c.id == si.c.shipment_id))
            .join(
                ol,
                and_(
                    ol.c.seller_id == s.c.seller_id,
                    ol.c.order_id == s.c.order_id,
                    ol.c.line_id == si.c.line_id,
                ),
            )
            .where(si.c.seller_id == seller_id, si.c.pk > old, si.c.pk <= new)
            .group_by(day, ol.c.sku, facility, channel)
        )
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        upsert = dialect_insert(daily).from_select(
            ["seller_id", "day", "sku", "facility_code", "channel", "units"], rows
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=["seller_id", "day", "sku", "facility_code", "channel"],
            set_={"units": daily.c.units + upsert.excluded.units},
        )
        self.session.execute(upsert)
        self.session.execute(
            marks.update()
            .where(marks.c.seller_id == seller_id)
            .values(shipped_pk=new, timezone=tz, refreshed_at=now)
        )
        return int(count)

    def rolled_up(
        self, seller_id: str, f: MeasureFilter, key: Any, join_products: bool
    ) -> list[tuple[Any, ...]]:
        """(bucket, key, units) from the rollup's days within the period."""
        when = day_bucket(daily.c.day, f, self.dialect)
        where = [
            daily.c.seller_id == seller_id,
            daily.c.day >= f.period.start,
            daily.c.day <= f.period.end,
        ]
        if f.sku is not None:
            where.append(daily.c.sku == f.sku)
        if f.facility is not None:
            where.append(daily.c.facility_code == f.facility)
        if f.channel is not None:
            where.append(daily.c.channel == f.channel.value)
        source: Any = daily
        if join_products:
            p = orm.products
            source = daily.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == daily.c.sku))
            if f.category is not None:
                where.append(func.coalesce(p.c.category, "(none)") == f.category)
        statement = (
            select(when, key, func.sum(daily.c.units))
            .select_from(source)
            .where(*where)
            .group_by(when, key)
        )
        return [tuple(row) for row in self.session.execute(statement)]

    def returned(
        self, seller_id: str, f: MeasureFilter, dimension: Dimension, by_reason: bool
    ) -> list[tuple[Any, ...]]:
        """(bucket, key, [reason,] units) from the trigger-kept rollup of returned units."""
        back = returned_units_daily
        when = day_bucket(back.c.day, f, self.dialect)
        where = [
            back.c.seller_id == seller_id,
            back.c.day >= f.period.start,
            back.c.day <= f.period.end,
        ]
        if f.sku is not None:
            where.append(back.c.sku == f.sku)
        if f.reason is not None:
            where.append(back.c.reason_code == f.reason)
        if f.channel is not None:
            where.append(back.c.channel == f.channel.value)
        p = orm.products
        source: Any = back
        if f.category is not None or dimension is Dimension.CATEGORY:
            source = back.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == back.c.sku))
            if f.category is not None:
                where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
        key = split_key(dimension, back.c.sku, p.c.category)
        columns = [when, key, *([back.c.reason_code] if by_reason else [])]
        statement = (
            select(*columns, func.sum(back.c.units))
            .select_from(source)
            .where(*where)
            .group_by(*columns)
            .having(func.sum(back.c.units) != 0)
        )
        return [tuple(row) for row in self.session.execute(statement)]

    def stale_sellers(self) -> list[str]:
        """Sellers with shipments not rolled up yet, or rolled up in another time zone."""
        sellers = orm.sellers
        lowest = select(func.coalesce(func.min(marks.c.shipped_pk), 0)).scalar_subquery()
        newer = select(si.c.seller_id).where(si.c.pk > lowest).distinct()
        moved = select(marks.c.seller_id).join(
            sellers,
            and_(sellers.c.id == marks.c.seller_id, sellers.c.timezone != marks.c.timezone),
        )
        candidates = {str(x) for x in self.session.scalars(newer)}
        rezoned = {str(x) for x in self.session.scalars(moved)}
        if not candidates:
            return sorted(rezoned)
        marked = {
            str(seller): int(pk)
            for seller, pk in self.session.execute(select(marks.c.seller_id, marks.c.shipped_pk))
        }
        latest = {
            str(seller): int(pk)
            for seller, pk in self.session.execute(
                select(si.c.seller_id, func.max(si.c.pk))
                .where(si.c.seller_id.in_(sorted(candidates)))
                .group_by(si.c.seller_id)
            )
        }
        behind = {s for s in candidates if latest.get(s, 0) > marked.get(s, 0)}
        return sorted(behind | rezoned)
