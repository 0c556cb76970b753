"""Use cases of the Amazon-compatible API: fulfillment orders and fulfillment returns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rma.domain.addresses import Address, Facility
from rma.domain.amazon import (
    FulfillmentOrderDetails,
    InvalidItem,
    RequestedReturnItem,
    policy_refusals,
    screen_items,
)
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.policy import RequestedItem, authorization_deadline, evaluate_request
from rma.domain.returns import SYSTEM, Actor, Resolution, Return, ReturnItem
from rma.domain.sellers import EffectivePolicy, Seller
from rma.domain.statuses import ReturnStatus
from rma.services.clock import utcnow
from rma.services.returns import policies_by_sku
from rma.services.unit_of_work import UnitOfWork

_RELEASED = {ReturnStatus.DENIED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED}


@dataclass(frozen=True)
class FulfillmentOrderView:
    """An order with its fulfillment details (if it came through this API) and returns."""

    order: Order
    details: FulfillmentOrderDetails | None
    returns: list[Return]
    facilities: dict[str, Facility]


@dataclass(frozen=True)
class CreateFulfillmentReturn:
    seller_id: str
    order_number: str
    items: Sequence[RequestedReturnItem]
    actor: Actor


@dataclass(frozen=True)
class FulfillmentReturnOutcome:
    """The units answered (new and asked again), the refused ones, and every return involved."""

    view: FulfillmentOrderView
    items: list[tuple[ReturnItem, Return]]
    invalid: list[InvalidItem]


def create_fulfillment_order(
    order: Order, details: FulfillmentOrderDetails, uow: UnitOfWork
) -> Order:
    """Record an order placed through ``createFulfillmentOrder`` with its details."""
    line_ids = [line.line_id for line in order.lines]
    if len(set(line_ids)) != len(line_ids):
        raise InvalidInput(
            "each item needs its own sellerFulfillmentOrderItemId",
            code="duplicate_line",
            details=[{"field": "items.sellerFulfillmentOrderItemId"}],
        )
    with uow:
        if uow.sellers.get(order.seller_id) is None:
            raise NotFound(f"no seller {order.seller_id}", code="seller_not_found")
        if uow.orders.by_number(order.seller_id, order.number) is not None:
            raise Conflict(
                f"fulfillment order {order.number} already exists",
                code="duplicate_order",
                details=[{"field": "sellerFulfillmentOrderId", "value": order.number}],
            )
        uow.orders.add(order)
        uow.amazon.add_details(details)
        uow.commit()
        return order


def get_fulfillment_order(seller_id: str, number: str, uow: UnitOfWork) -> FulfillmentOrderView:
    """One of the seller's orders by number, with what the fulfillment view shows of it."""
    with uow:
        order = _order(uow, seller_id, number)
        return _view(uow, order)


def list_fulfillment_orders(
    seller_id: str, updated_from: datetime | None, uow: UnitOfWork, *, after: str | None, limit: int
) -> list[FulfillmentOrderView]:
    """A page of the seller's orders changed since ``updated_from``, oldest id first."""
    with uow:
        orders = uow.amazon.orders_page(seller_id, updated_from, after=after, limit=limit)
        return [_view(uow, order) for order in orders]


def create_fulfillment_return(
    cmd: CreateFulfillmentReturn, uow: UnitOfWork
) -> FulfillmentReturnOutcome:
    """Return units of an order: one return (one authorization) per facility they left from.

    Units asked for again are answered with their current state; units that cannot be
    returned are answered with the model's reason; nothing is created twice.
    """
    now = utcnow()
    with uow:
        seller = uow.sellers.get(cmd.seller_id)
        if seller is None:
            raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
        # Locked: two requests for one order queue, so a unit cannot be returned twice.
        order = uow.orders.by_number(seller.id, cmd.order_number, lock=True)
        if order is None:
            raise _order_not_found(cmd.order_number)
        returns = uow.returns.for_order(seller.id, order.id)
        codes = {code.code: code for code in uow.reason_codes.all(seller.id)}
        categories = uow.products.categories(seller.id, [line.sku for line in order.lines])

        def reason_allowed(sku: str, code: str) -> bool:
            reason = codes.get(code)
            return reason is not None and reason.applies_to(categories.get(sku))

        screening = screen_items(order, cmd.items, returns, reason_allowed)
        answered = [(item, _holder(returns, item)) for _, item in screening.known]
        invalid = list(screening.invalid)
        batch = _Batch(
            uow=uow,
            seller=seller,
            order=order,
            policies=policies_by_sku(uow, seller, order, categories),
            held=_held_by_line(order, returns),
            actor=cmd.actor,
            now=now,
        )
        for facility_code, units in screening.new_by_facility.items():
            ret, refused = _request(batch, facility_code, units)
            invalid.extend(refused)
            if ret is not None:
                returns.append(ret)
                answered.extend((item, ret) for item in ret.items)
        uow.commit()
        # Answer in the order asked: by the first mention of each id, refusals by position.
        first_mention: dict[str, int] = {}
        for index, asked in enumerate(cmd.items):
            first_mention.setdefault(asked.seller_return_item_id, index)
        position = {id(asked): index for index, asked in enumerate(cmd.items)}
        answered.sort(key=lambda pair: first_mention.get(pair[0].seller_return_item_id or "", 0))
        invalid.sort(key=lambda refused: position.get(id(refused.item), 0))
        return FulfillmentReturnOutcome(_view(uow, order, returns), answered, invalid)


