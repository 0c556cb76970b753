"""Storage of alerts: the counts the statistical test needs, and the alerts raised."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, or_, select, update
from sqlalchemy.orm import Session

from rma.adapters import orm
from rma.adapters.analytics_filters import NOT_COUNTED
from rma.adapters.orm_analytics import analytics_alert_checks, analytics_alerts
from rma.domain.analytics_alerts import Alert

r, ri, s, si, ol = orm.returns, orm.return_items, orm.shipments, orm.shipment_items, orm.order_lines


class SqlAlerts:
    def __init__(self, session: Session):
        self.session = session

    def window_counts(
        self, seller_id: str, start: datetime, split: datetime, end: datetime
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """Units returned per (SKU, reason) and shipped per SKU: (recent, baseline) each.

        The baseline is ``[start, split)``, the recent window ``[split, end)``.
        """
        units = ri.c.requested_quantity
        returned = (
            select(
                ri.c.sku,
                ri.c.reason_code,
                func.sum(case((r.c.created_at >= split, units), else_=0)),
                func.sum(case((r.c.created_at < split, units), else_=0)),
            )
            .select_from(r)
            .join(ri, and_(ri.c.seller_id == r.c.seller_id, ri.c.return_id == r.c.id))
            .where(
                r.c.seller_id == seller_id,
                r.c.created_at >= start,
                r.c.created_at < end,
                r.c.status.not_in(NOT_COUNTED),
            )
            .group_by(ri.c.sku, ri.c.reason_code)
        )
        quantity = si.c.quantity
        shipped = (
            select(
                ol.c.sku,
                func.sum(case((s.c.shipped_at >= split, quantity), else_=0)),
                func.sum(case((s.c.shipped_at < split, quantity), else_=0)),
            )
            .select_from(s)
            .join(si, and_(si.c.seller_id == s.c.seller_id, si.c.shipment_id == s.c.id))
            .join(
                ol,
                and_(
                    ol.c.seller_id == s.c.seller_id,
                    ol.c.order_id == s.c.order_id,
                    ol.c.line_id == si.c.line_id,
                ),
            )
            .where(s.c.seller_id == seller_id, s.c.shipped_at >= start, s.c.shipped_at < end)
            .group_by(ol.c.sku)
        )
        return (
            [tuple(row) for row in self.session.execute(returned)],
            [tuple(row) for row in self.session.execute(shipped)],
        )

    def raised(self, seller_id: str, window_end: datetime) -> set[tuple[str, str, str]]:
        """(kind, SKU, reason) of the alerts already raised for the window ending then."""
        a = analytics_alerts.c
        found = self.session.execute(
            select(a.kind, a.sku, a.reason_code).where(
                a.seller_id == seller_id, a.window_end == window_end
            )
        )
        return {(kind, sku, reason) for kind, sku, reason in found}

    def add(self, alert: Alert) -> None:
        self.session.add(alert)

    def recent(self, seller_id: str, limit: int) -> list[Alert]:
        a = analytics_alerts.c
        return list(
            self.session.scalars(
                select(Alert)
                .where(a.seller_id == seller_id)
                .order_by(a.created_at.desc(), a.id.desc())
                .limit(limit)
            )
        )

    def unseen(self, seller_id: str) -> int:
        a = analytics_alerts.c
        statement = select(func.count()).where(a.seller_id == seller_id, a.seen_at.is_(None))
        return int(self.session.execute(statement).scalar_one())

    def mark_seen(self, seller_id: str, now: datetime) -> int:
        a = analytics_alerts.c
        done = self.session.execute(
            update(analytics_alerts)
            .where(a.seller_id == seller_id, a.seen_at.is_(None))
            .values(seen_at=now)
        )
        return int(done.rowcount)  # type: ignore[attr-defined]

    def unchecked_sellers(self, window_end: datetime) -> list[str]:
        """Sellers not checked yet for the window ending at ``window_end``."""
        sellers, checks = orm.sellers, analytics_alert_checks
        statement = (
            select(sellers.c.id)
            .outerjoin(checks, checks.c.seller_id == sellers.c.id)
            .where(or_(checks.c.window_end.is_(None), checks.c.window_end < window_end))
            .order_by(sellers.c.id)
        )
        return [str(seller) for seller in self.session.scalars(statement)]

    def mark_checked(self, seller_id: str, window_end: datetime, now: datetime) -> None:
        """Remember that the seller was checked for the window ending at ``window_end``."""
        checks = analytics_alert_checks
        moved = self.session.execute(
            update(checks)
            .where(checks.c.seller_id == seller_id)
            .values(window_end=window_end, checked_at=now)
        )
        if not moved.rowcount:  # type: ignore[attr-defined]
            self.session.execute(
                insert(checks).values(seller_id=seller_id, window_end=window_end, checked_at=now)
            )
