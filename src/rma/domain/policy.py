"""The seller's return policy as pure functions: windows, returnable quantities, verdicts.

A decision explains itself: it lists every violation it found, each with a stable code.
Some violations make an item invalid (it cannot be returned at all and is answered with its
reason); the others only take the request out of policy, which sends it to review unless the
seller auto-authorizes such requests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from rma.domain.errors import InvalidInput
from rma.domain.orders import Order
from rma.domain.sellers import AuthorizationMode, EffectivePolicy, OutOfPolicyHandling, Seller


class ViolationCode(StrEnum):
    RETURN_WINDOW_ENDED = "return_window_ended"  # asked after the window closed: review
    NON_RETURNABLE = "non_returnable"  # the category may not be returned: invalid
    NOT_SHIPPED = "not_shipped"  # nothing of the line has shipped yet: invalid
    QUANTITY_EXCEEDS_RETURNABLE = "quantity_exceeds_returnable"  # more than is left: invalid


INVALIDATING = frozenset(
    {
        ViolationCode.NON_RETURNABLE,
        ViolationCode.NOT_SHIPPED,
        ViolationCode.QUANTITY_EXCEEDS_RETURNABLE,
    }
)


@dataclass(frozen=True)
class Violation:
    """One rule a requested item breaks."""

    code: ViolationCode
    line_id: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": str(self.code), "line_id": self.line_id, "message": self.message}


@dataclass(frozen=True)
class RequestedItem:
    """What the customer asks to send back of one order line."""

    line_id: str
    quantity: int
    reason_code: str
    comment: str = ""
    exchange_sku: str = ""  # the variant the customer would like instead, for an exchange


@dataclass(frozen=True)
class ItemVerdict:
    """The policy's answer for one requested item."""

    item: RequestedItem
    sku: str
    policy: EffectivePolicy
    returnable_quantity: int
    window_closes_at: datetime
    violations: tuple[Violation, ...]

    @property
    def valid(self) -> bool:
        """Whether the item can be part of the return at all."""
        return not any(v.code in INVALIDATING for v in self.violations)


@dataclass(frozen=True)
class PolicyDecision:
    """The policy's answer for a whole request."""

    items: tuple[ItemVerdict, ...]

    @property
    def valid_items(self) -> list[ItemVerdict]:
        return [v for v in self.items if v.valid]

    @property
    def invalid_items(self) -> list[ItemVerdict]:
        return [v for v in self.items if not v.valid]

    @property
    def violations(self) -> list[Violation]:
        """Every violation found, invalid items included."""
        return [violation for verdict in self.items for violation in verdict.violations]

    @property
    def in_policy(self) -> bool:
        """Whether the items that can be returned break no rule."""
        return all(not v.violations for v in self.valid_items)

    @property
    def window_closes_at(self) -> datetime:
        """When the last valid item's window closes (the return's own window)."""
        return max(v.window_closes_at for v in self.valid_items)

    def authorizes_automatically(self, seller: Seller) -> bool:
        """Whether the valid items may be authorized without a person.

        Each item follows the seller's mode, except prepaid-label-exempt SKUs, which follow
        the mode the seller chose for them; one item needing a person sends the whole return
        to review. Out-of-policy requests also need the seller's opt-in.
        """
        if not self.in_policy and seller.out_of_policy is not OutOfPolicyHandling.AUTHORIZE:
            return False
        for verdict in self.valid_items:
            mode = verdict.policy.authorization_override or seller.authorization_mode_in_force
            if mode is AuthorizationMode.MANUAL:
                return False
        return True


def window_closes_at(start: datetime, window_days: int, timezone: str) -> datetime:
    """The instant a window of ``window_days`` calendar days from ``start`` closes.

    Days are counted in the seller's time zone: delivered on day D, day D + window_days is the
    last whole day in, and the window closes at the midnight that ends it.
    """
    zone = ZoneInfo(timezone)
    last_day = start.astimezone(zone).date() + timedelta(days=window_days)
    return datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=zone).astimezone(
        start.tzinfo
    )


def authorization_deadline(
    window_close: datetime, authorized_at: datetime, transit_days: int
) -> datetime:
    """When an authorized return with nothing shipped expires.

    Window close plus transit days, counted from the authorization instead when a person
    authorized the return after its window had closed.
    """
    return max(window_close, authorized_at) + timedelta(days=transit_days)


def evaluate_request(
    order: Order,
    items: Sequence[RequestedItem],
    *,
    seller: Seller,
    policies: Mapping[str, EffectivePolicy],
    held: Mapping[str, int],
    now: datetime,
) -> PolicyDecision:
    """Judge a request for ``items`` of ``order``.

    ``policies`` maps each SKU of the order to the policy that applies to it, and ``held``
    line id to the units other live returns already hold. Input that names no line of the
    order, or a line twice, raises ``InvalidInput`` naming the field.
    """
    _check_items(order, items)
    return PolicyDecision(
        tuple(
            _judge_item(order, item, seller, policies, held.get(item.line_id, 0), now)
            for item in items
        )
    )


def _check_items(order: Order, items: Sequence[RequestedItem]) -> None:
    if not items:
        raise InvalidInput(
            "a return needs at least one item", details=[{"field": "items", "issue": "empty"}]
        )
    seen: set[str] = set()
    for index, item in enumerate(items):
        if order.line(item.line_id) is None:
            raise InvalidInput(
                f"order {order.number} has no line {item.line_id!r}",
                code="unknown_line",
                details=[{"field": f"items[{index}].line_id", "value": item.line_id}],
            )
        if item.line_id in seen:
            raise InvalidInput(
                f"line {item.line_id!r} is listed twice",
                code="duplicate_line",
                details=[{"field": f"items[{index}].line_id", "value": item.line_id}],
            )
        if item.quantity < 1:
            raise InvalidInput(
                "quantity must be at least 1",
                details=[{"field": f"items[{index}].quantity", "value": item.quantity}],
            )
        seen.add(item.line_id)


def _judge_item(
    order: Order,
    item: RequestedItem,
    seller: Seller,
    policies: Mapping[str, EffectivePolicy],
    held: int,
    now: datetime,
) -> ItemVerdict:
    line = order.line(item.line_id)
    assert line is not None  # _check_items saw to it
    policy = policies.get(line.sku) or EffectivePolicy.of(seller, None, None)
    window_days = policy.window_days
    start = order.delivered_at(line.line_id) or order.ordered_at
    closes_at = window_closes_at(start, window_days, seller.timezone)
    shipped = order.shipped_quantity(line.line_id)
    returnable = max(shipped - held, 0)

    violations: list[Violation] = []

    def add(code: ViolationCode, message: str) -> None:
        violations.append(Violation(code, line.line_id, message))

    if not policy.returnable:
        add(ViolationCode.NON_RETURNABLE, f"{line.sku} cannot be returned")
    if shipped == 0:
        add(ViolationCode.NOT_SHIPPED, "nothing of this line has shipped yet")
    elif item.quantity > returnable:
        add(
            ViolationCode.QUANTITY_EXCEEDS_RETURNABLE,
            f"{item.quantity} requested but {returnable} of {shipped} shipped can be returned",
        )
    if now >= closes_at:
        add(
            ViolationCode.RETURN_WINDOW_ENDED,
            f"the {window_days}-day return window closed on {closes_at.date().isoformat()}",
        )
    return ItemVerdict(item, line.sku, policy, returnable, closes_at, tuple(violations))
