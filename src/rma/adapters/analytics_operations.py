"""The measures of what happens to returns: damage, money, outcomes, customers' shipments.

Each is one grouped statement over the facts (returns, items, history, refunds, the
ledgers), the same on SQLite and PostgreSQL. On PostgreSQL, damage, outcomes and money read
the trigger-kept daily rollups instead where those hold what is asked
(``rma.adapters.operations_rollups``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, and_, func, literal, select, union_all
from sqlalchemy.orm import Session

from rma.adapters import orm, orm_money, orm_physical
from rma.adapters.analytics_filters import (
    Row,
    category_of,
    in_period,
    item_conditions,
    o,
    ol,
    r,
    return_conditions,
    return_matches,
    ri,
    s,
    si,
)
from rma.adapters.local_time import bucket
from rma.adapters.operations_rollups import OperationsRollups
from rma.domain.analytics import MeasureFilter
from rma.domain.inventory import Bucket


class OperationsQueries:
    """Damage, money, outcomes and units shipped to customers of one seller (speed:
    ``analytics_speed``; top customers: ``analytics_customers``)."""

    session: Session
    use_rollups: bool

    @property
    def dialect(self) -> str:
        return self.session.get_bind().dialect.name

    def _rolled_up(self, seller_id: str, f: MeasureFilter) -> bool:
        """Whether the trigger-kept daily rollups can answer for ``f``.

        On PostgreSQL only (the triggers live there), without a facility (where a return was
        received is not in them), and for periods in the seller's own zone (their days are).
        """
        if not self.use_rollups or self.dialect != "postgresql" or f.facility is not None:
            return False
        zone = select(orm.sellers.c.timezone).where(orm.sellers.c.id == seller_id)
        return self.session.scalar(zone) == f.period.tz

    def _rows(self, statement: Select[Any] | Any) -> list[Row]:
        return [tuple(row) for row in self.session.execute(statement)]

    def carrier_damage(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(bucket, carrier, units inspected as carrier-damaged, carrier exceptions)."""
        carrier = func.coalesce(r.c.carrier, "(unknown)")
        damaged_at = bucket(ri.c.inspected_at, f, self.dialect)
        damaged: Any = (
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
        if self._rolled_up(seller_id, f):
            damaged = OperationsRollups(self.session).damaged(seller_id, f)
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
        unfiltered = f.sku is None and f.reason is None and f.category is None
        if unfiltered and f.channel is None and self._rolled_up(seller_id, f):
            return OperationsRollups(self.session).money(seller_id, f)
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
                # A breakdown without the key took nothing off: 0, as the rollup counts it.
                func.sum(func.coalesce(rf.c.breakdown["restocking_fee"].as_integer(), 0)),
                func.sum(func.coalesce(rf.c.breakdown["label_cost"].as_integer(), 0)),
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

    def outcomes(self, seller_id: str, f: MeasureFilter) -> list[Row]:
        """(SKU, condition, disposition, units accepted, units rejected) of inspected items."""
        if self._rolled_up(seller_id, f):
            return OperationsRollups(self.session).outcomes(seller_id, f)
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
