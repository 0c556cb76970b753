"""What the customer portal shows: an order, what of it can still be sent back, and why."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import NotFound
from rma.domain.orders import Order
from rma.domain.returns import Return
from rma.domain.sellers import ReasonCode
from rma.domain.store_credit import CreditAccount, account_email
from rma.services.returns import Scope, held_by_line
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReturnableLine:
    """One order line as the return form offers it."""

    line_id: str
    sku: str
    name: str
    ordered: int
    shipped: int
    returnable: int
    reasons: list[ReasonCode]


@dataclass(frozen=True)
class OrderForReturn:
    order: Order
    seller_name: str
    lines: list[ReturnableLine]
    returns: list[Return]
    store_credit: list[CreditAccount]  # what the customer holds with the seller, by currency


def order_for_return(scope: Scope, uow: UnitOfWork) -> OrderForReturn:
    """The customer's order with, per line, the units left to return and the valid reasons."""
    if scope.order_id is None:
        raise NotFound("no order opened", code="order_not_found")
    with uow:
        order = uow.orders.get(scope.seller_id, scope.order_id)
        seller = uow.sellers.get(scope.seller_id)
        if order is None or seller is None:
            raise NotFound("no order opened", code="order_not_found")
        returns = uow.returns.for_order(scope.seller_id, order.id)
        held = held_by_line(order, returns)
        codes = uow.reason_codes.all(scope.seller_id)
        categories = uow.products.categories(scope.seller_id, [line.sku for line in order.lines])
        lines = []
        for line in order.lines:
            shipped = order.shipped_quantity(line.line_id)
            lines.append(
                ReturnableLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name or line.sku,
                    ordered=line.quantity,
                    shipped=shipped,
                    returnable=max(shipped - held[line.line_id], 0),
                    reasons=[c for c in codes if c.applies_to(categories.get(line.sku))],
                )
            )
        newest_first = sorted(returns, key=lambda r: r.created_at, reverse=True)
        credit = uow.store_credit.accounts(scope.seller_id, account_email(order.customer_email))
        return OrderForReturn(order, seller.name, lines, newest_first, credit)
