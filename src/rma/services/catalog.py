"""Use cases that feed rma the seller's products and orders."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.ids import new_id
from rma.domain.orders import Order, Product, Shipment
from rma.domain.sellers import ReasonCode
from rma.services.unit_of_work import UnitOfWork


def add_product(product: Product, uow: UnitOfWork) -> Product:
    """Create a product, or update the name, category and Amazon ids of an existing SKU."""
    with uow:
        existing = uow.products.get(product.seller_id, product.sku)
        if existing is None:
            uow.products.add(product)
            existing = product
        else:
            existing.name = product.name
            existing.category = product.category
            existing.asin = product.asin
            existing.fnsku = product.fnsku
        uow.commit()
        return existing


def add_order(order: Order, uow: UnitOfWork) -> Order:
    """Record an order with its lines and any shipments already made."""
    _check_order(order)
    with uow:
        if uow.orders.by_number(order.seller_id, order.number) is not None:
            raise Conflict(
                f"order {order.number} already exists",
                code="duplicate_order",
                details=[{"field": "number", "value": order.number}],
            )
        uow.orders.add(order)
        uow.commit()
        return order


@dataclass(frozen=True)
class AddShipment:
    seller_id: str
    order_id: str
    shipment: Shipment


def add_shipment(cmd: AddShipment, uow: UnitOfWork) -> Order:
    """Record that units of an order shipped (and, when known, were delivered)."""
    with uow:
        order = _order(uow, cmd.seller_id, cmd.order_id)
        order.shipments.append(cmd.shipment)
        _check_order(order)
        uow.commit()
        return order


@dataclass(frozen=True)
class SetShippingAddress:
    seller_id: str
    order_ref: str
    address: Address


def set_shipping_address(cmd: SetShippingAddress, uow: UnitOfWork) -> Order:
    """Say where an order went; returns asked for from now on leave from there."""
    with uow:
        order = _order(uow, cmd.seller_id, cmd.order_ref)
        order.shipping_address = cmd.address
        uow.commit()
        return order


def get_order(seller_id: str, order_ref: str, uow: UnitOfWork) -> Order:
    """An order of the seller by id or number, or ``NotFound``."""
    with uow:
        return _order(uow, seller_id, order_ref)


def _order(uow: UnitOfWork, seller_id: str, order_ref: str) -> Order:
    order = uow.orders.get(seller_id, order_ref) or uow.orders.by_number(seller_id, order_ref)
    if order is None:
        raise NotFound(f"no order {order_ref}", code="order_not_found")
    return order


def _check_order(order: Order) -> None:
    line_ids = [line.line_id for line in order.lines]
    if len(set(line_ids)) != len(line_ids):
        raise InvalidInput("each line needs its own line_id", code="duplicate_line")
    for shipment in order.shipments:
        if not shipment.id:
            shipment.id = new_id("shp")
        for item in shipment.items:
            line = order.line(item.line_id)
            if line is None:
                raise InvalidInput(
                    f"shipment names line {item.line_id!r}, which the order does not have",
                    code="unknown_line",
                    details=[{"field": "shipments.items.line_id", "value": item.line_id}],
                )
    for line in order.lines:
        if order.shipped_quantity(line.line_id) > line.quantity:
            raise InvalidInput(
                f"line {line.line_id!r}: more shipped than ordered",
                code="over_shipped",
                details=[{"field": "shipments", "line_id": line.line_id}],
            )


def reason_codes_for(seller_id: str, sku: str | None, uow: UnitOfWork) -> list[ReasonCode]:
    """The seller's reason codes, narrowed to those valid for ``sku`` when one is given."""
    with uow:
        codes = uow.reason_codes.all(seller_id)
        if sku is None:
            return codes
        product = uow.products.get(seller_id, sku)
        category = product.category if product else None
        return [code for code in codes if code.applies_to(category)]
