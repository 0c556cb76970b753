"""Catalog, orders and shipments, and the customer's portal session."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import (
    AwareDatetime,
    Code,
    Currency,
    Email,
    In,
    MinorUnits,
    Name,
    Quantity,
)
from rma.api.schemas.setup import AddressIn, AddressPublic
from rma.domain.orders import Order

# -- catalog and orders ---------------------------------------------------------------------


class ProductCreate(In):
    sku: Code
    name: Name
    category: Code | None = None
    asin: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{10}$")] | None = None
    fnsku: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{10}$")] | None = None


class ProductPublic(BaseModel):
    sku: str
    name: str
    category: str | None
    asin: str | None = None
    fnsku: str | None = None


class OrderLineIn(In):
    line_id: Code
    sku: Code
    name: Annotated[str, StringConstraints(max_length=300)] = ""
    quantity: Quantity
    unit_price: MinorUnits
    tax_per_unit: MinorUnits = 0


class ShipmentItemIn(In):
    line_id: Code
    quantity: Quantity


class ShipmentCreate(In):
    id: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    shipped_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    carrier: Annotated[str, StringConstraints(max_length=64)] | None = None
    tracking_number: Annotated[str, StringConstraints(max_length=100)] | None = None
    facility_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    items: Annotated[list[ShipmentItemIn], Field(min_length=1, max_length=500)]


class OrderCreate(In):
    number: Code
    customer_email: Email
    customer_name: Annotated[str, StringConstraints(max_length=200)] = ""
    currency: Currency
    ordered_at: AwareDatetime
    shipping_amount: MinorUnits = 0
    shipping_address: AddressIn | None = Field(
        default=None, description="Where the order went: the sender of the return label."
    )
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    shipments: Annotated[list[ShipmentCreate], Field(max_length=100)] = []


class OrderLinePublic(BaseModel):
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: int
    tax_per_unit: int
    shipped_quantity: int


class ShipmentItemPublic(BaseModel):
    line_id: str
    quantity: int


class ShipmentPublic(BaseModel):
    id: str
    shipped_at: datetime
    delivered_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    facility_code: str | None
    items: list[ShipmentItemPublic]


class OrderPublic(BaseModel):
    id: str
    number: str
    customer_email: str
    customer_name: str
    currency: str
    ordered_at: datetime
    shipping_amount: int
    shipping_address: AddressPublic | None
    lines: list[OrderLinePublic]
    shipments: list[ShipmentPublic]

    @classmethod
    def of(cls, order: Order) -> OrderPublic:
        return cls(
            id=order.id,
            number=order.number,
            customer_email=order.customer_email,
            customer_name=order.customer_name,
            currency=order.currency,
            ordered_at=order.ordered_at,
            shipping_amount=order.shipping_amount,
            shipping_address=(
                AddressPublic.of(order.shipping_address) if order.shipping_address else None
            ),
            lines=[
                OrderLinePublic(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_per_unit=line.tax_per_unit,
                    shipped_quantity=order.shipped_quantity(line.line_id),
                )
                for line in order.lines
            ],
            shipments=[
                ShipmentPublic(
                    id=s.id,
                    shipped_at=s.shipped_at,
                    delivered_at=s.delivered_at,
                    carrier=s.carrier,
                    tracking_number=s.tracking_number,
                    facility_code=s.facility_code,
                    items=[
                        ShipmentItemPublic(line_id=i.line_id, quantity=i.quantity) for i in s.items
                    ],
                )
                for s in order.shipments
            ],
        )


class PortalSessionCreate(In):
    order_number: Code
    email: Email
    seller_id: Annotated[str, StringConstraints(max_length=40)] | None = None


class PortalSessionPublic(BaseModel):
    token: str = Field(
        description="Send as `Authorization: Bearer <token>`; it opens this order only."
    )
    expires_at: datetime
    order: OrderPublic
