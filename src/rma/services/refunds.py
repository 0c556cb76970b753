"""Refunds after they are recorded: asking the gateway, confirmations, retries, reading.

A gateway is only ever asked about a refund row that is already committed (pending), with
the attempt's idempotency key; an answer is applied in a new transaction, and only to the
attempt it was about. A process that dies between the two leaves the refund pending, and the
next ask (``send_due_refunds``: the worker, ``rma refunds reconcile``) asks with the same key,
which the seller's system answers without paying twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from rma.domain.errors import NotFound
from rma.domain.refunds import Refund, RefundStatus
from rma.domain.sellers import Seller
from rma.services.clock import utcnow
from rma.services.payments import AnswerStatus, GatewayAnswer, PaymentGateway, RefundRequest
from rma.services.unit_of_work import UnitOfWork

LEASE = timedelta(minutes=2)  # nobody else asks about a claimed refund meanwhile


@dataclass(frozen=True)
class ConfirmRefund:
    """The seller's word on a refund: paid (with its reference) or refused."""

    seller_id: str
    refund_id: str
    succeeded: bool
    reference: str = ""
    reason: str = ""


def send_due_refunds(
    uow: UnitOfWork,
    gateway: PaymentGateway,
    *,
    now: datetime | None = None,
    limit: int = 50,
    only: str | None = None,
) -> int:
    """Ask the gateway about each pending webhook refund that is due; answer how many."""
    now = now or utcnow()
    with uow:
        claimed = uow.refunds.claim_due(now, limit, only)
        asks: list[tuple[Seller, RefundRequest]] = []
        for refund in claimed:
            refund.claim(now, LEASE)
            seller = uow.sellers.get(refund.seller_id)
            assert seller is not None  # refunds belong to existing sellers
            asks.append((seller, _request(refund)))
        uow.commit()
    for seller, request in asks:
        answer = gateway.request_refund(seller, request)
        _apply(uow, seller.id, request, answer)
    return len(asks)


def confirm_refund(cmd: ConfirmRefund, uow: UnitOfWork) -> Refund:
    """Record the seller's confirmation (manual gateway, or a webhook gateway's callback)."""
    now = utcnow()
    with uow:
        refund = _find(uow, cmd.seller_id, cmd.refund_id, lock=True)
        if cmd.succeeded:
            refund.succeed(reference=cmd.reference, now=now)
        else:
            refund.fail(reason=cmd.reason or "refused by the seller", now=now)
        uow.commit()
        return refund


def retry_refund(seller_id: str, refund_id: str, uow: UnitOfWork) -> Refund:
    """Try a failed refund again, as a new attempt."""
    with uow:
        refund = _find(uow, seller_id, refund_id, lock=True)
        refund.retry(utcnow())
        uow.commit()
        return refund


def get_refund(seller_id: str, refund_id: str, uow: UnitOfWork) -> Refund:
    with uow:
        return _find(uow, seller_id, refund_id)


def list_refunds(
    seller_id: str, status: RefundStatus | None, uow: UnitOfWork, *, after: str | None, limit: int
) -> list[Refund]:
    """A page of the seller's refunds, newest first."""
    with uow:
        return uow.refunds.page(seller_id, status, after=after, limit=limit)


def _apply(uow: UnitOfWork, seller_id: str, request: RefundRequest, answer: GatewayAnswer) -> None:
    now = utcnow()
    with uow:
        refund = uow.refunds.get(seller_id, request.refund_id, lock=True)
        if (
            refund is None
            or refund.status is not RefundStatus.PENDING
            or refund.idempotency_key != request.idempotency_key
        ):
            return  # confirmed meanwhile, or the answer is about an older attempt
        if answer.status is AnswerStatus.SUCCEEDED:
            refund.succeed(reference=answer.reference, now=now)
        elif answer.status is AnswerStatus.FAILED:
            refund.fail(reason=answer.reason or "refused by the gateway", now=now)
        else:
            refund.still_pending(now, answer.reason)
        uow.commit()


def _request(refund: Refund) -> RefundRequest:
    return RefundRequest(
        refund_id=refund.id,
        return_id=refund.return_id,
        order_id=refund.order_id,
        amount=refund.amount,
        currency=refund.currency,
        idempotency_key=refund.idempotency_key,
    )


def _find(uow: UnitOfWork, seller_id: str, refund_id: str, *, lock: bool = False) -> Refund:
    refund = uow.refunds.get(seller_id, refund_id, lock=lock)
    if refund is None:
        raise NotFound(f"no refund {refund_id}", code="refund_not_found")
    return refund
