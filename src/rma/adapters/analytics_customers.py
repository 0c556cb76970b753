"""Top customers: who returned the most over a period, read from cumulative monthly counts.

Read raw, the measure groups every return and item of the period by the customer's address
(seconds at a million returns). On PostgreSQL the due job keeps instead, per customer and
local month, the returns and units counted up to that month's end (``customer_months``, a
row for every month from the customer's first), and per return what it counted
(``customer_returns``). A period of whole months is then one month's rows less an earlier
one's; a period's first and last months, when it covers them in part, add or take off the
counted returns of the days they leave out or keep (whichever are fewer), read from
``customer_returns`` by request time. Triggers list the returns whose facts changed since
they were counted (``customer_return_moves``): a read takes out what they counted and puts
back what their facts say, so it is exact whether or not the job ran; the job counts them
again. Filters, SQLite, a zone the rollup is not in, or too many moved returns read raw.
"""

from __future__ import annotations

import contextlib
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, Select, and_, func, literal, select, text, union_all
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from rma.adapters.analytics_filters import (
    NOT_COUNTED,
    Row,
    in_period,
    item_conditions,
    r,
    return_conditions,
    ri,
)
from rma.adapters.orm import sellers
from rma.adapters.orm_analytics import (
    customer_months,
    customer_return_moves,
    customer_returns,
    customer_rollup_marks,
)
from rma.domain.analytics import MeasureFilter, Period

cm = customer_months
cr = customer_returns
moves = customer_return_moves
marks = customer_rollup_marks
MOVED_AT_MOST = 5000  # returns changed since they were counted, read raw beside the rollup

_COUNTED_RETURNS = """
    SELECT r.seller_id, r.id, r.customer_email, r.created_at, sum(i.requested_quantity)
    FROM returns r JOIN return_items i ON i.seller_id = r.seller_id AND i.return_id = r.id
    WHERE r.seller_id = :seller AND r.status NOT IN ('denied', 'cancelled', 'expired')
"""
_MONTH = "date_trunc('month', created_at AT TIME ZONE :tz)::date"

# Every customer's cumulative counts for every month from their first to ``last``.
_BUILD_MONTHS = text(
    f"""
    WITH per AS (
        SELECT customer_email, {_MONTH} AS month, count(*) AS returns, sum(units) AS units
        FROM customer_returns WHERE seller_id = :seller GROUP BY 1, 2
    ), firsts AS (
        SELECT customer_email, min(month) AS first FROM per GROUP BY 1
    ), dense AS (
        SELECT f.customer_email, m.month::date AS month,
               sum(coalesce(p.returns, 0)) OVER w AS returns,
               sum(coalesce(p.units, 0)) OVER w AS units
        FROM firsts f
        CROSS JOIN LATERAL generate_series(f.first::timestamp, CAST(:last AS timestamp),
                                           interval '1 month') AS m(month)
        LEFT JOIN per p ON p.customer_email = f.customer_email AND p.month = m.month::date
        WINDOW w AS (PARTITION BY f.customer_email ORDER BY m.month)
    )
    INSERT INTO customer_months (seller_id, month, customer_email, returns, units)
    SELECT :seller, month, customer_email, returns, units FROM dense
    ORDER BY month, customer_email
    """
)

# The seller's last month's rows carried into the months after it, up to ``top``.
_EXTEND_MONTHS = text(
    """
    INSERT INTO customer_months (seller_id, month, customer_email, returns, units)
    SELECT c.seller_id, m.month::date, c.customer_email, c.returns, c.units
    FROM customer_months c
    CROSS JOIN generate_series(CAST(:last AS timestamp) + interval '1 month',
                               CAST(:top AS timestamp), interval '1 month') AS m(month)
    WHERE c.seller_id = :seller AND c.month = :last
    """
)

