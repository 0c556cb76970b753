"""The units rollups: shipped and returned units per local day and month, SKU, channel...

Shipments never change once made, so rolling them up is append-only: each refresh adds the
``shipment_items`` rows past the seller's watermark (their ``pk`` only grows) to the daily and
the monthly rollup and moves the watermark. A read adds the rollup's days to the raw rows past
the watermark, so answers are exact whether or not a refresh ran. If the seller's zone
changes, the rollup is rebuilt. Returned units are kept by PostgreSQL's triggers.

A period grouped by month reads its whole months from the monthly rollups and only the days
of a month it covers in part from the daily ones.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Table,
    and_,
    cast,
    delete,
    func,
    literal,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_amazon
from rma.adapters.local_time import bucket, day_bucket
from rma.adapters.orm_analytics import (
    analytics_watermarks,
    returned_units_daily,
    returned_units_monthly,
    shipped_units_daily,
    shipped_units_monthly,
)
from rma.domain.analytics import UNCATEGORIZED, Dimension, Grain, MeasureFilter, Period

s, si, ol = orm.shipments, orm.shipment_items, orm.order_lines
daily = shipped_units_daily
monthly = shipped_units_monthly
marks = analytics_watermarks
# A rollup, its time column, the first and last day (or month) read, and +1 or -1.
Span = tuple[Table, Any, date, date, int]


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


def spans(f: MeasureFilter, by_day: Table, by_month: Table) -> list[Span]:
    """What to read for ``f``, each span with the sign its rows count with.

    Grouped by day or week: the days. Grouped by month: each whole month from ``by_month``;
    a month the period covers in part from its days, or, when it covers most of it, from
    ``by_month`` less the days it leaves out (a month less its first day is 2 reads, not 30).
    """
    start, end = f.period.start, f.period.end
    if f.grain is not Grain.MONTH:
        return [(by_day, by_day.c.day, start, end, 1)]
    found: list[Span] = []
    month = start.replace(day=1)
    while month <= end:
        following = _next_month(month)
        first, last = max(start, month), min(end, following - timedelta(days=1))
        inside = (last - first).days + 1
        if inside <= (following - month).days - inside:
            found.append((by_day, by_day.c.day, first, last, 1))
        else:
            found.append((by_month, by_month.c.month, month, month, 1))
            if month < first:
                found.append((by_day, by_day.c.day, month, first - timedelta(days=1), -1))
            end_of_month = following - timedelta(days=1)
            if last < end_of_month:
                found.append((by_day, by_day.c.day, last + timedelta(days=1), end_of_month, -1))
        month = following
    return _joined(found)


def _joined(found: list[Span]) -> list[Span]:
    """``found`` with each run of consecutive whole months read as one span."""
    joined: list[Span] = []
    for span in found:
        table, at, first, last, sign = span
        if joined and sign == 1 and table is joined[-1][0] and at is joined[-1][1]:
            before = joined[-1]
            if before[4] == 1 and at.name == "month" and _next_month(before[3]) == first:
                joined[-1] = (table, at, before[2], last, 1)
                continue
        joined.append(span)
    return joined


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _months_of_days(seller_id: str, dialect: str) -> Any:
    """The seller's daily shipped units summed per month, as rows of the monthly rollup."""
    month = (
        func.strftime("%Y-%m-01", daily.c.day)
        if dialect == "sqlite"
        else cast(func.date_trunc("month", daily.c.day), Date)
    )
    keys = (month, daily.c.sku, daily.c.facility_code, daily.c.channel)
    return (
        select(literal(seller_id), *keys, func.sum(daily.c.units))
        .where(daily.c.seller_id == seller_id)
        .group_by(*keys)
    )


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
            self.session.execute(delete(monthly).where(monthly.c.seller_id == seller_id))
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
        day = day if self.dialect == "sqlite" else cast(day, Date)
        month = (
            func.strftime("%Y-%m-01", day)
            if self.dialect == "sqlite"
            else cast(func.date_trunc("month", day), Date)
        )
        source = si.join(s, and_(s.c.seller_id == si.c.seller_id, s.c.id == si.c.shipment_id)).join(
            ol,
            and_(
                ol.c.seller_id == s.c.seller_id,
                ol.c.order_id == s.c.order_id,
                ol.c.line_id == si.c.line_id,
            ),
        )
        dialect_insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        for table, when in ((daily, day), (monthly, month)):
            rows: Any = (
                select(
                    literal(seller_id), when, ol.c.sku, facility, channel, func.sum(si.c.quantity)
                )
                .select_from(source)
                .where(si.c.seller_id == seller_id, si.c.pk > old, si.c.pk <= new)
                .group_by(when, ol.c.sku, facility, channel)
            )
            if table is monthly and old == 0:
                # Built from nothing: the days just rolled up hold every shipment already.
                rows = _months_of_days(seller_id, self.dialect)
            keys = [c.name for c in table.primary_key.columns]
            upsert = dialect_insert(table).from_select([*keys, "units"], rows)
            upsert = upsert.on_conflict_do_update(
                index_elements=keys, set_={"units": table.c.units + upsert.excluded.units}
            )
            self.session.execute(upsert)
        self.session.execute(
            marks.update()
            .where(marks.c.seller_id == seller_id)
            .values(shipped_pk=new, timezone=tz, refreshed_at=now)
        )
        return int(count)

    def rolled_up(
        self, seller_id: str, f: MeasureFilter, dimension: Dimension, join_products: bool
    ) -> list[tuple[Any, ...]]:
        """(bucket, key, units) from the rollup's days (and months) within the period."""
        parts = []
        for table, at, first, last, sign in spans(f, daily, monthly):
            where = [table.c.seller_id == seller_id, at >= first, at <= last]
            if f.sku is not None:
                where.append(table.c.sku == f.sku)
            if f.skus is not None:
                where.append(table.c.sku.in_(f.skus))
            if f.facility is not None:
                where.append(table.c.facility_code == f.facility)
            if f.channel is not None:
                where.append(table.c.channel == f.channel.value)
            source: Any = table
            p = orm.products
            if join_products:
                source = table.outerjoin(
                    p, and_(p.c.seller_id == seller_id, p.c.sku == table.c.sku)
                )
                if f.category is not None:
                    where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
            key = split_key(dimension, table.c.sku, p.c.category)
            when = day_bucket(at, f, self.dialect)
            parts.append(
                select(when.label("at"), key.label("key"), (table.c.units * sign).label("units"))
                .select_from(source)
                .where(*where)
            )
        return self._summed(parts, keys=2)

    def returned(
        self, seller_id: str, f: MeasureFilter, dimension: Dimension, by_reason: bool
    ) -> list[tuple[Any, ...]]:
        """(bucket, key, [reason,] units) from the trigger-kept rollups of returned units."""
        parts = []
        for back, at, first, last, sign in spans(f, returned_units_daily, returned_units_monthly):
            where = [back.c.seller_id == seller_id, at >= first, at <= last]
            if f.sku is not None:
                where.append(back.c.sku == f.sku)
            if f.skus is not None:
                where.append(back.c.sku.in_(f.skus))
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
            columns = [day_bucket(at, f, self.dialect).label("at"), key.label("key")]
            if by_reason:
                columns.append(back.c.reason_code.label("reason_code"))
            parts.append(
                select(*columns, (back.c.units * sign).label("units"))
                .select_from(source)
                .where(*where)
            )
        return self._summed(parts, keys=3 if by_reason else 2)

    def _summed(self, parts: list[Any], keys: int) -> list[tuple[Any, ...]]:
        """The rows of ``parts`` summed per their first ``keys`` columns; empty cells left out.

        Months less their days left out share buckets with those days: summed here, in SQL.
        """
        first, *others = parts
        rows = (first.union_all(*others) if others else first).subquery()
        columns = list(rows.c)
        units = func.sum(columns[keys])
        statement = select(*columns[:keys], units).group_by(*columns[:keys]).having(units != 0)
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
