"""Use cases of a return's life: request, decide, receive, inspect, resolve, finish."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from rma.domain import rma_numbers
from rma.domain.addresses import Address, ReturnAddress
from rma.domain.errors import DuplicateRmaNumber, InvalidInput, NoReturnableItems, NotFound
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.partners import PartnerKind
from rma.domain.policy import (
    PolicyDecision,
    RequestedItem,
    authorization_deadline,
    evaluate_request,
)
from rma.domain.returns import (
    SYSTEM,
    Actor,
    DenyReason,
    Receipt,
    Resolution,
    Return,
    ReturnItem,
)
from rma.domain.sellers import EffectivePolicy, Seller
from rma.domain.statuses import ReturnStatus
from rma.services.addresses import AddReturnAddress, find_return_address, save_return_address
from rma.services.clock import utcnow
from rma.services.offers import check_offer
from rma.services.resolutions import (
    Choices,
    ExchangeChoice,
    execute_due_resolutions,
    execute_resolutions,
)
from rma.services.risk import (
    RISK_LETS_AUTHORIZE,
    apply_assessment,
    assess_request,
    customer_keys,
)
from rma.services.routing import (
    PlannedLeg,
    mark_routed,
    open_supplier_rma,
    plan_legs,
    routed_address,
    withdraw_from_supplier,
)
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class Scope:
    """Whose returns a caller may see: one seller's, or one order's for a customer."""

    seller_id: str
    order_id: str | None = None
    partner_id: str | None = None  # a partner sees only the returns routed to it


@dataclass(frozen=True)
class RequestReturn:
    scope: Scope
    order_number: str
    items: Sequence[RequestedItem]
    actor: Actor
    resolution: Resolution = Resolution.REFUND
    # Where the box leaves from (the order's address if None); routing rules read it too.
    ship_from: Address | None = None
    language: str | None = None  # the customer's (from the browser): their emails' language
    review: bool = False  # a person decides, whatever the policy says (emailed requests)


@dataclass(frozen=True)
class RequestOutcome:
    """The return created and the policy decision that shaped it.

    When routing rules send the items to several places, ``ret`` is the first leg and
    ``others`` the rest: one return authorization per destination (docs/partners.md).
    """

    ret: Return
    decision: PolicyDecision
    others: tuple[Return, ...] = ()

    @property
    def returns(self) -> list[Return]:
        return [self.ret, *self.others]


@dataclass(frozen=True)
class NewReturnAddress:
    label: str
    address: Address
    make_default: bool = False


@dataclass(frozen=True)
class AuthorizeReturn:
    scope: Scope
    ref: str
    actor: Actor
    rma_number: str | None = None
    quantities: Mapping[str, int] = field(default_factory=dict)
    return_address_id: str | None = None
    new_return_address: NewReturnAddress | None = None  # saved, then used


@dataclass(frozen=True)
class DenyReturn:
    scope: Scope
    ref: str
    actor: Actor
    reason: DenyReason
    note: str = ""


@dataclass(frozen=True)
class FinishReturn:
    """Cancel (the customer withdraws) or close (the seller finishes) a return."""

    scope: Scope
    ref: str
    actor: Actor
    note: str = ""


@dataclass(frozen=True)
class ReceiveReturn:
    scope: Scope
    ref: str
    actor: Actor
    receipts: Sequence[Receipt]


@dataclass(frozen=True)
class ResolveReturn:
    scope: Scope
    ref: str
    actor: Actor
    resolutions: Mapping[str, Resolution] = field(default_factory=dict)
    exchanges: Mapping[str, ExchangeChoice] = field(default_factory=dict)
    refund_amount: int | None = None  # a partial refund


def request_return(cmd: RequestReturn, uow: UnitOfWork) -> RequestOutcome:
    """Ask to return items of an order; the policy authorizes it or sends it to review."""
    now = utcnow()
    with uow:
        # The order first: its seller's settings go in the same round trip (PostgreSQL).
        order = uow.orders.to_return_from(cmd.scope.seller_id, cmd.order_number)
        seller = _seller(uow, cmd.scope.seller_id)
        if order is None or (cmd.scope.order_id is not None and order.id != cmd.scope.order_id):
            raise NotFound(
                f"no order {cmd.order_number}",
                code="order_not_found",
                details=[{"field": "order_number", "value": cmd.order_number}],
            )
        reasons = [item.reason_code for item in cmd.items]
        uow.returns.draw_rma_number(seller.id)  # for a return authorized at once
        uow.read_ahead_for_request(seller.id, order, reasons, customer_keys(order))
        categories = _check_reasons(uow, seller.id, order, cmd.items)
        check_offer(uow, seller, order, cmd.items, cmd.resolution, categories)
        held = held_by_line(order, uow.returns.for_order(seller.id, order.id))
        decision = evaluate_request(
            order,
            cmd.items,
            seller=seller,
            policies=policies_by_sku(uow, seller, order, categories),
            held=held,
            now=now,
        )
        if not decision.valid_items:
            raise NoReturnableItems(
                "none of the requested items can be returned",
                details=[v.as_dict() for v in decision.violations],
            )
        legs = plan_legs(
            uow,
            seller.id,
            order,
            decision.valid_items,
            categories,
            cmd.ship_from or order.shipping_address,
        )
        group_id = new_id("rgp") if len(legs) > 1 else None
        made = [
            _request_leg(uow, seller, order, cmd, leg, (group_id, len(legs)), now) for leg in legs
        ]
        uow.commit()
        return RequestOutcome(made[0], decision, tuple(made[1:]))


def _request_leg(
    uow: UnitOfWork,
    seller: Seller,
    order: Order,
    cmd: RequestReturn,
    leg: PlannedLeg,
    group: tuple[str | None, int],
    now: datetime,
) -> Return:
    """One return authorization of a request: the items of one destination."""
    decision = PolicyDecision(tuple(leg.verdicts))
    ret = Return.request(
        id=new_id("ret"),
        seller_id=seller.id,
        order_id=order.id,
        order_number=order.number,
        customer_email=order.customer_email,
        currency=order.currency,
        items=[_item(order, verdict.item) for verdict in decision.valid_items],
        decision=decision,
        resolution=cmd.resolution,
        actor=cmd.actor,
        now=now,
    )
    ret.ship_from = cmd.ship_from or order.shipping_address  # the label's sender
    ret.language = cmd.language
    group_id, legs = group
    if leg.route.destination is not None or legs > 1:
        mark_routed(ret, leg, group_id, legs, now)
    supplier_rma = None
    risk = assess_request(uow, order, ret, now)
    if risk.denies:
        ret.send_to_review(now)  # then denied below: no supplier is asked for it
    elif leg.partner is not None and leg.partner.kind is PartnerKind.SUPPLIER:
        supplier_rma = open_supplier_rma(ret, leg.partner, now)
    elif (
        not cmd.review
        and decision.authorizes_automatically(seller)
        and risk.effect in RISK_LETS_AUTHORIZE
    ):
        _authorize(uow, seller, ret, AuthorizeReturn(cmd.scope, ret.id, SYSTEM), now)
    else:
        ret.send_to_review(now)
    apply_assessment(ret, risk, now)
    # Added once decided, so the new return is written by one INSERT, not INSERT + UPDATE.
    uow.returns.add(ret)
    if supplier_rma is not None:
        uow.supplier_rmas.add(supplier_rma)
    if ret.status is ReturnStatus.AUTHORIZED:
        execute_due_resolutions(uow, seller, ret, now)
    return ret


def authorize_return(cmd: AuthorizeReturn, uow: UnitOfWork) -> Return:
    """Issue the RMA, with a generated number or the seller's own."""
    with uow:
        if cmd.rma_number is None:
            uow.returns.draw_rma_number(cmd.scope.seller_id)  # asked about with the return
        ret = _find(uow, cmd.scope, cmd.ref)
        seller = _seller(uow, ret.seller_id)
        now = utcnow()
        withdraw_from_supplier(uow, ret, "authorized by the seller", now)
        _authorize(uow, seller, ret, cmd, now)
        execute_due_resolutions(uow, seller, ret, now)
        uow.commit()
        return ret