# A row (at zero) for each changed customer's months from its change on, where it has none:
# months before a customer's first row count nothing for it.
_OPEN_MONTHS = text(
    """
    INSERT INTO customer_months (seller_id, month, customer_email, returns, units)
    SELECT :seller, m.month::date, x.email, 0, 0
    FROM unnest(CAST(:emails AS text[]), CAST(:months AS date[])) AS x(email, first)
    CROSS JOIN LATERAL generate_series(x.first::timestamp, CAST(:last AS timestamp),
                                       interval '1 month') AS m(month)
    ON CONFLICT DO NOTHING
    """
)

# Each change of a customer's counts in a month added to that month and every later one.
_ADD_CHANGES = text(
    """
    UPDATE customer_months c SET returns = c.returns + d.returns, units = c.units + d.units
    FROM (
        SELECT m.month, m.customer_email, sum(x.returns) AS returns, sum(x.units) AS units
        FROM unnest(CAST(:emails AS text[]), CAST(:months AS date[]),
                    CAST(:returns AS bigint[]), CAST(:units AS bigint[]))
             AS x(email, month, returns, units)
        JOIN customer_months m
          ON m.seller_id = :seller AND m.customer_email = x.email AND m.month >= x.month
        GROUP BY m.month, m.customer_email
    ) d
    WHERE c.seller_id = :seller AND c.month = d.month AND c.customer_email = d.customer_email
    """
)


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _month_before(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


def _last_of_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


Months = list[tuple[date, int]]  # (month, sign): its rows, added or taken off
Days = list[tuple[date, date, int]]  # (first, last, sign): counted returns of those days


def counted_through(day: date, sign: int) -> tuple[Months, Days]:
    """What was counted up to the end of ``day``: (month, sign) rows and (first, last, sign)
    day ranges of counted returns, the month's rows less its days after ``day`` or the
    month before's rows plus its days up to ``day``, whichever reads fewer days."""
    month = _first_of_month(day)
    end = _last_of_month(day)
    if day == end:
        return [(month, sign)], []
    if (end - day).days <= day.day:
        return [(month, sign)], [(day + timedelta(days=1), end, -sign)]
    return [(_month_before(month), sign)], [(month, day, sign)]


def period_plan(start: date, end: date) -> tuple[Months, Days]:
    """The months' rows and day ranges whose signed sums are the period's counts."""
    if _first_of_month(start) == _first_of_month(end):
        return [], [(start, end, 1)]
    months, days = counted_through(end, 1)
    before_months, before_days = counted_through(start - timedelta(days=1), -1)
    return months + before_months, days + before_days


class CustomerQueries:
    """Top customers of one seller, and keeping their monthly counts."""

    session: Session
    use_rollups: bool

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def top_customers(self, seller_id: str, f: MeasureFilter, limit: int) -> list[Row]:
        """(email, returns, units returned) of the customers who returned the most."""
        if self._customers_counted(seller_id, f):
            return self._rolled_up_customers(seller_id, f, limit)
        return self._raw_customers(seller_id, f, limit)

    def _customers_counted(self, seller_id: str, f: MeasureFilter) -> bool:
        """Whether the monthly counts can answer ``f``: no filter, in their zone, and few
        returns changed since they were counted."""
        unfiltered = (f.sku, f.skus, f.category, f.reason, f.facility, f.channel) == (None,) * 6
        if not (self.use_rollups and unfiltered and self.dialect == "postgresql"):
            return False
        zone = select(marks.c.timezone).where(marks.c.seller_id == seller_id)
        if self.session.scalar(zone) != f.period.tz:
            return False
        moved = select(moves.c.return_id).where(moves.c.seller_id == seller_id)
        counted = select(func.count()).select_from(moved.limit(MOVED_AT_MOST + 1).subquery())
        return (self.session.scalar(counted) or 0) <= MOVED_AT_MOST

    def _rolled_up_customers(self, seller_id: str, f: MeasureFilter, limit: int) -> list[Row]:
        # The months after the last one with rows count what it counts. Read in the statement,
        # so that it is the last month of the rows and moves the statement sees.
        last_month = (
            select(marks.c.last_month).where(marks.c.seller_id == seller_id).scalar_subquery()
        )
        months, days = period_plan(f.period.start, f.period.end)
        parts: list[Select[Any]] = []
        for month, sign in months:
            parts.append(
                select(cm.c.customer_email, cm.c.returns * sign, cm.c.units * sign).where(
                    cm.c.seller_id == seller_id,
                    cm.c.month == func.least(literal(month, Date), last_month),
                )
            )
        for first, last, sign in days:
            start, after = Period(first, last, f.period.tz).utc_bounds()
            parts.append(
                select(cr.c.customer_email, literal(sign), cr.c.units * sign).where(
                    cr.c.seller_id == seller_id, cr.c.created_at >= start, cr.c.created_at < after
                )
            )
        moved = select(moves.c.return_id).where(moves.c.seller_id == seller_id)
        parts.append(  # what the moved returns counted, taken out
            select(cr.c.customer_email, literal(-1), -cr.c.units).where(
                cr.c.seller_id == seller_id,
                in_period(cr.c.created_at, f),
                cr.c.return_id.in_(moved),
            )
        )
        parts.append(  # and what their facts say, put back
            select(r.c.customer_email, literal(1), func.sum(ri.c.requested_quantity))
            .select_from(r)
            .join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
            .where(
                r.c.seller_id == seller_id,
                in_period(r.c.created_at, f),
                r.c.status.not_in(NOT_COUNTED),
                r.c.id.in_(moved),
            )
            .group_by(r.c.id, r.c.customer_email)
        )
        every = union_all(*parts).subquery()
        email, returns, units = every.c
        total_returns, total_units = func.sum(returns), func.sum(units)
        statement = (
            select(email, total_returns, total_units)
            .group_by(email)
            .having(total_returns > 0)
            .order_by(total_returns.desc(), total_units.desc(), email)
            .limit(limit)
        )
        return [tuple(row) for row in self.session.execute(statement)]

    def _raw_customers(self, seller_id: str, f: MeasureFilter, limit: int) -> list[Row]:
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
        if self.dialect != "postgresql":
            return [tuple(row) for row in self.session.execute(statement)]
        # Grouping every return of the period: parallel workers, which rma's connections plan
        # without (adapters/database.py), halve it at 1M returns.
        connection = self.session.connection()
        connection.exec_driver_sql("SET max_parallel_workers_per_gather = 2")
        try:
            return [tuple(row) for row in connection.execute(statement)]
        finally:
            # A failed transaction undoes the SET by itself; its RESET would fail too.
            with contextlib.suppress(DBAPIError):
                connection.exec_driver_sql("RESET max_parallel_workers_per_gather")

    def refresh_customers(self, seller_id: str, tz: str, now: datetime) -> int:
        """Count again the returns changed since they were counted (all of them when the
        rollup is new or in another zone); answer how many returns were counted."""
        if self.dialect != "postgresql":
            return 0  # SQLite reads the facts
        params = {"seller": seller_id, "tz": tz}
        # A mark first, so that concurrent runs wait for each other on it.
        self.session.execute(
            text(
                "INSERT INTO customer_rollup_marks (seller_id, timezone, refreshed_at)"
                " VALUES (:seller, '', :now) ON CONFLICT DO NOTHING"
            ),
            {**params, "now": now},
        )
        mark = self.session.execute(
            select(marks.c.timezone, marks.c.last_month)
            .where(marks.c.seller_id == seller_id)
            .with_for_update()
        ).one()
        if mark.timezone != tz:
            counted = self._count_all(params)
        else:
            counted = self._count_moved(params, mark.last_month)
        self.session.execute(
            marks.update()
            .where(marks.c.seller_id == seller_id)
            .values(timezone=tz, refreshed_at=now)
        )
        return counted

    def _count_all(self, params: dict[str, Any]) -> int:
        """Build the seller's rollup from nothing, in its zone."""
        for table in (cm, cr, moves):
            self.session.execute(table.delete().where(table.c.seller_id == params["seller"]))
        done = self.session.execute(
            text(
                "INSERT INTO customer_returns (seller_id, return_id, customer_email, created_at,"
                f" units) {_COUNTED_RETURNS} GROUP BY r.seller_id, r.id"
            ),
            params,
        )
        last = self.session.scalar(
            text(f"SELECT max({_MONTH}) FROM customer_returns WHERE seller_id = :seller"), params
        )
        if last is not None:
            self.session.execute(_BUILD_MONTHS, {**params, "last": last})
        self._set_last_month(params["seller"], last)
        return int(getattr(done, "rowcount", 0) or 0)

    def _count_moved(self, params: dict[str, Any], last: date | None) -> int:
        """Count again the returns the triggers listed, and carry the changes into the months."""
        ids = list(
            self.session.scalars(
                text(
                    "DELETE FROM customer_return_moves WHERE seller_id = :seller"
                    " RETURNING return_id"
                ),
                params,
            )
        )
        if not ids:
            return 0
        changes: dict[tuple[str, date], list[int]] = {}
        taken_out = self.session.execute(
            text(
                "DELETE FROM customer_returns WHERE seller_id = :seller AND return_id = ANY(:ids)"
                f" RETURNING customer_email, {_MONTH}, units"
            ),
            {**params, "ids": ids},
        )
        put_back = self.session.execute(
            text(
                "INSERT INTO customer_returns (seller_id, return_id, customer_email, created_at,"
                f" units) {_COUNTED_RETURNS} AND r.id = ANY(:ids) GROUP BY r.seller_id, r.id"
                f" RETURNING customer_email, {_MONTH}, units"
            ),
            {**params, "ids": ids},
        )
        for sign, rows in ((-1, list(taken_out)), (1, list(put_back))):
            for email, month, units in rows:
                change = changes.setdefault((email, month), [0, 0])
                change[0] += sign
                change[1] += sign * int(units)
        changed = {key: c for key, c in changes.items() if c != [0, 0]}
        if not changed:
            return len(ids)
        top = max(month for _, month in changed)
        if last is not None and top > last:
            self.session.execute(_EXTEND_MONTHS, {**params, "last": last, "top": top})
        last = top if last is None or top > last else last
        firsts: dict[str, date] = {}
        for email, month in changed:
            firsts[email] = min(month, firsts.get(email, month))
        self.session.execute(
            _OPEN_MONTHS,
            {**params, "last": last, "emails": list(firsts), "months": list(firsts.values())},
        )
        keys = list(changed)
        self.session.execute(
            _ADD_CHANGES,
            {
                **params,
                "emails": [email for email, _ in keys],
                "months": [month for _, month in keys],
                "returns": [changed[k][0] for k in keys],
                "units": [changed[k][1] for k in keys],
            },
        )
        self._set_last_month(params["seller"], last)
        return len(ids)

    def _set_last_month(self, seller_id: str, last: date | None) -> None:
        self.session.execute(
            marks.update().where(marks.c.seller_id == seller_id).values(last_month=last)
        )

    def customers_behind(self) -> list[str]:
        """Sellers whose top customers' rollup is missing, in another zone, or has returns
        changed since they were counted (none on SQLite)."""
        if self.dialect != "postgresql":
            return []
        mark = marks.alias("mark")
        statement = (
            select(sellers.c.id)
            .outerjoin(mark, mark.c.seller_id == sellers.c.id)
            .where(
                (mark.c.seller_id.is_(None))
                | (mark.c.timezone != sellers.c.timezone)
                | select(moves.c.return_id).where(moves.c.seller_id == sellers.c.id).exists()
            )
        )
        return sorted(str(x) for x in self.session.scalars(statement))
