"""Refund amounts and the Refund aggregate.

Amounts are integer minor units; every rule that divides says how it rounds:

- goods: ``unit_price x quantity``; tax: ``tax_per_unit x quantity`` (exact, no rounding);
- restocking fee: ``goods x percent / 100`` rounded half-up per line, waived when the reason is
  the seller's or the carrier's fault;
- original shipping (seller or carrier fault only): the order's shipping is first split over
  its lines by goods value with the largest-remainder method, so the shares add up to exactly
  what was paid (ties go to the earlier line); a returned part of a line gets
  ``share x quantity / line quantity`` rounded down, so refunds of one line never add up to
  more than its share;
- label cost: taken off once when the buyer pays for the label and something was shipped back;
- store-credit bonus: ``credit x percent / 100`` rounded half-up.

A total never goes below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from rma.domain import events
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.events import Event
from rma.domain.sellers import Fault, PaymentGatewayKind


def half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded to the nearest integer, halves away from zero."""
    sign = -1 if (numerator < 0) != (denominator < 0) else 1
    quotient, remainder = divmod(abs(numerator), abs(denominator))
    return sign * (quotient + (1 if 2 * remainder >= abs(denominator) else 0))


def largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` in proportion to ``weights``; the parts add up to ``total`` exactly."""
    whole = sum(weights)
    if whole <= 0:
        return [0] * len(weights)
    floors = [total * w // whole for w in weights]
    remainders = [total * w % whole for w in weights]
    left = total - sum(floors)
    # Earlier lines win ties, so the split is the same every time.
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        floors[index] += 1
    return floors


@dataclass(frozen=True)
class OrderedLine:
    """What the customer paid for one order line."""

    line_id: str
    quantity: int
    unit_price: int
    tax_per_unit: int = 0


@dataclass(frozen=True)
class RefundLine:
    """Units of one order line whose money goes back, and why they came back."""

    item_id: str
    line_id: str
    quantity: int
    fault: Fault
    restocking_fee_percent: int = 0


@dataclass(frozen=True)
class LineAmount:
    """The money of one refunded line, part by part."""

    item_id: str
    quantity: int
    goods: int
    tax: int
    shipping: int
    restocking_fee: int

    @property
    def total(self) -> int:
        return self.goods + self.tax + self.shipping - self.restocking_fee


@dataclass(frozen=True)
class Breakdown:
    """How a refund's amount is made up."""

    lines: tuple[LineAmount, ...]
    label_cost: int = 0
    adjustment: int = 0  # signed: exchange price differences owed to the customer, ...

    @property
    def goods(self) -> int:
        return sum(line.goods for line in self.lines)

    @property
    def tax(self) -> int:
        return sum(line.tax for line in self.lines)

    @property
    def shipping(self) -> int:
        return sum(line.shipping for line in self.lines)

    @property
    def restocking_fee(self) -> int:
        return sum(line.restocking_fee for line in self.lines)

    @property
    def total(self) -> int:
        lines = sum(line.total for line in self.lines)
        return max(0, lines - self.label_cost + self.adjustment)

    def as_dict(self) -> dict[str, Any]:
        """The breakdown as stored and shown."""
        return {
            "goods": self.goods,
            "tax": self.tax,
            "shipping": self.shipping,
            "restocking_fee": self.restocking_fee,
            "label_cost": self.label_cost,
            "adjustment": self.adjustment,
            "total": self.total,
            "lines": [
                {
                    "item_id": line.item_id,
                    "quantity": line.quantity,
                    "goods": line.goods,
                    "tax": line.tax,
                    "shipping": line.shipping,
                    "restocking_fee": line.restocking_fee,
                }
                for line in self.lines
            ],
        }


NO_FEE_FAULTS = frozenset({Fault.SELLER, Fault.CARRIER})


def compute_refund(
    returned: Sequence[RefundLine],
    ordered: Sequence[OrderedLine],
    *,
    shipping_amount: int = 0,
    label_cost: int = 0,
    adjustment: int = 0,
) -> Breakdown:
    """The refund of ``returned`` units of an order, by the rules of this module."""
    by_line = {line.line_id: line for line in ordered}
    shares = dict(
        zip(
            (line.line_id for line in ordered),
            largest_remainder(shipping_amount, [o.unit_price * o.quantity for o in ordered]),
            strict=True,
        )
    )
    amounts = []
    for item in returned:
        line = by_line.get(item.line_id)
        if line is None:
            raise InvalidInput(f"the order has no line {item.line_id!r}")
        if not 0 <= item.quantity <= line.quantity:
            raise InvalidInput(f"line {item.line_id}: refund 0 to {line.quantity} units")
        goods = line.unit_price * item.quantity
        waived = item.fault in NO_FEE_FAULTS
        shipping = shares[line.line_id] * item.quantity // line.quantity if waived else 0
        fee = 0 if waived else half_up(goods * item.restocking_fee_percent, 100)
        amounts.append(
            LineAmount(
                item_id=item.item_id,
                quantity=item.quantity,
                goods=goods,
                tax=line.tax_per_unit * item.quantity,
                shipping=shipping,
                restocking_fee=fee,
            )
        )
    return Breakdown(tuple(amounts), label_cost=label_cost, adjustment=adjustment)


def paid_for(ordered: Sequence[OrderedLine], shipping_amount: int) -> int:
    """What the customer paid for the whole order: goods, tax and shipping."""
    return shipping_amount + sum((o.unit_price + o.tax_per_unit) * o.quantity for o in ordered)


def credit_bonus(amount: int, percent: int) -> int:
    """The extra store credit for choosing credit over a refund (half-up)."""
    return half_up(amount * percent, 100)


class RefundStatus(StrEnum):
    PENDING = "pending"  # recorded; the gateway has not confirmed it yet
    SUCCEEDED = "succeeded"  # the money went back; final
    FAILED = "failed"  # the gateway refused it; may be retried


RETRY_BACKOFF = (60, 300, 900, 3600, 6 * 3600)  # seconds before asking a gateway again


@dataclass(eq=False)
class Refund:
    """Money going back for one return, recorded before it is paid.

    A return's first refund has ``sequence`` 1; each top-up after a partial refund takes the
    next number, and the database refuses two refunds with one number for the same return.

    Each attempt at the gateway carries ``idempotency_key``; asking again about the same
    attempt reuses it, so the seller's system pays it once however often it is asked.
    """

    id: str
    seller_id: str
    return_id: str
    order_id: str
    currency: str
    amount: int
    gateway: PaymentGatewayKind
    created_at: datetime
    updated_at: datetime
    breakdown: dict[str, Any] = field(default_factory=dict)
    sequence: int = 1
    status: RefundStatus = RefundStatus.PENDING
    attempt: int = 1
    asks: int = 0  # how many times the gateway was asked about the current attempt
    idempotency_key: str = ""
    next_attempt_at: datetime | None = None
    reference: str = ""
    failure_reason: str = ""
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.amount <= 0:
            raise InvalidInput("a refund is for a positive amount", code="refund_not_positive")
        if not self.idempotency_key:
            self.idempotency_key = f"{self.id}.{self.attempt}"
        if self.next_attempt_at is None:
            self.next_attempt_at = self.created_at

    def claim(self, now: datetime, lease: timedelta) -> None:
        """One more ask at the gateway; nobody else asks until ``lease`` has passed."""
        self.asks += 1
        self.next_attempt_at = now + lease
        self.updated_at = now

    def still_pending(self, now: datetime, reason: str) -> None:
        """The gateway has not confirmed: ask again after a growing pause."""
        self._check_pending()
        pause = RETRY_BACKOFF[min(self.asks, len(RETRY_BACKOFF)) - 1] if self.asks else 0
        self.next_attempt_at = now + timedelta(seconds=pause)
        self.failure_reason = reason
        self.updated_at = now

    def succeed(self, *, reference: str, now: datetime) -> None:
        """The money went back; a repeated confirmation changes nothing."""
        if self.status is RefundStatus.SUCCEEDED:
            return
        self._check_pending()
        self.status = RefundStatus.SUCCEEDED
        self.reference = reference
        self.failure_reason = ""
        self.updated_at = now
        self._record(events.RefundSucceeded, now, reference=reference)

    def fail(self, *, reason: str, now: datetime) -> None:
        """The gateway refused: nothing was paid."""
        if self.status is RefundStatus.FAILED:
            return
        self._check_pending()
        self.status = RefundStatus.FAILED
        self.failure_reason = reason
        self.updated_at = now
        self._record(events.RefundFailed, now, reason=reason)

    def retry(self, now: datetime) -> None:
        """Try a failed refund again, as a new attempt with its own key."""
        if self.status is not RefundStatus.FAILED:
            raise Conflict(
                f"only a failed refund can be retried; this one is {self.status}",
                code="refund_not_failed",
            )
        self.status = RefundStatus.PENDING
        self.attempt += 1
        self.asks = 0
        self.idempotency_key = f"{self.id}.{self.attempt}"
        self.next_attempt_at = now
        self.failure_reason = ""
        self.updated_at = now

    def _check_pending(self) -> None:
        if self.status is not RefundStatus.PENDING:
            raise Conflict(
                f"the refund is already {self.status}",
                code=f"refund_already_{self.status}",
                details=[{"refund_id": self.id, "status": str(self.status)}],
            )

    def _record(self, kind: type[Event], now: datetime, **data: Any) -> None:
        payload = {
            "refund_id": self.id,
            "amount": self.amount,
            "currency": self.currency,
            "attempt": self.attempt,
            **data,
        }
        self.events.append(kind(self.seller_id, self.return_id, now, payload))
