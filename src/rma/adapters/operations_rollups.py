"""Damage, outcomes and money read from the daily rollups PostgreSQL's triggers keep.

``inspected_units_daily`` holds inspected items per local day, SKU, reason, channel, carrier,
condition and disposition, ``inspected_units_monthly`` the same per month without reason and
carrier; ``money_daily`` the money measures per local day and currency. All are exact: the
triggers of migrations 0010 and 0013 apply every change of the facts in the same
transaction. Each read here answers the same rows as the raw statement it replaces (see
``OperationsQueries``); cells emptied by later changes are left out by their fact counts.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, literal, select, union_all
from sqlalchemy.orm import Session

from rma.adapters.analytics_filters import Row, p
from rma.adapters.analytics_rollups import spans
from rma.adapters.local_time import day_bucket
from rma.adapters.orm_analytics import inspected_units_daily, inspected_units_monthly, money_daily
from rma.domain.analytics import UNCATEGORIZED, Grain, MeasureFilter

done = inspected_units_daily
months = inspected_units_monthly
cash = money_daily


class OperationsRollups:
    """The rolled-up operations measures of one session (PostgreSQL)."""

    def __init__(self, session: Session):
        self.session = session

    def _inspected(
        self, seller_id: str, f: MeasureFilter, span: tuple[Table, Any, date, date] | None = None
    ) -> tuple[Any, list[Any]]:
        """The source and conditions of the inspected items in ``f``'s period and filters,
        read from ``span`` (a rollup, its time column, first and last) or the whole days."""
        table, at, first, last = span or (done, done.c.day, f.period.start, f.period.end)
        where: list[ColumnElement[bool]] = [table.c.seller_id == seller_id, at >= first, at <= last]
        if f.sku is not None:
            where.append(table.c.sku == f.sku)
        if f.reason is not None:
            where.append(table.c.reason_code == f.reason)
        if f.channel is not None:
            where.append(table.c.channel == f.channel.value)
        source: Any = table
        if f.category is not None:
            source = table.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == table.c.sku))
            where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
        return source, where

    def _spans(self, f: MeasureFilter) -> list[tuple[Table, Any, date, date, int]]:
        """The days, or by month the months (less the days left out) unless a reason is
        asked: the months have none."""
        if f.reason is None:
            return spans(f, done, months)
        return [(done, done.c.day, f.period.start, f.period.end, 1)]

    def damaged(self, seller_id: str, f: MeasureFilter) -> Any:
        """A select of (at, carrier, units, exceptions=0) of carrier-damaged inspected items."""
        parts = []
        for table, day, first, last, sign in self._spans(f):
            source, where = self._inspected(seller_id, f, (table, day, first, last))
            parts.append(
                select(
                    day_bucket(day, f, "postgresql").label("at"),
                    table.c.carrier.label("carrier"),
                    (table.c.received_units * sign).label("units"),
                    (table.c["items"] * sign).label("items"),
                )
                .select_from(source)
                .where(*where, table.c.condition == "carrier_damaged")
            )
        first_part, *others = parts
        cells = (first_part.union_all(*others) if others else first_part).subquery()
        # As text: it is read together with the raw exceptions, whose buckets are text.
        at = func.to_char(cells.c.at, "YYYY-MM-DD")
        return (
            select(
                at.label("at"),
                cells.c.carrier.label("carrier"),
                func.sum(cells.c.units).label("units"),
                literal(0).label("exceptions"),
            )
            .group_by(at, cells.c.carrier)
            .having(func.sum(cells.c["items"]) > 0)
        )

    def outcomes(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(SKU, condition, disposition, units accepted, units rejected) over the period.

        Whole months come from the monthly rollup, the days around them from the daily one;
        a reason filter reads the days only (the months have no reason).
        """
        parts = []
        for table, at, first, last, sign in self._spans(replace(f, grain=Grain.MONTH)):
            source, where = self._inspected(seller_id, f, (table, at, first, last))
            parts.append(
                select(
                    table.c.sku.label("sku"),
                    table.c.condition.label("condition"),
                    table.c.disposition.label("disposition"),
                    (table.c["items"] * sign).label("items"),
                    (table.c.accepted_units * sign).label("accepted"),
                    (table.c.rejected_units * sign).label("rejected"),
                )
                .select_from(source)
                .where(*where)
            )
        both = union_all(*parts).subquery() if len(parts) > 1 else parts[0].subquery()
        keys = (both.c.sku, both.c.condition, both.c.disposition)
        statement = (
            select(*keys, func.sum(both.c.accepted), func.sum(both.c.rejected))
            .group_by(*keys)
            .having(func.sum(both.c["items"]) > 0)
        )
        return [tuple(row) for row in self.session.execute(statement)]

    def money(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, currency, measure, minor units) of every money measure, unfiltered."""
        at = day_bucket(cash.c.day, f, "postgresql")
        statement = (
            select(at, cash.c.currency, cash.c.measure, func.sum(cash.c.amount))
            .where(
                cash.c.seller_id == seller_id,
                cash.c.day >= f.period.start,
                cash.c.day <= f.period.end,
            )
            .group_by(at, cash.c.currency, cash.c.measure)
            .having(func.sum(cash.c.facts) > 0)
        )
        return [tuple(row) for row in self.session.execute(statement)]
