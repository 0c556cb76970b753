"""Damage, outcomes and money read from the daily rollups PostgreSQL's triggers keep.

``inspected_units_daily`` holds inspected items per local day, SKU, reason, channel, carrier,
condition and disposition; ``money_daily`` the money measures per local day and currency.
Both are exact: the triggers of migration 0010 apply every change of the facts in the same
transaction. Each read here answers the same rows as the raw statement it replaces (see
``OperationsQueries``); cells emptied by later changes are left out by their fact counts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal, select
from sqlalchemy.orm import Session

from rma.adapters.analytics_filters import Row, p
from rma.adapters.local_time import day_bucket
from rma.adapters.orm_analytics import inspected_units_daily, money_daily
from rma.domain.analytics import UNCATEGORIZED, MeasureFilter

done = inspected_units_daily
cash = money_daily


class OperationsRollups:
    """The rolled-up operations measures of one session (PostgreSQL)."""

    def __init__(self, session: Session):
        self.session = session

    def _inspected(self, seller_id: str, f: MeasureFilter) -> tuple[Any, list[Any]]:
        """The source and conditions of the inspected items in ``f``'s period and filters."""
        where: list[ColumnElement[bool]] = [
            done.c.seller_id == seller_id,
            done.c.day >= f.period.start,
            done.c.day <= f.period.end,
        ]
        if f.sku is not None:
            where.append(done.c.sku == f.sku)
        if f.reason is not None:
            where.append(done.c.reason_code == f.reason)
        if f.channel is not None:
            where.append(done.c.channel == f.channel.value)
        source: Any = done
        if f.category is not None:
            source = done.outerjoin(p, and_(p.c.seller_id == seller_id, p.c.sku == done.c.sku))
            where.append(func.coalesce(p.c.category, UNCATEGORIZED) == f.category)
        return source, where

    def damaged(self, seller_id: str, f: MeasureFilter) -> Any:
        """A select of (at, carrier, units, exceptions=0) of carrier-damaged inspected items."""
        source, where = self._inspected(seller_id, f)
        # As text: it is read together with the raw exceptions, whose buckets are text.
        at = func.to_char(day_bucket(done.c.day, f, "postgresql"), "YYYY-MM-DD")
        return (
            select(
                at.label("at"),
                done.c.carrier.label("carrier"),
                func.sum(done.c.received_units).label("units"),
                literal(0).label("exceptions"),
            )
            .select_from(source)
            .where(*where, done.c.condition == "carrier_damaged")
            .group_by(at, done.c.carrier)
            .having(func.sum(done.c["items"]) > 0)
        )

    def outcomes(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(SKU, condition, disposition, units accepted, units rejected) over the period."""
        source, where = self._inspected(seller_id, f)
        keys = (done.c.sku, done.c.condition, done.c.disposition)
        statement = (
            select(*keys, func.sum(done.c.accepted_units), func.sum(done.c.rejected_units))
            .select_from(source)
            .where(*where)
            .group_by(*keys)
            .having(func.sum(done.c["items"]) > 0)
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
