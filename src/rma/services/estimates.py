"""What the customer will get back, worked out before the return is asked for.

The estimate runs the resolution's own computation (``rma.domain.refunds.compute_refund``
over ``resolutions.refund_lines``) on the units asked for, as if they arrive and pass
inspection: the same goods, tax, shipping share, restocking fee and label cost that will be
paid, and the store-credit bonus on top for credit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rma.domain.errors import NotFound
from rma.domain.policy import RequestedItem
from rma.domain.refunds import Breakdown, OrderedLine, compute_refund, credit_bonus
from rma.domain.returns import Resolution
from rma.domain.sellers import LabelDefault
from rma.services.resolutions import MoneyPart, refund_lines
from rma.services.returns import Scope
from rma.services.unit_of_work import UnitOfWork

MONEY_BACK = {Resolution.REFUND, Resolution.KEEP_ITEM}


@dataclass(frozen=True)
class Estimate:
    """The money a request would bring back, part by part."""

    currency: str
    resolution: Resolution
    breakdown: Breakdown  # the refund (or the credit before its bonus)
    bonus: int  # extra store credit
    prepaid_label: bool  # the seller pays postage (a prepaid label); else the customer does

    @property
    def total(self) -> int:
        """What reaches the customer: money back, or credit with its bonus; 0 for a swap."""
        if self.resolution in MONEY_BACK or self.resolution is Resolution.STORE_CREDIT:
            return self.breakdown.total + self.bonus
        return 0


def estimate_return(
    scope: Scope, items: Sequence[RequestedItem], resolution: Resolution, uow: UnitOfWork
) -> Estimate:
    """The estimate for returning ``items`` of the scope's order, resolved as ``resolution``."""
    with uow:
        seller = uow.sellers.get(scope.seller_id)
        order = uow.orders.get(scope.seller_id, scope.order_id or "")
        if seller is None or order is None:
            raise NotFound("no order opened", code="order_not_found")
        parts = []
        for index, item in enumerate(items):
            line = order.line(item.line_id)
            if line is not None:
                parts.append(
                    MoneyPart(str(index), line.line_id, line.sku, item.quantity, item.reason_code)
                )
        lines = list(refund_lines(uow, seller, parts).values())
        ordered = [
            OrderedLine(x.line_id, x.quantity, x.unit_price, x.tax_per_unit) for x in order.lines
        ]
        # A new return's label costs the customer nothing off the refund (label_cost 0) until
        # the seller attaches a priced label: the same inputs the resolution will read.
        counted = lines if resolution in MONEY_BACK or resolution is Resolution.STORE_CREDIT else []
        breakdown = compute_refund(counted, ordered, shipping_amount=order.shipping_amount)
        bonus = 0
        if resolution is Resolution.STORE_CREDIT:
            bonus = credit_bonus(breakdown.total, seller.store_credit_bonus_percent)
        prepaid = seller.label_default is LabelDefault.PREPAID
        return Estimate(order.currency, resolution, breakdown, bonus, prepaid)