def deny_return(cmd: DenyReturn, uow: UnitOfWork) -> Return:
    """Refuse a return with a reason and a note for the customer."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        withdraw_from_supplier(uow, ret, "denied by the seller", utcnow())
        ret.deny(reason=cmd.reason, note=cmd.note, actor=cmd.actor, now=utcnow())
        uow.commit()
        return ret


def cancel_return(cmd: FinishReturn, uow: UnitOfWork) -> Return:
    """The customer (or the seller for them) withdraws a return before it ships."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        withdraw_from_supplier(uow, ret, "cancelled by the customer", utcnow())
        ret.cancel(actor=cmd.actor, now=utcnow(), note=cmd.note)
        uow.commit()
        return ret


def close_return(cmd: FinishReturn, uow: UnitOfWork) -> Return:
    """The seller finishes a return, whatever open status it is in."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        withdraw_from_supplier(uow, ret, "closed by the seller", utcnow())
        ret.close(actor=cmd.actor, now=utcnow(), note=cmd.note)
        uow.commit()
        return ret


def receive_return(cmd: ReceiveReturn, uow: UnitOfWork) -> Return:
    """Units of the return arrived at the facility."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        now = utcnow()
        ret.receive(list(cmd.receipts), actor=cmd.actor, now=now)
        execute_due_resolutions(uow, _seller(uow, ret.seller_id), ret, now)
        uow.commit()
        return ret


