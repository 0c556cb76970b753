"""Checking what a customer asks for against what the seller offers, before a return exists."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rma.domain import offers
from rma.domain.orders import Order
from rma.domain.policy import RequestedItem
from rma.domain.returns import Resolution
from rma.domain.sellers import Seller
from rma.services.unit_of_work import UnitOfWork


def check_offer(
    uow: UnitOfWork,
    seller: Seller,
    order: Order,
    items: Sequence[RequestedItem],
    resolution: Resolution,
    categories: Mapping[str, str | None],
) -> None:
    """Refuse a resolution the seller does not allow, or an exchange for no real variant."""
    asked = []
    for index, item in enumerate(items):
        line = order.line(item.line_id)
        if line is not None:
            asked.append(offers.AskedItem(index, line.sku, line.unit_price, item.exchange_sku))
    wanted = {a.exchange_sku for a in asked if a.exchange_sku}
    catalog = {sku: p for sku in wanted if (p := uow.products.get(seller.id, sku)) is not None}
    offers.check_resolution(seller, resolution, asked, categories, catalog)
