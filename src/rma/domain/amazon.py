"""Fulfillment returns as Amazon's Fulfillment Outbound API sees them, on our own model.

A fulfillment return item is one unit of an order line that left in one shipment, named by
the caller's ``sellerReturnItemId``. Screening sorts the requested items into those already
known (asked again: answered with their current state), those that cannot be returned (each
with one of the model's reason codes), and new ones, grouped by the facility they shipped
from: each group becomes one of our returns, i.e. one return authorization.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain.orders import Order
from rma.domain.policy import PolicyDecision, ViolationCode
from rma.domain.returns import Condition, Return, ReturnItem
from rma.domain.statuses import ReturnStatus

ACCESS_TOKEN_PREFIX = "Atza|"
REFRESH_TOKEN_PREFIX = "Atzr|"
CLIENT_ID_PREFIX = "amzn1.application-oa2-client."

_RELEASED = frozenset({ReturnStatus.DENIED, ReturnStatus.CANCELLED, ReturnStatus.EXPIRED})
_UNDECIDED = frozenset({ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW})


class InvalidItemReason(StrEnum):
    INVALID_VALUES = "InvalidValues"  # not an item or shipment of that order, or a bad reason
    DUPLICATE_REQUEST = "DuplicateRequest"  # the sellerReturnItemId names another item
    NO_COMPLETED_SHIP_ITEMS = "NoCompletedShipItems"  # nothing of the item has shipped
    NO_RETURNABLE_QUANTITY = "NoReturnableQuantity"  # every shipped unit is already returned


class ItemStatus(StrEnum):
    NEW = "New"  # the facility has not processed the unit yet
    PROCESSED = "Processed"  # the facility received and inspected it


RECEIVED_CONDITION: dict[Condition, str] = {
    Condition.SELLABLE: "Sellable",
    Condition.DEFECTIVE: "Defective",
    Condition.CUSTOMER_DAMAGED: "CustomerDamaged",
    Condition.CARRIER_DAMAGED: "CarrierDamaged",
}


@dataclass(eq=False)
class FulfillmentOrderDetails:
    """What a fulfillment order carries beyond our order: where it goes and how."""

    seller_id: str
    order_id: str
    displayable_order_id: str
    displayable_order_date: datetime
    displayable_order_comment: str
    shipping_speed_category: str
    destination_address: dict[str, Any]  # the model's Address, as sent
    received_at: datetime
    marketplace_id: str = ""
    fulfillment_action: str | None = None
    fulfillment_policy: str | None = None
    notification_emails: list[str] = field(default_factory=list)


@dataclass(eq=False)
class AmazonCredential:
    """A seller's Login-with-Amazon client and refresh token; only hashes are kept."""

    client_id: str
    seller_id: str
    client_secret_hash: str
    refresh_token_hash: str
    created_at: datetime
    name: str = ""


@dataclass(eq=False)
class AmazonAccessToken:
    """A short-lived token a credential's refresh token was exchanged for."""

    token_hash: str
    seller_id: str
    client_id: str
    expires_at: datetime


@dataclass(frozen=True)
class RequestedReturnItem:
    """One unit the caller asks to send back, as ``CreateReturnItem`` names it."""

    seller_return_item_id: str
    line_id: str
    shipment_id: str
    reason_code: str
    comment: str = ""


@dataclass(frozen=True)
class InvalidItem:
    """A requested unit that cannot be returned, and why."""

    item: RequestedReturnItem
    reason: InvalidItemReason
    description: str


@dataclass(frozen=True)
class Screening:
    """Requested units sorted: already known, invalid, and new ones by facility."""

    known: list[tuple[RequestedReturnItem, ReturnItem]]
    invalid: list[InvalidItem]
    new_by_facility: dict[str | None, list[RequestedReturnItem]]