def resolve_return(cmd: ResolveReturn, uow: UnitOfWork) -> Return:
    """Execute each item's resolution (refund, credit, exchange, ...).

    A refund is committed pending with the move to ``resolved``; the worker asks the payment
    gateway (``send_due_refunds``), never the request: a slow gateway holds no one's request.
    """
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        uow.read_ahead_for_resolution(ret)
        seller = _seller(uow, ret.seller_id)
        choices = Choices(cmd.resolutions, cmd.exchanges, cmd.refund_amount)
        execute_resolutions(uow, seller, ret, choices, cmd.actor, utcnow())
        uow.commit()
    return ret


def reopen_return(cmd: FinishReturn, uow: UnitOfWork) -> Return:
    """Undo a seller's close: back to the status the return was closed from."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        ret.reopen(actor=cmd.actor, now=utcnow(), note=cmd.note)
        uow.commit()
        return ret


def get_return(scope: Scope, ref: str, uow: UnitOfWork) -> Return:
    """One return by id or RMA number, if the caller may see it, to show (not to change)."""
    with uow:
        return _find(uow, scope, ref)


def expire_due_returns(uow: UnitOfWork, now: datetime | None = None) -> int:
    """Expire every authorized return whose deadline passed with nothing shipped."""
    now = now or utcnow()
    with uow:
        due = uow.returns.due_for_expiry(now)
        for ret in due:
            ret.expire(now)
        uow.commit()
        return len(due)


def authorization_deadline_for(
    seller: Seller, window_closes_at: datetime | None, now: datetime
) -> datetime:
    """The deadline an authorization given now sets, for a return whose window closes then."""
    assert window_closes_at is not None  # set when the return was requested
    return authorization_deadline(window_closes_at, now, seller.transit_days)


def _authorize(
    uow: UnitOfWork, seller: Seller, ret: Return, cmd: AuthorizeReturn, now: datetime
) -> None:
    if cmd.rma_number is not None:
        number = rma_numbers.validate_custom(cmd.rma_number)
        clash = uow.returns.by_rma_number(seller.id, number)
        if clash is not None and clash is not ret:
            raise DuplicateRmaNumber(
                f"RMA number {number} is already used by return {clash.id}",
                details=[{"field": "rma_number", "value": number, "return_id": clash.id}],
            )
    else:
        number = uow.returns.unused_rma_number(seller.id)
    deadline = authorization_deadline_for(seller, ret.window_closes_at, now)
    chosen = cmd.return_address_id is not None or cmd.new_return_address is not None
    routed = None if chosen else routed_address(uow, ret)
    address_id: str | None
    printed: Address | None
    if routed is not None:  # where the routing rules (or the supplier's answer) send it
        address_id, printed = routed
    else:
        address = _return_address(uow, seller, cmd)
        address_id, printed = (address.id, address.address) if address else (None, None)
    ret.authorize(
        rma_number=number,
        deadline=deadline,
        actor=cmd.actor,
        now=now,
        return_address_id=address_id,
        return_address=printed,
        quantities=cmd.quantities,
    )


def _return_address(uow: UnitOfWork, seller: Seller, cmd: AuthorizeReturn) -> ReturnAddress | None:
    """The address chosen, added right there, or else the seller's default one."""
    if cmd.new_return_address is not None:
        new = cmd.new_return_address
        return save_return_address(
            uow, AddReturnAddress(seller.id, new.label, new.address, new.make_default)
        )
    if cmd.return_address_id is not None:
        return find_return_address(uow, seller.id, cmd.return_address_id)
    if seller.default_return_address_id is not None:
        return uow.return_addresses.get(seller.id, seller.default_return_address_id)
    return None


