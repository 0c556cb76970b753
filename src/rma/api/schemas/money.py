"""Resolutions: refunds, store credit, outbound and repair orders."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import Currency, Email, In, Note
from rma.api.schemas.setup import AddressPublic
from rma.domain.fulfillment import OutboundOrder, OutboundStatus, RepairOrder, RepairStatus
from rma.domain.refunds import Refund, RefundStatus
from rma.domain.store_credit import CreditAccount, CreditEntry, EntryKind


class RefundPublic(BaseModel):
    id: str
    return_id: str
    order_id: str
    status: RefundStatus
    amount: int
    currency: str
    breakdown: dict[str, Any] = Field(
        description="goods, tax, shipping, restocking_fee, label_cost, adjustment, total, lines"
    )
    gateway: str
    sequence: int = Field(description="1 for the resolution's refund, then 2, 3... per top-up")
    attempt: int
    idempotency_key: str = Field(description="Sent to the gateway; the same on every ask.")
    next_attempt_at: datetime | None
    reference: str
    failure_reason: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, refund: Refund) -> RefundPublic:
        return cls(**{name: getattr(refund, name) for name in cls.model_fields})


class RefundsPublic(BaseModel):
    data: list[RefundPublic]
    next_cursor: str | None


class RefundTopUp(In):
    amount: Annotated[int, Field(ge=1, le=10**12, description="Minor units")]
    note: Note = ""


class ResolutionPreviewPublic(BaseModel):
    """What resolving with these choices would do; nothing was recorded."""

    currency: str
    label_paid_by: str
    refund: dict[str, Any] = Field(description="The refund breakdown, as a refund records it")
    refund_amount: int = Field(description="What would be refunded (the partial amount if set)")
    refundable: int = Field(description="The most the refund may be")
    store_credit: int = Field(description="Store credit issued, bonus included")
    outbound_orders: int
    repair_orders: int


class RefundConfirm(In):
    status: Literal["succeeded", "failed"]
    reference: Annotated[str, StringConstraints(max_length=200)] = ""
    reason: Note = ""


class CreditEntryPublic(BaseModel):
    id: str
    kind: EntryKind
    amount: int
    bonus: int
    currency: str
    return_id: str | None
    note: str
    created_at: datetime

    @classmethod
    def of(cls, entry: CreditEntry) -> CreditEntryPublic:
        return cls(**{name: getattr(entry, name) for name in cls.model_fields})


class CreditBalancePublic(BaseModel):
    currency: str
    issued: int
    redeemed: int
    balance: int

    @classmethod
    def of(cls, account: CreditAccount) -> CreditBalancePublic:
        return cls(
            currency=account.currency,
            issued=account.issued,
            redeemed=account.redeemed,
            balance=account.balance,
        )


class StoreCreditPublic(BaseModel):
    customer_email: str
    balances: list[CreditBalancePublic]
    entries: list[CreditEntryPublic]


class StoreCreditRedeem(In):
    customer_email: Email
    currency: Currency
    amount: Annotated[int, Field(ge=1, le=10**12)]
    note: Note = ""


class OutboundLinePublic(BaseModel):
    item_id: str
    sku: str
    quantity: int
    unit_price: int


class OutboundOrderPublic(BaseModel):
    id: str
    return_id: str
    kind: str
    status: OutboundStatus
    currency: str
    lines: list[OutboundLinePublic]
    amount_due: int = Field(description="Owed by the customer when the exchange costs more.")
    created_at: datetime
    updated_at: datetime
    ship_to: AddressPublic | None = Field(
        default=None, description="Where to send it: the customer's address for this return."
    )

    @classmethod
    def of(cls, order: OutboundOrder) -> OutboundOrderPublic:
        fields = {n: getattr(order, n) for n in cls.model_fields if n not in {"lines", "ship_to"}}
        ship_to = AddressPublic.of(order.ship_to) if order.ship_to else None
        return cls(
            **fields, lines=[OutboundLinePublic(**line) for line in order.lines], ship_to=ship_to
        )


class OutboundOrdersPublic(BaseModel):
    data: list[OutboundOrderPublic]
    next_cursor: str | None


class OutboundOrderMove(In):
    status: OutboundStatus


class RepairOrderPublic(BaseModel):
    id: str
    return_id: str
    return_item_id: str
    sku: str
    quantity: int
    status: RepairStatus
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, order: RepairOrder) -> RepairOrderPublic:
        return cls(**{name: getattr(order, name) for name in cls.model_fields})


class RepairOrdersPublic(BaseModel):
    data: list[RepairOrderPublic]
    next_cursor: str | None


class RepairOrderMove(In):
    status: RepairStatus


class ResolutionPublic(BaseModel):
    return_id: str
    refund: RefundPublic | None = Field(description="The refund the resolution made")
    refunds: list[RefundPublic] = Field(description="That refund, then each top-up")
    left_to_refund: int = Field(description="What a top-up may still add, in minor units")
    store_credit: CreditEntryPublic | None
    outbound_orders: list[OutboundOrderPublic]
    repair_orders: list[RepairOrderPublic]