def screen_items(
    order: Order,
    requested: Sequence[RequestedReturnItem],
    returns: Sequence[Return],
    reason_allowed: Callable[[str, str], bool],
) -> Screening:
    """Sort ``requested`` units of ``order`` given its ``returns`` so far.

    ``reason_allowed(sku, code)`` says whether a reason code may be given for a SKU.
    """
    live_items = {
        item.seller_return_item_id: item
        for ret in returns
        if ret.status not in _RELEASED
        for item in ret.items
        if item.seller_return_item_id is not None
    }
    left = _units_left(order, returns)
    known: list[tuple[RequestedReturnItem, ReturnItem]] = []
    invalid: list[InvalidItem] = []
    new: dict[str | None, list[RequestedReturnItem]] = {}
    seen: set[str] = set()

    def refuse(item: RequestedReturnItem, reason: InvalidItemReason, text: str) -> None:
        invalid.append(InvalidItem(item, reason, text))

    for item in requested:
        previous = live_items.get(item.seller_return_item_id)
        if item.seller_return_item_id in seen:
            refuse(item, InvalidItemReason.DUPLICATE_REQUEST, "listed twice in this request")
            continue
        seen.add(item.seller_return_item_id)
        if previous is not None:
            if _same_unit(previous, item):
                known.append((item, previous))
            else:
                refuse(
                    item,
                    InvalidItemReason.DUPLICATE_REQUEST,
                    f"sellerReturnItemId {item.seller_return_item_id} was used for another item",
                )
            continue
        line = order.line(item.line_id)
        if line is None:
            refuse(
                item,
                InvalidItemReason.INVALID_VALUES,
                f"order {order.number} has no item {item.line_id}",
            )
            continue
        if order.shipped_quantity(line.line_id) == 0:
            refuse(item, InvalidItemReason.NO_COMPLETED_SHIP_ITEMS, "the item has not shipped yet")
            continue
        shipment = next((s for s in order.shipments if s.id == item.shipment_id), None)
        if shipment is None or not any(i.line_id == line.line_id for i in shipment.items):
            refuse(
                item,
                InvalidItemReason.INVALID_VALUES,
                f"shipment {item.shipment_id} of order {order.number} did not carry this item",
            )
            continue
        if not reason_allowed(line.sku, item.reason_code):
            refuse(
                item,
                InvalidItemReason.INVALID_VALUES,
                f"{item.reason_code} is not a return reason code for {line.sku}",
            )
            continue
        key = (line.line_id, shipment.id)
        if left.get(key, 0) < 1:
            refuse(
                item,
                InvalidItemReason.NO_RETURNABLE_QUANTITY,
                "every unit of this item in that shipment is already being returned",
            )
            continue
        left[key] -= 1
        new.setdefault(shipment.facility_code, []).append(item)
    return Screening(known, invalid, new)


def policy_refusals(
    decision: PolicyDecision, units: Sequence[RequestedReturnItem]
) -> list[InvalidItem]:
    """The units of lines the policy found invalid, each with the model's closest code."""
    refused: list[InvalidItem] = []
    for verdict in decision.invalid_items:
        codes = {v.code for v in verdict.violations}
        reason = (
            InvalidItemReason.NO_COMPLETED_SHIP_ITEMS
            if ViolationCode.NOT_SHIPPED in codes
            else InvalidItemReason.NO_RETURNABLE_QUANTITY
        )
        text = "; ".join(v.message for v in verdict.violations)
        refused.extend(
            InvalidItem(unit, reason, text)
            for unit in units
            if unit.line_id == verdict.item.line_id
        )
    return refused


def item_status(item: ReturnItem) -> ItemStatus:
    """``Processed`` once the facility has inspected the unit."""
    return ItemStatus.PROCESSED if item.inspected else ItemStatus.NEW


def status_changed_at(ret: Return, item: ReturnItem) -> datetime:
    """When the item's status last changed: its inspection, else its request."""
    if item.inspected and item.inspected_at is not None:
        return item.inspected_at
    return ret.created_at


def facility_of(order: Order, ret: Return) -> str | None:
    """The facility the return's units shipped from (one per return by construction)."""
    shipment_ids = {i.shipment_id for i in ret.items}
    return next(
        (s.facility_code for s in order.shipments if s.id in shipment_ids and s.facility_code),
        None,
    )


def _same_unit(previous: ReturnItem, item: RequestedReturnItem) -> bool:
    return (
        previous.line_id == item.line_id
        and previous.shipment_id == item.shipment_id
        and previous.reason_code == item.reason_code
    )


def _units_left(order: Order, returns: Sequence[Return]) -> dict[tuple[str, str], int]:
    """Units of each (line, shipment) not held by a live return naming that shipment."""
    left: dict[tuple[str, str], int] = {}
    for shipment in order.shipments:
        for shipped in shipment.items:
            key = (shipped.line_id, shipment.id)
            left[key] = left.get(key, 0) + shipped.quantity
    for ret in returns:
        if ret.status in _RELEASED:
            continue
        for item in ret.items:
            if item.shipment_id is None:
                continue
            held = item.requested_quantity if ret.status in _UNDECIDED else item.authorized_quantity
            key = (item.line_id, item.shipment_id)
            left[key] = left.get(key, 0) - held
    return left
