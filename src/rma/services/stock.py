"""The stock the returns brought back, as the desk shows it: per SKU, and the ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rma.domain.addresses import Facility
from rma.domain.inventory import Movement
from rma.services.physical_ports import SkuReconciliation
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class StockFilter:
    """Which ledger lines to show; the per-SKU totals follow the SKU alone."""

    sku: str | None = None
    location: str | None = None
    since: datetime | None = None
    until: datetime | None = None  # excluded


@dataclass(frozen=True)
class StockView:
    skus: list[SkuReconciliation]
    movements: list[Movement]
    facilities: list[Facility]


def stock_view(seller_id: str, where: StockFilter, uow: UnitOfWork, limit: int = 500) -> StockView:
    """Per SKU: expected back, received, restocked, written off and each bucket; the ledger."""
    with uow:
        return StockView(
            uow.inventory.reconciliation(seller_id, where.sku),
            uow.inventory.movements(
                seller_id, where.sku, where.location, limit, since=where.since, until=where.until
            ),
            uow.facilities.all(seller_id),
        )
