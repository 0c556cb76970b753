"""Executing a return's resolutions: the refund, store credit, outbound and repair orders.

Everything is recorded in the caller's transaction, together with the move to ``resolved``:
the refund row exists (pending) before any gateway is asked, and the database allows one per
return, so no path can pay a return twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput
from rma.domain.fulfillment import OutboundKind, OutboundOrder, RepairOrder
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.refunds import (
    Breakdown,
    OrderedLine,
    Refund,
    RefundLine,
    compute_refund,
    credit_bonus,
    paid_for,
)
from rma.domain.returns import (
    SYSTEM,
    WRITTEN_OFF_DISPOSITIONS,
    Actor,
    Resolution,
    Return,
    ReturnItem,
)
from rma.domain.sellers import (
    EffectivePolicy,
    Fault,
    LabelPayer,
    ResolutionTrigger,
    Seller,
    label_payer,
)
from rma.domain.statuses import ReturnStatus, resolution_due
from rma.domain.store_credit import CreditAccount, CreditEntry, EntryKind, account_email
from rma.services.risk import early_refund_withheld
from rma.services.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

MONEY_BACK = {Resolution.REFUND, Resolution.KEEP_ITEM}


@dataclass(frozen=True)
class ExchangeChoice:
    """The variant sent instead, and its price (the returned item's price if ``None``)."""

    sku: str
    unit_price: int | None = None


@dataclass(frozen=True)
class Choices:
    """What the seller decided beyond each item's resolution."""

    resolutions: Mapping[str, Resolution] = field(default_factory=dict)
    exchanges: Mapping[str, ExchangeChoice] = field(default_factory=dict)
    refund_amount: int | None = None  # a partial refund: at most the computed amount


@dataclass(frozen=True)
class Settlement:
    """What executing the resolutions created."""

    refund: Refund | None
    credit: CreditEntry | None
    outbound: list[OutboundOrder]
    repairs: list[RepairOrder]


@dataclass(frozen=True)
class Plan:
    """What resolving a return would create, computed and checked, nothing recorded yet."""

    chosen: dict[str, Resolution]
    currency: str
    label_paid_by: LabelPayer
    refund_breakdown: Breakdown
    credit_breakdown: Breakdown
    refund: Refund | None
    credit: CreditEntry | None
    outbound: list[OutboundOrder]
    repairs: list[RepairOrder]
    refundable: int  # the most the refund may be: the computed amount, capped by what is left


def plan_resolutions(
    uow: UnitOfWork, seller: Seller, ret: Return, choices: Choices, now: datetime
) -> Plan:
    """Compute (and check) the money and orders resolving ``ret`` calls for; record nothing."""
    chosen = ret.check_resolvable(choices.resolutions, seller.resolution_trigger)
    order = uow.orders.get(seller.id, ret.order_id)
    assert order is not None  # a return always belongs to an existing order
    _check_keep_items(seller, ret, chosen)
    terms = _item_terms(uow, seller, ret)
    lines = {item_id: line for item_id, (line, _payer) in terms.items()}
    payer = label_payer(rule for _line, rule in terms.values())
    ordered = [
        OrderedLine(x.line_id, x.quantity, x.unit_price, x.tax_per_unit) for x in order.lines
    ]
    shipped_back = any(r is not Resolution.KEEP_ITEM for r in chosen.values())
    label = ret.label_cost if payer is LabelPayer.BUYER and shipped_back else 0
    outbound, exchange_credit = _outbound_orders(
        uow, seller, ret, chosen, choices, now, order.shipping_address
    )
    refund_lines = [lines[i] for i, r in chosen.items() if r in MONEY_BACK]
    credit_lines = [lines[i] for i, r in chosen.items() if r is Resolution.STORE_CREDIT]
    refund_bd = compute_refund(
        refund_lines,
        ordered,
        shipping_amount=order.shipping_amount,
        label_cost=label if refund_lines else 0,
        adjustment=exchange_credit,
    )
    credit_bd = compute_refund(
        credit_lines,
        ordered,
        shipping_amount=order.shipping_amount,
        label_cost=0 if refund_lines else label,
    )
    paid = paid_for(ordered, order.shipping_amount)
    left = paid - uow.refunds.refunded_for_order(seller.id, order.id, besides=ret.id)
    refund = _refund(seller, ret, order, left, refund_bd, choices.refund_amount, now)
    repairs = [
        RepairOrder(new_id("rep"), seller.id, ret.id, item.id, item.sku, qty, now, now)
        for item in ret.items
        if chosen[item.id] is Resolution.REPAIR
        and item.disposition not in WRITTEN_OFF_DISPOSITIONS  # nothing is left to repair
        and (qty := item.settled_quantity) > 0
    ]
    return Plan(
        chosen=chosen,
        currency=ret.currency,
        label_paid_by=payer,
        refund_breakdown=refund_bd,
        credit_breakdown=credit_bd,
        refund=refund,
        credit=_credit(seller, ret, credit_bd, now),
        outbound=outbound,
        repairs=repairs,
        refundable=max(0, min(refund_bd.total, left)),
    )


def execute_resolutions(
    uow: UnitOfWork, seller: Seller, ret: Return, choices: Choices, actor: Actor, now: datetime
) -> Settlement:
    """Resolve ``ret`` and record the money and orders each item's resolution calls for."""
    plan = plan_resolutions(uow, seller, ret, choices, now)
    refund, credit, outbound, repairs = plan.refund, plan.credit, plan.outbound, plan.repairs
    # Everything was checked by the plan; only now is anything recorded.
    ret.label_paid_by = str(plan.label_paid_by)
    if refund is not None:
        uow.refunds.add(refund)
    if credit is not None:
        _issue(uow, credit)
    for repair in repairs:
        uow.repair_orders.add(repair)
    for outbound_order in outbound:
        uow.outbound_orders.add(outbound_order)
    summary = {
        "refund": {"id": refund.id, "amount": refund.amount} if refund else None,
        "store_credit": {"amount": credit.amount, "bonus": credit.bonus} if credit else None,
        "outbound_orders": [o.id for o in outbound],
        "repair_orders": [r.id for r in repairs],
    }
    ret.resolve(
        plan.chosen,
        actor=actor,
        now=now,
        trigger=seller.resolution_trigger,
        note=_note(ret.currency, refund, credit, outbound, repairs),
        currency=ret.currency,
        **summary,
    )
    return Settlement(refund, credit, outbound, repairs)


def execute_due_resolutions(uow: UnitOfWork, seller: Seller, ret: Return, now: datetime) -> bool:
    """After a step of the return (authorization, scan, receipt), resolve it if that is due.

    ``keep_item`` returns whose items are all worth at most the seller's limit resolve at
    authorization; sellers who resolve on first scan or receipt get the customer's preferred
    resolution executed there (but for exchanges, which need the variant). On inspection (the
    default) a person resolves.
    """
    prices = [item.unit_price for item in ret.items]
    if not automatic_resolution_due(seller, ret.status, ret.resolution, prices):
        return False
    if early_refund_withheld(uow, ret):
        return False  # a risk rule fired: a person inspects before any money moves
    # Items too dear to keep came back after all: they are refunded instead.
    resolutions = {
        i.id: Resolution.REFUND
        for i in ret.items
        if ret.resolution is Resolution.KEEP_ITEM and i.unit_price > seller.keep_item_max_value
    }
    try:
        execute_resolutions(uow, seller, ret, Choices(resolutions), SYSTEM, now)
    except InvalidInput:
        # The warehouse's step stands; the seller resolves by hand and sees why it cannot be
        # automatic (nothing was changed: InvalidInput is raised before the return moves).
        log.warning("return %s was not resolved automatically", ret.id, exc_info=True)
        return False
    return True


def automatic_resolution_due(
    seller: Seller, status: ReturnStatus, resolution: Resolution, unit_prices: Iterable[int]
) -> bool:
    """Whether ``execute_due_resolutions`` resolves a return now in ``status``.

    Answered from plain values, so bulk authorization can tell which returns resolve as they
    are authorized without loading them.
    """
    keep = (
        status is ReturnStatus.AUTHORIZED
        and resolution is Resolution.KEEP_ITEM
        and all(price <= seller.keep_item_max_value for price in unit_prices)
    )
    trigger = seller.resolution_trigger
    early = trigger is not ResolutionTrigger.INSPECTION and resolution_due(status, trigger)
    # An exchange waits for the seller to name the variant to send.
    return (keep or early) and resolution is not Resolution.EXCHANGE


def _check_keep_items(seller: Seller, ret: Return, chosen: Mapping[str, Resolution]) -> None:
    for item in ret.items:
        if chosen[item.id] is Resolution.KEEP_ITEM and item.unit_price > seller.keep_item_max_value:
            raise InvalidInput(
                f"item {item.id} is worth {item.unit_price}; the customer may keep items worth "
                f"at most {seller.keep_item_max_value}",
                code="keep_item_over_limit",
                details=[{"field": "items", "item_id": item.id}],
            )


def _item_terms(
    uow: UnitOfWork, seller: Seller, ret: Return
) -> dict[str, tuple[RefundLine, tuple[LabelPayer, Fault]]]:
    """Per item: its refund line, and the label rule of its policy with its reason's fault."""
    parts = [
        MoneyPart(item.id, item.line_id, item.sku, item.settled_quantity, item.reason_code)
        for item in ret.items
    ]
    return _terms(uow, seller, parts)


@dataclass(frozen=True)
class MoneyPart:
    """Units of one order line whose money may go back, and the reason they come back."""

    item_id: str
    line_id: str
    sku: str
    quantity: int
    reason_code: str


def refund_lines(
    uow: UnitOfWork, seller: Seller, parts: Iterable[MoneyPart]
) -> dict[str, RefundLine]:
    """The refund lines of ``parts``: whose fault, which restocking fee, by item id.

    The one reading of faults and fees: resolving a return and the portal's estimate both
    use it, so the estimate is what is later paid.
    """
    return {item_id: line for item_id, (line, _rule) in _terms(uow, seller, parts).items()}


def _terms(
    uow: UnitOfWork, seller: Seller, parts: Iterable[MoneyPart]
) -> dict[str, tuple[RefundLine, tuple[LabelPayer, Fault]]]:
    parts = list(parts)
    codes = uow.reason_codes.among(seller.id, {part.reason_code for part in parts})
    faults = {code.code: code.fault for code in codes}
    skus = {part.sku for part in parts}
    categories = uow.products.categories(seller.id, skus)
    named = {c for c in categories.values() if c}
    by_category = {p.category: p for p in uow.policies.for_categories(seller.id, named)}
    by_sku = {p.sku: p for p in uow.sku_policies.for_skus(seller.id, skus)}
    terms = {}
    for part in parts:
        policy = EffectivePolicy.of(
            seller, by_category.get(categories.get(part.sku) or ""), by_sku.get(part.sku)
        )
        fault = faults.get(part.reason_code, Fault.BUYER)
        line = RefundLine(
            item_id=part.item_id,
            line_id=part.line_id,
            quantity=part.quantity,
            fault=fault,
            restocking_fee_percent=policy.restocking_fee_percent,
        )
        terms[part.item_id] = (line, (policy.label_paid_by, fault))
    return terms


def _refund(
    seller: Seller,
    ret: Return,
    order: Order,
    left: int,
    breakdown: Breakdown,
    partial: int | None,
    now: datetime,
) -> Refund | None:
    amount = breakdown.total
    if partial is not None:
        if partial > amount:
            raise InvalidInput(
                f"the refund can be at most {amount}",
                code="refund_above_paid",
                details=[{"field": "refund_amount", "max": amount}],
            )
        amount = partial
    # ``left`` leaves out this return's own refunds: a concurrent resolve of this same return
    # is not "already refunded", it fails on the one-first-refund-per-return constraint (409).
    if amount > left:
        raise InvalidInput(
            f"only {left} of what was paid for order {order.number} is left to refund",
            code="refund_above_paid",
            details=[{"field": "refund_amount", "max": left}],
        )
    if amount <= 0:
        return None
    return Refund(
        id=new_id("rfd"),
        seller_id=seller.id,
        return_id=ret.id,
        order_id=order.id,
        currency=ret.currency,
        amount=amount,
        gateway=seller.payment_gateway,
        created_at=now,
        updated_at=now,
        breakdown={**breakdown.as_dict(), "refunded": amount},
    )


def _credit(seller: Seller, ret: Return, breakdown: Breakdown, now: datetime) -> CreditEntry | None:
    if breakdown.total <= 0:
        return None
    email = account_email(ret.customer_email)
    bonus = credit_bonus(breakdown.total, seller.store_credit_bonus_percent)
    return CreditEntry(
        id=new_id("crd"),
        seller_id=seller.id,
        customer_email=email,
        currency=ret.currency,
        kind=EntryKind.ISSUED,
        amount=breakdown.total + bonus,
        created_at=now,
        bonus=bonus,
        return_id=ret.id,
        note=f"return {ret.rma_number or ret.id}",
    )


def _issue(uow: UnitOfWork, entry: CreditEntry) -> None:
    account = uow.store_credit.account(entry.seller_id, entry.customer_email, entry.currency)
    if account is None:
        account = CreditAccount(entry.seller_id, entry.customer_email, entry.currency)
        uow.store_credit.add_account(account)
    account.issue(entry)
    uow.store_credit.add_entry(entry)


def _outbound_orders(
    uow: UnitOfWork,
    seller: Seller,
    ret: Return,
    chosen: Mapping[str, Resolution],
    choices: Choices,
    now: datetime,
    shipping_address: Address | None = None,
) -> tuple[list[OutboundOrder], int]:
    """Outbound orders for exchanges and replacements, and the credit owed on exchanges."""
    orders: dict[OutboundKind, OutboundOrder] = {}
    credit = 0
    for item in ret.items:
        kind = {
            Resolution.EXCHANGE: OutboundKind.EXCHANGE,
            Resolution.REPLACEMENT: OutboundKind.REPLACEMENT,
        }.get(chosen[item.id])
        if kind is None or item.settled_quantity == 0:
            continue
        sku, price = item.sku, item.unit_price
        if kind is OutboundKind.EXCHANGE:
            # The seller's choice, else the variant the customer asked for.
            asked = ExchangeChoice(item.exchange_sku) if item.exchange_sku else None
            sku, price = _exchange(uow, seller, item, choices.exchanges.get(item.id) or asked)
        order = orders.setdefault(
            kind,
            OutboundOrder(
                new_id("out"),
                seller.id,
                ret.id,
                kind,
                ret.currency,
                now,
                now,
                ship_to=ret.ship_from or shipping_address,
            ),
        )
        order.lines.append(
            {"item_id": item.id, "sku": sku, "quantity": item.settled_quantity, "unit_price": price}
        )
        difference = (price - item.unit_price) * item.settled_quantity
        if difference > 0:
            order.amount_due += difference
        else:
            credit -= difference
    return list(orders.values()), credit


def _exchange(
    uow: UnitOfWork, seller: Seller, item: ReturnItem, choice: ExchangeChoice | None
) -> tuple[str, int]:
    if choice is None:
        raise InvalidInput(
            f"item {item.id} is exchanged: name the variant to send (exchange_sku)",
            code="exchange_sku_required",
            details=[{"field": "items", "item_id": item.id}],
        )
    product = uow.products.get(seller.id, choice.sku)
    if product is None or choice.sku == item.sku:
        raise InvalidInput(
            f"{choice.sku!r} is not another product of the catalog",
            code="exchange_sku_unknown",
            details=[{"field": "items", "item_id": item.id, "exchange_sku": choice.sku}],
        )
    # The catalog knows no product families, so a variant is another SKU of the same category.
    returned = uow.products.get(seller.id, item.sku)
    if returned is not None and returned.category not in (None, product.category):
        raise InvalidInput(
            f"{choice.sku!r} is not a variant of {item.sku!r} (another category)",
            code="exchange_not_a_variant",
            details=[{"field": "items", "item_id": item.id, "exchange_sku": choice.sku}],
        )
    return choice.sku, item.unit_price if choice.unit_price is None else choice.unit_price


def _note(
    currency: str,
    refund: Refund | None,
    credit: CreditEntry | None,
    outbound: list[OutboundOrder],
    repairs: list[RepairOrder],
) -> str:
    parts = []
    if refund is not None:
        parts.append(f"refund {refund.amount} {currency} ({refund.id}, {refund.status})")
    if credit is not None:
        parts.append(f"store credit {credit.amount} {currency}")
    parts += [f"{o.kind} order {o.id}" for o in outbound]
    parts += [f"repair order {r.id}" for r in repairs]
    return "; ".join(parts)
