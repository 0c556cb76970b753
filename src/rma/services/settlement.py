"""A return's money as the desk works it: resolving previewed, then refunds topped up.

The preview runs the very computation resolving runs (``plan_resolutions``) and records
nothing, so what the seller confirms is what is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.errors import Conflict, InvalidInput
from rma.domain.ids import new_id
from rma.domain.money import format_amount
from rma.domain.refunds import OrderedLine, Refund, RefundStatus, paid_for
from rma.domain.returns import Actor
from rma.domain.statuses import ReturnStatus
from rma.services.clock import utcnow
from rma.services.resolutions import Choices, Plan, plan_resolutions
from rma.services.returns import ResolveReturn, Scope, _find, _seller
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class TopUpRefund:
    """Refund more of a resolved return, after a partial refund."""

    scope: Scope
    ref: str
    actor: Actor
    amount: int  # minor units
    note: str = ""


@dataclass(frozen=True)
class ReturnRefunds:
    """The refunds of one return, in order, and how much more may still be refunded."""

    refunds: list[Refund]
    owed: int  # the amount computed at resolution
    refunded: int  # what the refunds that did not fail add up to
    left: int  # what a top-up may add: owed less refunded, within what the order has left


def preview_resolution(cmd: ResolveReturn, uow: UnitOfWork) -> Plan:
    """What resolving with these choices would refund, credit and order; nothing is recorded."""
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        seller = _seller(uow, ret.seller_id)
        choices = Choices(cmd.resolutions, cmd.exchanges, cmd.refund_amount)
        return plan_resolutions(uow, seller, ret, choices, utcnow())


def return_refunds(scope: Scope, ref: str, uow: UnitOfWork) -> ReturnRefunds:
    """The refunds of one of the caller's returns, and what is left to refund."""
    with uow:
        return return_refunds_in(uow, scope, ref)


def top_up_refund(cmd: TopUpRefund, uow: UnitOfWork) -> Refund:
    """Record a further refund of a resolved return, as its own refund (pending).

    The worker asks the payment gateway for it, as for every refund: never the request.

    It is capped at what was computed at resolution less what was refunded (failed refunds
    do not count), and at what the order has left to refund. The database refuses two
    refunds with one sequence number for a return, so concurrent top-ups cannot both pass.
    """
    now = utcnow()
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        if ret.status not in {ReturnStatus.RESOLVED, ReturnStatus.CLOSED}:
            raise Conflict(
                f"only a resolved return is refunded more; this one is {ret.status}",
                code="return_not_resolved",
            )
        money = return_refunds_in(uow, cmd.scope, ret.id)
        if not money.refunds:
            raise Conflict(
                "this return was resolved without a refund; there is nothing to top up",
                code="no_refund_to_top_up",
            )
        if cmd.amount <= 0:
            raise InvalidInput(
                "a refund is for a positive amount",
                code="refund_not_positive",
                details=[{"field": "amount"}],
            )
        if cmd.amount > money.left:
            raise InvalidInput(
                f"at most {format_amount(money.left, ret.currency)} is left to refund",
                code="refund_above_paid",
                details=[{"field": "amount", "max": money.left}],
            )
        seller = _seller(uow, ret.seller_id)
        first = money.refunds[0]
        refund = Refund(
            id=new_id("rfd"),
            seller_id=ret.seller_id,
            return_id=ret.id,
            order_id=ret.order_id,
            currency=ret.currency,
            amount=cmd.amount,
            gateway=seller.payment_gateway,
            created_at=now,
            updated_at=now,
            sequence=max(r.sequence for r in money.refunds) + 1,
            breakdown={"top_up_of": first.id, "total": money.owed, "refunded": cmd.amount},
        )
        words = f"refund top-up {format_amount(cmd.amount, ret.currency)} ({refund.id})"
        ret.note_top_up(f"{words}: {cmd.note}" if cmd.note else words, actor=cmd.actor, now=now)
        uow.refunds.add(refund)
        uow.commit()
    return refund


def return_refunds_in(uow: UnitOfWork, scope: Scope, ref: str) -> ReturnRefunds:
    ret = _find(uow, scope, ref)
    refunds = uow.refunds.all_for_return(ret.seller_id, ret.id)
    if not refunds:
        return ReturnRefunds([], 0, 0, 0)
    owed = int(refunds[0].breakdown.get("total", refunds[0].amount))
    refunded = sum(r.amount for r in refunds if r.status is not RefundStatus.FAILED)
    order = uow.orders.get(ret.seller_id, ret.order_id)
    assert order is not None  # a return always belongs to an existing order
    ordered = [
        OrderedLine(x.line_id, x.quantity, x.unit_price, x.tax_per_unit) for x in order.lines
    ]
    on_order = paid_for(ordered, order.shipping_amount) - uow.refunds.refunded_for_order(
        ret.seller_id, order.id, besides=""
    )
    return ReturnRefunds(refunds, owed, refunded, max(0, min(owed - refunded, on_order)))