@dataclass
class _Batch:
    """What every facility's return of one request shares; ``held`` grows as returns are made."""

    uow: UnitOfWork
    seller: Seller
    order: Order
    policies: dict[str, EffectivePolicy]
    held: dict[str, int]
    actor: Actor
    now: datetime


def _request(
    batch: _Batch, facility_code: str | None, units: list[RequestedReturnItem]
) -> tuple[Return | None, list[InvalidItem]]:
    """One return for the units that left from one facility, as the policy decides it."""
    uow, seller, order, held, now = batch.uow, batch.seller, batch.order, batch.held, batch.now
    per_line: dict[str, list[RequestedReturnItem]] = {}
    for unit in units:
        per_line.setdefault(unit.line_id, []).append(unit)
    decision = evaluate_request(
        order,
        [
            RequestedItem(line_id, len(group), group[0].reason_code)
            for line_id, group in per_line.items()
        ],
        seller=seller,
        policies=batch.policies,
        held=held,
        now=now,
    )
    refused = policy_refusals(decision, units)
    if not decision.valid_items:
        return None, refused
    address = _return_to(uow, seller, facility_code)
    items: list[ReturnItem] = []
    for verdict in decision.valid_items:
        line = order.line(verdict.item.line_id)
        assert line is not None  # the policy checked every line exists
        held[line.line_id] = held.get(line.line_id, 0) + verdict.item.quantity
        items.extend(
            ReturnItem(
                id=new_id("itm"),
                line_id=line.line_id,
                sku=line.sku,
                unit_price=line.unit_price,
                requested_quantity=1,
                reason_code=unit.reason_code,
                comment=unit.comment,
                shipment_id=unit.shipment_id,
                seller_return_item_id=unit.seller_return_item_id,
            )
            for unit in per_line[line.line_id]
        )
    ret = Return.request(
        id=new_id("ret"),
        seller_id=seller.id,
        order_id=order.id,
        order_number=order.number,
        customer_email=order.customer_email,
        currency=order.currency,
        items=items,
        decision=decision,
        resolution=Resolution.REFUND,
        actor=batch.actor,
        now=now,
    )
    if decision.authorizes_automatically(seller):
        _authorize(uow, seller, ret, address, now)
    else:
        ret.send_to_review(now)
    uow.returns.add(ret)
    return ret, refused


def _authorize(
    uow: UnitOfWork, seller: Seller, ret: Return, address: Address, now: datetime
) -> None:
    number = uow.returns.unused_rma_number(seller.id)
    assert ret.window_closes_at is not None  # set when the return was requested
    ret.authorize(
        rma_number=number,
        deadline=authorization_deadline(ret.window_closes_at, now, seller.transit_days),
        actor=SYSTEM,
        now=now,
        return_address=address,
    )


def _return_to(uow: UnitOfWork, seller: Seller, facility_code: str | None) -> Address:
    """The facility's address, else the seller's default return address."""
    facility = uow.facilities.get(seller.id, facility_code) if facility_code else None
    if facility is not None:
        return facility.address
    if seller.default_return_address_id is not None:
        saved = uow.return_addresses.get(seller.id, seller.default_return_address_id)
        if saved is not None:
            return saved.address
    raise InvalidInput(
        f"no return address for facility {facility_code or '(none)'}: "
        "record the facility (PUT /v1/facilities/{code}) or a default return address",
        code="no_return_address",
        details=[{"field": "amazonShipmentId", "facility": facility_code}],
    )


def _held_by_line(order: Order, returns: Sequence[Return]) -> dict[str, int]:
    return {
        line.line_id: sum(ret.held_quantity(line.line_id) for ret in returns)
        for line in order.lines
    }


def _holder(returns: Sequence[Return], item: ReturnItem) -> Return:
    return next(ret for ret in returns if any(i is item for i in ret.items))


def _view(
    uow: UnitOfWork, order: Order, returns: Sequence[Return] | None = None
) -> FulfillmentOrderView:
    if returns is None:
        returns = uow.returns.for_order(order.seller_id, order.id)
    live = [
        ret
        for ret in returns
        if ret.status not in _RELEASED and any(i.seller_return_item_id for i in ret.items)
    ]
    codes = {s.facility_code for s in order.shipments if s.facility_code}
    facilities = {code: f for code in codes if (f := uow.facilities.get(order.seller_id, code))}
    details = uow.amazon.details(order.seller_id, order.id)
    return FulfillmentOrderView(order, details, sorted(live, key=lambda r: r.id), facilities)


def _order(uow: UnitOfWork, seller_id: str, number: str) -> Order:
    order = uow.orders.by_number(seller_id, number)
    if order is None:
        raise _order_not_found(number)
    return order


def _order_not_found(number: str) -> NotFound:
    return NotFound(f"Requested order '{number}' not found", code="order_not_found")
