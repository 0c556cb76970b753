"""Products, orders, their lines and shipments: what a customer can send back."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rma.domain.addresses import Address


@dataclass(eq=False)
class Product:
    """A seller's catalog entry; its category selects the return policy."""

    seller_id: str
    sku: str
    name: str
    category: str | None = None
    asin: str | None = None  # Amazon's ids of the product, for Amazon's return reports
    fnsku: str | None = None


@dataclass(eq=False)
class OrderLine:
    """One SKU of an order, identified by the seller's ``line_id``."""

    line_id: str
    sku: str
    quantity: int
    unit_price: int  # minor units of the order's currency
    name: str = ""
    tax_per_unit: int = 0


@dataclass(eq=False)
class ShipmentItem:
    """How many units of one order line left in one shipment."""

    line_id: str
    quantity: int


@dataclass(eq=False)
class Shipment:
    """A package sent to the customer."""

    id: str
    shipped_at: datetime
    delivered_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    facility_code: str | None = None  # the seller's facility it left from
    items: list[ShipmentItem] = field(default_factory=list)


@dataclass(eq=False)
class Order:
    """A customer's order with one seller."""

    id: str
    seller_id: str
    number: str
    customer_email: str
    currency: str
    ordered_at: datetime
    customer_name: str = ""
    shipping_amount: int = 0  # minor units charged for shipping the whole order
    shipping_address: Address | None = None  # where the order went: the return's sender
    lines: list[OrderLine] = field(default_factory=list)
    shipments: list[Shipment] = field(default_factory=list)

    def line(self, line_id: str) -> OrderLine | None:
        """The line with this id, if the order has it."""
        return next((line for line in self.lines if line.line_id == line_id), None)

    def shipped_quantity(self, line_id: str) -> int:
        """Units of this line that have shipped, over every shipment."""
        return sum(
            item.quantity
            for shipment in self.shipments
            for item in shipment.items
            if item.line_id == line_id
        )

    def delivered_at(self, line_id: str) -> datetime | None:
        """When the last delivered shipment carrying this line arrived, if any did."""
        delivered = [
            s.delivered_at
            for s in self.shipments
            if s.delivered_at is not None and any(i.line_id == line_id for i in s.items)
        ]
        return max(delivered, default=None)

    def owned_by(self, email: str) -> bool:
        """Whether ``email`` is the customer's (case-insensitive)."""
        return self.customer_email.strip().lower() == email.strip().lower()
