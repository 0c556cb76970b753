"""Objects made through the use cases, for tests that drive services directly."""

from __future__ import annotations

from datetime import timedelta

from rma.bootstrap import Container
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.sellers import Seller, SellerKind
from rma.services import catalog, sellers
from rma.services.clock import utcnow


def seller_with_order(
    container: Container,
    *,
    delivered_days_ago: int = 3,
    kind: SellerKind = SellerKind.PROFESSIONAL,
    number: str = "1001",
) -> tuple[Seller, Order]:
    """A new seller and one delivered order of two lines (2 x TEE, 1 x MUG)."""
    seller = sellers.create_seller(sellers.CreateSeller("Shop", kind), container.uow())
    return seller, add_order(container, seller.id, number, delivered_days_ago)


def add_order(container: Container, seller_id: str, number: str, delivered_days_ago: int) -> Order:
    delivered = utcnow() - timedelta(days=delivered_days_ago)
    lines = [OrderLine("1", "TEE", 2, 2500, "Tee"), OrderLine("2", "MUG", 1, 1200, "Mug")]
    order = Order(
        id=new_id("ord"),
        seller_id=seller_id,
        number=number,
        customer_email="ada@example.com",
        currency="USD",
        ordered_at=delivered - timedelta(days=3),
        lines=lines,
        shipments=[
            Shipment(
                id=new_id("shp"),
                shipped_at=delivered - timedelta(days=2),
                delivered_at=delivered,
                items=[ShipmentItem(line.line_id, line.quantity) for line in lines],
            )
        ],
    )
    return catalog.add_order(order, container.uow())
