"""What the customer portal shows: an order, what of it can still be sent back, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rma.domain import offers
from rma.domain.addresses import Address
from rma.domain.errors import NotFound
from rma.domain.orders import Order, Product
from rma.domain.policy import RequestedItem, ViolationCode, evaluate_request
from rma.domain.returns import Resolution, Return
from rma.domain.sellers import LabelDefault, ReasonCode
from rma.domain.store_credit import CreditAccount, account_email
from rma.domain.storefront import PortalSettings
from rma.services.clock import utcnow
from rma.services.returns import Scope, held_by_line, policies_by_sku
from rma.services.unit_of_work import UnitOfWork


class Blocked:
    """Why a line cannot be chosen at all (codes the pages put in words)."""

    FINAL_SALE = "final_sale"  # the item's own policy says it cannot come back
    NOT_RETURNABLE = "not_returnable"  # its category cannot come back
    NOT_SHIPPED = "not_shipped"
    ALREADY_RETURNED = "already_returned"  # every shipped unit is in another return


@dataclass(frozen=True)
class ReturnableLine:
    """One order line as the return form offers it, with why it cannot be chosen if so."""

    line_id: str
    sku: str
    name: str
    ordered: int
    shipped: int
    returnable: int
    reasons: list[ReasonCode]
    unit_price: int = 0
    category: str | None = None
    return_by: datetime | None = None  # the instant the return window closes
    blocked: str | None = None  # a ``Blocked`` code: the line cannot be chosen
    late: bool = False  # the window has closed: the shop decides (review)
    variants: list[Product] = field(default_factory=list)  # what an exchange may send

    @property
    def eligible(self) -> bool:
        return self.blocked is None


@dataclass(frozen=True)
class OrderForReturn:
    order: Order
    seller_name: str
    lines: list[ReturnableLine]
    returns: list[Return]
    store_credit: list[CreditAccount]  # what the customer holds with the seller, by currency
    timezone: str = "UTC"  # the seller's: dates are shown in it
    language: str = "en"  # the seller's default language
    resolutions: list[Resolution] = field(default_factory=list)  # what the customer may ask
    store_credit_bonus_percent: int = 0
    prepaid_label: bool = False  # the seller pays postage

    @property
    def ship_from(self) -> Address | None:
        return self.order.shipping_address


def order_for_return(scope: Scope, uow: UnitOfWork) -> OrderForReturn:
    """The customer's order with, per line, whether and until when it can be returned."""
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
        policies = policies_by_sku(uow, seller, order, categories)
        sku_rules = uow.sku_policies.for_skus(seller.id, categories)
        final_sale = {p.sku for p in sku_rules if p.returnable is False}
        catalog = uow.products.in_categories(seller.id, {c for c in categories.values() if c})
        now = utcnow()
        lines = []
        for line in order.lines:
            shipped = order.shipped_quantity(line.line_id)
            returnable = max(shipped - held[line.line_id], 0)
            probe = RequestedItem(line.line_id, max(returnable, 1), "")
            verdict = evaluate_request(
                order, [probe], seller=seller, policies=policies, held=held, now=now
            ).items[0]
            found = {v.code for v in verdict.violations}
            blocked = None
            if ViolationCode.NON_RETURNABLE in found:
                blocked = Blocked.FINAL_SALE if line.sku in final_sale else Blocked.NOT_RETURNABLE
            elif ViolationCode.NOT_SHIPPED in found:
                blocked = Blocked.NOT_SHIPPED
            elif returnable == 0:
                blocked = Blocked.ALREADY_RETURNED
            category = categories.get(line.sku)
            lines.append(
                ReturnableLine(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name or line.sku,
                    ordered=line.quantity,
                    shipped=shipped,
                    returnable=returnable if blocked is None else 0,
                    reasons=[c for c in codes if c.applies_to(category)],
                    unit_price=line.unit_price,
                    category=category,
                    return_by=verdict.window_closes_at,
                    blocked=blocked,
                    late=ViolationCode.RETURN_WINDOW_ENDED in found,
                    variants=offers.variants_of(line.sku, category, catalog),
                )
            )
        eligible = [line for line in lines if line.eligible]
        resolutions = offers.offered_resolutions(
            seller,
            [line.unit_price for line in eligible],
            any(line.variants for line in eligible),
        )
        settings = uow.portal_settings.get(seller.id) or PortalSettings(seller.id)
        newest_first = sorted(returns, key=lambda r: r.created_at, reverse=True)
        credit = uow.store_credit.accounts(scope.seller_id, account_email(order.customer_email))
        return OrderForReturn(
            order,
            seller.name,
            lines,
            newest_first,
            credit,
            timezone=seller.timezone,
            language=settings.language,
            resolutions=resolutions,
            store_credit_bonus_percent=seller.store_credit_bonus_percent,
            prepaid_label=seller.label_default is LabelDefault.PREPAID,
        )
