"""Repositories of refunds, store credit, outbound and repair orders (filtered by seller)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from rma.adapters import orm_money as t
from rma.adapters.driver_rows import DriverQuery
from rma.domain.fulfillment import OutboundOrder, OutboundStatus, RepairOrder, RepairStatus
from rma.domain.refunds import Refund, RefundStatus
from rma.domain.sellers import PaymentGatewayKind
from rma.domain.store_credit import CreditAccount, CreditEntry


class SqlRefunds:
    def __init__(self, session: Session):
        self.session = session

    def add(self, refund: Refund) -> None:
        self.session.add(refund)

    def get(self, seller_id: str, refund_id: str, *, lock: bool = False) -> Refund | None:
        c = t.refunds.c
        query = select(Refund).where(c.seller_id == seller_id, c.id == refund_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def for_return(self, seller_id: str, return_id: str) -> Refund | None:
        """The return's first refund (the one its resolution made)."""
        return next(iter(self.all_for_return(seller_id, return_id)), None)

    def all_for_return(self, seller_id: str, return_id: str) -> list[Refund]:
        """The return's refunds: the first, then each top-up."""
        c = t.refunds.c
        query = select(Refund).where(c.seller_id == seller_id, c.return_id == return_id)
        return list(self.session.scalars(query.order_by(c.sequence)))

    def refunded_for_order(self, seller_id: str, order_id: str, *, besides: str) -> int:
        """What other returns of the order (not ``besides``) refund or have refunded."""
        ((query, params),) = refunded_reads(seller_id, order_id, besides)
        (row,) = query.all(self.session, params)  # a sum: always one row
        return int(row[0])

    def page(
        self, seller_id: str, status: RefundStatus | None, *, after: str | None, limit: int
    ) -> list[Refund]:
        c = t.refunds.c
        query = select(Refund).where(c.seller_id == seller_id)
        if status is not None:
            query = query.where(c.status == status)
        if after is not None:
            query = query.where(c.id < after)
        return list(self.session.scalars(query.order_by(c.id.desc()).limit(limit)))

    def claim_due(self, now: datetime, limit: int, only: str | None = None) -> list[Refund]:
        """Pending webhook refunds due for an ask, locked; other claimers skip them."""
        c = t.refunds.c
        narrow = [c.id == only] if only is not None else []
        query = (
            select(Refund)
            .where(
                c.status == RefundStatus.PENDING,
                c.gateway == PaymentGatewayKind.WEBHOOK,
                c.next_attempt_at <= now,
                *narrow,
            )
            .order_by(c.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(self.session.scalars(query))


class SqlStoreCredit:
    def __init__(self, session: Session):
        self.session = session

    def account(self, seller_id: str, email: str, currency: str) -> CreditAccount | None:
        c = t.credit_accounts.c
        query = (
            select(CreditAccount)
            .where(c.seller_id == seller_id, c.customer_email == email, c.currency == currency)
            .with_for_update()  # redemptions of one account queue up, so none overdraws
        )
        return self.session.scalars(query).first()

    def accounts(self, seller_id: str, email: str) -> list[CreditAccount]:
        c = t.credit_accounts.c
        query = select(CreditAccount).where(c.seller_id == seller_id, c.customer_email == email)
        return list(self.session.scalars(query.order_by(c.currency)))

    def holders(self, seller_id: str, limit: int) -> list[CreditAccount]:
        """The seller's accounts with credit left, largest balance first."""
        c = t.credit_accounts.c
        balance = c.issued - c.redeemed
        query = select(CreditAccount).where(c.seller_id == seller_id, balance > 0)
        return list(
            self.session.scalars(query.order_by(balance.desc(), c.customer_email).limit(limit))
        )

    def entries(self, seller_id: str, email: str) -> list[CreditEntry]:
        c = t.credit_entries.c
        query = select(CreditEntry).where(c.seller_id == seller_id, c.customer_email == email)
        return list(self.session.scalars(query.order_by(c.created_at, c.id)))

    def for_return(self, seller_id: str, return_id: str) -> CreditEntry | None:
        c = t.credit_entries.c
        query = select(CreditEntry).where(c.seller_id == seller_id, c.return_id == return_id)
        return self.session.scalars(query).first()

    def add_account(self, account: CreditAccount) -> None:
        self.session.add(account)

    def add_entry(self, entry: CreditEntry) -> None:
        self.session.add(entry)


class SqlOutboundOrders:
    def __init__(self, session: Session):
        self.session = session

    def add(self, order: OutboundOrder) -> None:
        self.session.add(order)

    def get(self, seller_id: str, order_id: str) -> OutboundOrder | None:
        c = t.outbound_orders.c
        query = select(OutboundOrder).where(c.seller_id == seller_id, c.id == order_id)
        return self.session.scalars(query).first()

    def for_return(self, seller_id: str, return_id: str) -> list[OutboundOrder]:
        c = t.outbound_orders.c
        query = select(OutboundOrder).where(c.seller_id == seller_id, c.return_id == return_id)
        return list(self.session.scalars(query.order_by(c.id)))

    def page(
        self, seller_id: str, status: Sequence[OutboundStatus], *, after: str | None, limit: int
    ) -> list[OutboundOrder]:
        c = t.outbound_orders.c
        query = select(OutboundOrder).where(c.seller_id == seller_id)
        if status:
            query = query.where(c.status.in_(list(status)))
        if after is not None:
            query = query.where(c.id < after)
        return list(self.session.scalars(query.order_by(c.id.desc()).limit(limit)))


class SqlRepairOrders:
    def __init__(self, session: Session):
        self.session = session

    def add(self, order: RepairOrder) -> None:
        self.session.add(order)

    def get(self, seller_id: str, order_id: str) -> RepairOrder | None:
        c = t.repair_orders.c
        query = select(RepairOrder).where(c.seller_id == seller_id, c.id == order_id)
        return self.session.scalars(query).first()

    def for_return(self, seller_id: str, return_id: str) -> list[RepairOrder]:
        c = t.repair_orders.c
        query = select(RepairOrder).where(c.seller_id == seller_id, c.return_id == return_id)
        return list(self.session.scalars(query.order_by(c.id)))

    def page(
        self, seller_id: str, status: Sequence[RepairStatus], *, after: str | None, limit: int
    ) -> list[RepairOrder]:
        c = t.repair_orders.c
        query = select(RepairOrder).where(c.seller_id == seller_id)
        if status:
            query = query.where(c.status.in_(list(status)))
        if after is not None:
            query = query.where(c.id < after)
        return list(self.session.scalars(query.order_by(c.id.desc()).limit(limit)))


_r = t.refunds.c


# Every resolution asks it: a statement by the driver (``driver_rows``).
def refunded_reads(
    seller_id: str, order_id: str, besides: str
) -> list[tuple[DriverQuery, dict[str, Any]]]:
    """The statement ``refunded_for_order`` reads with (``ask_ahead`` takes it)."""
    params = {"seller_id": seller_id, "order_id": order_id, "besides": besides}
    return [(_REFUNDED_FOR_ORDER, params)]


_REFUNDED_FOR_ORDER = DriverQuery(
    select(func.coalesce(func.sum(_r.amount), 0)).where(
        _r.seller_id == bindparam("seller_id"),
        _r.order_id == bindparam("order_id"),
        _r.return_id != bindparam("besides"),
        _r.status != RefundStatus.FAILED,
    )
)
