"""Outbound orders (exchanges, replacements) and repair orders: reading and moving them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rma.domain.errors import NotFound
from rma.domain.fulfillment import OutboundOrder, OutboundStatus, RepairOrder, RepairStatus
from rma.domain.refunds import Refund
from rma.domain.store_credit import CreditEntry
from rma.services.clock import utcnow
from rma.services.returns import Scope, get_return
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReturnResolution:
    """Everything a return's resolution created."""

    return_id: str
    refund: Refund | None
    store_credit: CreditEntry | None
    outbound_orders: list[OutboundOrder]
    repair_orders: list[RepairOrder]


def get_resolution(scope: Scope, ref: str, uow: UnitOfWork) -> ReturnResolution:
    """The refund, credit and orders of one return the caller may see."""
    ret = get_return(scope, ref, uow)
    with uow:
        seller_id = ret.seller_id
        return ReturnResolution(
            ret.id,
            uow.refunds.for_return(seller_id, ret.id),
            uow.store_credit.for_return(seller_id, ret.id),
            uow.outbound_orders.for_return(seller_id, ret.id),
            uow.repair_orders.for_return(seller_id, ret.id),
        )


def list_outbound_orders(
    seller_id: str,
    status: Sequence[OutboundStatus],
    uow: UnitOfWork,
    *,
    after: str | None,
    limit: int,
) -> list[OutboundOrder]:
    with uow:
        return uow.outbound_orders.page(seller_id, status, after=after, limit=limit)


def move_outbound_order(
    seller_id: str, order_id: str, target: OutboundStatus, uow: UnitOfWork
) -> OutboundOrder:
    """The fulfillment system's progress on an outbound order."""
    with uow:
        order = uow.outbound_orders.get(seller_id, order_id)
        if order is None:
            raise NotFound(f"no outbound order {order_id}", code="outbound_order_not_found")
        order.move(target, utcnow())
        uow.commit()
        return order


def list_repair_orders(
    seller_id: str,
    status: Sequence[RepairStatus],
    uow: UnitOfWork,
    *,
    after: str | None,
    limit: int,
) -> list[RepairOrder]:
    with uow:
        return uow.repair_orders.page(seller_id, status, after=after, limit=limit)


def move_repair_order(
    seller_id: str, order_id: str, target: RepairStatus, uow: UnitOfWork
) -> RepairOrder:
    """The workshop's next step on a repair."""
    with uow:
        order = uow.repair_orders.get(seller_id, order_id)
        if order is None:
            raise NotFound(f"no repair order {order_id}", code="repair_order_not_found")
        order.move(target, utcnow())
        uow.commit()
        return order
