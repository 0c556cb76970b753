"""The payment gateway port: how a refund is asked of the seller's payment system."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from rma.domain.sellers import Seller


@dataclass(frozen=True)
class RefundRequest:
    """One attempt of one refund; ``idempotency_key`` is the same every time it is asked."""

    refund_id: str
    return_id: str
    order_id: str
    amount: int
    currency: str
    idempotency_key: str


class AnswerStatus(StrEnum):
    SUCCEEDED = "succeeded"  # the money went back
    FAILED = "failed"  # refused: nothing was paid
    PENDING = "pending"  # not known yet: ask again later, or wait for a confirmation


@dataclass(frozen=True)
class GatewayAnswer:
    status: AnswerStatus
    reference: str = ""
    reason: str = ""


class PaymentGateway(Protocol):
    def request_refund(self, seller: Seller, request: RefundRequest) -> GatewayAnswer:
        """Ask for the refund; never raises, an unclear outcome is ``pending``."""
        ...