def _find(uow: UnitOfWork, scope: Scope, ref: str) -> Return:
    ret = uow.returns.get(scope.seller_id, ref) or uow.returns.by_rma_number(
        scope.seller_id, rma_numbers.normalize(ref)
    )
    return _visible(ret, scope, ref)


def _visible(ret: Return | None, scope: Scope, ref: str) -> Return:
    """``ret`` if the caller may see it; else not found, as if it did not exist."""
    if (
        ret is None
        or (scope.order_id is not None and ret.order_id != scope.order_id)
        or (scope.partner_id is not None and ret.partner_id != scope.partner_id)
    ):
        raise NotFound(f"no return {ref}", code="return_not_found")
    return ret


def _seller(uow: UnitOfWork, seller_id: str) -> Seller:
    """The seller's settings, for moving a return (nothing here changes the seller)."""
    seller = uow.sellers.settings(seller_id)
    if seller is None:
        raise NotFound(f"no seller {seller_id}", code="seller_not_found")
    return seller


def _check_reasons(
    uow: UnitOfWork, seller_id: str, order: Order, items: Sequence[RequestedItem]
) -> dict[str, str | None]:
    """Categories by SKU, once every item's reason code is one valid for its SKU."""
    asked = {item.reason_code for item in items}
    codes = {code.code: code for code in uow.reason_codes.among(seller_id, asked)}
    categories = uow.products.categories(seller_id, [line.sku for line in order.lines])
    for index, item in enumerate(items):
        line = order.line(item.line_id)
        if line is None:
            continue  # the policy names the unknown line
        reason = codes.get(item.reason_code)
        category = categories.get(line.sku)
        if reason is None or not reason.applies_to(category):
            raise InvalidInput(
                f"{item.reason_code!r} is not a reason code for this item",
                code="unknown_reason_code",
                details=[{"field": f"items[{index}].reason_code", "value": item.reason_code}],
            )
    return categories


def held_by_line(order: Order, others: Sequence[Return]) -> dict[str, int]:
    """Units of each line of ``order`` that live returns already hold."""
    return {
        line.line_id: sum(other.held_quantity(line.line_id) for other in others)
        for line in order.lines
    }


def policies_by_sku(
    uow: UnitOfWork, seller: Seller, order: Order, categories: Mapping[str, str | None]
) -> dict[str, EffectivePolicy]:
    """The policy in force for each SKU of the order: category, then SKU overrides."""
    in_order = {category for category in categories.values() if category}
    by_category = {p.category: p for p in uow.policies.for_categories(seller.id, in_order)}
    skus = {line.sku for line in order.lines}
    by_sku = {p.sku: p for p in uow.sku_policies.for_skus(seller.id, skus)}
    return {
        sku: EffectivePolicy.of(seller, by_category.get(categories.get(sku) or ""), by_sku.get(sku))
        for sku in skus
    }


def _item(order: Order, item: RequestedItem) -> ReturnItem:
    line = order.line(item.line_id)
    assert line is not None  # the policy checked every line exists
    return ReturnItem(
        id=new_id("itm"),
        line_id=line.line_id,
        sku=line.sku,
        unit_price=line.unit_price,
        requested_quantity=item.quantity,
        reason_code=item.reason_code,
        comment=item.comment,
        exchange_sku=item.exchange_sku or None,
    )
