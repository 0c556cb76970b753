"""Keeping the job-kept rollups current: each seller's new shipments, the timings of
returns with new history, and the counts of top customers.

Reads never depend on it for correctness (rows past the watermarks are read raw); it only
keeps them fast. A seller whose time zone changed is rolled up again from the start.
"""

from __future__ import annotations

from collections.abc import Callable

from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork


def refresh_rollup(seller_id: str, uow: UnitOfWork) -> int:
    """Roll up one seller's new shipments, time its returns with new history and count its
    changed returns for top customers; answer how many shipment rows were added."""
    with uow:
        seller = uow.sellers.get(seller_id)
        if seller is None:
            return 0
        now = utcnow()
        added = uow.analytics.refresh_rollups(seller_id, seller.timezone, now)
        uow.analytics.refresh_timings(seller_id, now)
        uow.analytics.refresh_customers(seller_id, seller.timezone, now)
        uow.commit()
    return added


def refresh_rollups(uow_factory: Callable[[], UnitOfWork]) -> int:
    """Roll up every seller with new shipments or history, one transaction each; answer the
    shipment rows."""
    with uow_factory() as uow:
        stale = uow.analytics.stale_sellers()
    return sum(refresh_rollup(seller_id, uow_factory()) for seller_id in stale)
