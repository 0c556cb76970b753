"""Orders rma hands to fulfillment: outbound items for exchanges and replacements, repairs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain.addresses import Address
from rma.domain.errors import IllegalTransition


class OutboundKind(StrEnum):
    EXCHANGE = "exchange"  # another variant of the same product
    REPLACEMENT = "replacement"  # the same SKU again


class OutboundStatus(StrEnum):
    PENDING = "pending"  # waiting for the fulfillment system to pick it up
    SUBMITTED = "submitted"  # accepted by the fulfillment system
    SHIPPED = "shipped"  # on its way to the customer
    CANCELLED = "cancelled"  # will not ship


OUTBOUND_MOVES = {
    OutboundStatus.PENDING: {OutboundStatus.SUBMITTED, OutboundStatus.CANCELLED},
    OutboundStatus.SUBMITTED: {OutboundStatus.SHIPPED, OutboundStatus.CANCELLED},
    OutboundStatus.SHIPPED: set(),
    OutboundStatus.CANCELLED: set(),
}


@dataclass(eq=False)
class OutboundOrder:
    """Items to send the customer for one return's exchanges or replacements.

    ``lines`` are ``{"item_id", "sku", "quantity", "unit_price"}``; ``amount_due`` is what the
    customer still owes when an exchange costs more (the fulfillment system charges it).
    """

    id: str
    seller_id: str
    return_id: str
    kind: OutboundKind
    currency: str
    created_at: datetime
    updated_at: datetime
    lines: list[dict[str, Any]] = field(default_factory=list)
    amount_due: int = 0
    status: OutboundStatus = OutboundStatus.PENDING
    ship_to: Address | None = None  # the customer's: where the return's box came from

    def move(self, target: OutboundStatus, now: datetime) -> None:
        """Follow the fulfillment system's progress."""
        _check(OUTBOUND_MOVES, self.status, target, "outbound order")
        self.status = target
        self.updated_at = now


class RepairStatus(StrEnum):
    RECEIVED_FOR_REPAIR = "received_for_repair"  # in the workshop
    REPAIRED = "repaired"  # fixed, waiting to ship
    SHIPPED_BACK = "shipped_back"  # on its way back to the customer


REPAIR_MOVES = {
    RepairStatus.RECEIVED_FOR_REPAIR: {RepairStatus.REPAIRED},
    RepairStatus.REPAIRED: {RepairStatus.SHIPPED_BACK},
    RepairStatus.SHIPPED_BACK: set(),
}


@dataclass(eq=False)
class RepairOrder:
    """Units of one returned item being fixed and sent back."""

    id: str
    seller_id: str
    return_id: str
    return_item_id: str
    sku: str
    quantity: int
    created_at: datetime
    updated_at: datetime
    status: RepairStatus = RepairStatus.RECEIVED_FOR_REPAIR

    def move(self, target: RepairStatus, now: datetime) -> None:
        """The workshop's next step."""
        _check(REPAIR_MOVES, self.status, target, "repair order")
        self.status = target
        self.updated_at = now


def _check(moves: Any, current: StrEnum, target: StrEnum, what: str) -> None:
    if target not in moves[current]:
        raise IllegalTransition(
            f"a {what} that is {current} cannot become {target}",
            details=[{"status": str(current), "requested": str(target)}],
        )
