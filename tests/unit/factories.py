"""Domain objects for unit tests: a seller, an order shipped on a day, returns in any status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Shipment, ShipmentItem
from rma.domain.policy import PolicyDecision, RequestedItem, evaluate_request
from rma.domain.returns import Actor, Resolution, Return, ReturnItem
from rma.domain.sellers import Seller, SellerKind
from rma.domain.statuses import ReturnStatus

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
CUSTOMER = Actor("customer", "ord_1")
STAFF = Actor("seller", "key_1")


def seller(kind: SellerKind = SellerKind.PROFESSIONAL, **settings: object) -> Seller:
    return Seller(id="sel_1", name="Shop", kind=kind, created_at=NOW, **settings)  # type: ignore[arg-type]


def order(
    *,
    delivered_at: datetime | None = None,
    ordered_at: datetime | None = None,
    shipped: dict[str, int] | None = None,
    number: str = "1001",
) -> Order:
    """Two lines (2 tees, 1 mug), all shipped unless ``shipped`` says otherwise."""
    ordered_at = ordered_at or NOW - timedelta(days=10)
    lines = [OrderLine("1", "TEE", 2, 2500), OrderLine("2", "MUG", 1, 1200)]
    shipped = {"1": 2, "2": 1} if shipped is None else shipped
    shipments = []
    if any(shipped.values()):
        shipments.append(
            Shipment(
                id=new_id("shp"),
                shipped_at=ordered_at + timedelta(days=1),
                delivered_at=delivered_at,
                items=[ShipmentItem(line, qty) for line, qty in shipped.items() if qty],
            )
        )
    return Order(
        id=f"ord_{number}",
        seller_id="sel_1",
        number=number,
        customer_email="ada@example.com",
        currency="USD",
        ordered_at=ordered_at,
        lines=lines,
        shipments=shipments,
    )


def decide(
    the_order: Order,
    items: list[RequestedItem],
    *,
    the_seller: Seller | None = None,
    now: datetime = NOW,
    held: dict[str, int] | None = None,
) -> PolicyDecision:
    return evaluate_request(
        the_order,
        items,
        seller=the_seller or seller(),
        policies={},
        held=held or {},
        now=now,
    )


def requested(quantity: int = 2) -> Return:
    """A fresh return of ``quantity`` tees of a recent order, in status ``requested``."""
    the_order = order(delivered_at=NOW - timedelta(days=3))
    decision = decide(the_order, [RequestedItem("1", quantity, "CR-DEFECTIVE")])
    return Return.request(
        id="ret_1",
        seller_id="sel_1",
        order_id=the_order.id,
        order_number=the_order.number,
        customer_email=the_order.customer_email,
        currency="USD",
        items=[ReturnItem(f"itm_{i}", "1", "TEE", 2500, quantity, "CR-DEFECTIVE") for i in (1,)],
        decision=decision,
        resolution=Resolution.REFUND,
        actor=CUSTOMER,
        now=NOW,
    )


_AUTHORIZED_OR_LATER = {
    ReturnStatus.AUTHORIZED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.PARTIALLY_RECEIVED,
    ReturnStatus.RECEIVED,
    ReturnStatus.INSPECTED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
    ReturnStatus.EXPIRED,
}


def return_in(status: ReturnStatus) -> Return:
    """A return of 2 tees placed directly in ``status``, its quantities consistent with it."""
    ret = requested()
    ret.events.clear()
    ret.status = status
    item = ret.items[0]
    if status in _AUTHORIZED_OR_LATER:
        ret.rma_number = "K7QX-M4TP-HW"
        ret.deadline = NOW + timedelta(days=45)
        item.authorized_quantity = 2
    if status in {ReturnStatus.RECEIVED, ReturnStatus.INSPECTED, ReturnStatus.RESOLVED}:
        item.received_quantity = 2
    if status is ReturnStatus.PARTIALLY_RECEIVED:
        item.received_quantity = 1
    return ret
