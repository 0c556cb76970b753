"""Domain events: what happened to a return, in the past tense.

Each event has a dotted ``type`` (``return.authorized``) that names it on the wire, and a
``payload`` that is versioned by ``version``; the outbox stores both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True)
class Event:
    """Something that happened to one seller's return."""

    type: ClassVar[str] = "event"
    version: ClassVar[int] = 1

    seller_id: str
    return_id: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The versioned JSON body of this event."""
        return {
            "type": self.type,
            "version": self.version,
            "seller_id": self.seller_id,
            "return_id": self.return_id,
            "occurred_at": self.occurred_at.isoformat(),
            "data": self.data,
        }


class ReturnRequested(Event):
    type = "return.requested"


class ReturnPendingReview(Event):
    type = "return.pending_review"


class ReturnAuthorized(Event):
    type = "return.authorized"


class ReturnDenied(Event):
    type = "return.denied"


class ReturnInTransit(Event):
    type = "return.in_transit"


class ReturnReceived(Event):
    type = "return.received"


class ReturnInspected(Event):
    type = "return.inspected"


class ReturnResolved(Event):
    type = "return.resolved"


class ReturnClosed(Event):
    type = "return.closed"


class ReturnReopened(Event):
    type = "return.reopened"


class ReturnCancelled(Event):
    type = "return.cancelled"


class ReturnExpired(Event):
    type = "return.expired"


class RefundSucceeded(Event):
    type = "refund.succeeded"


class RefundFailed(Event):
    type = "refund.failed"


# -- suppliers and 3PLs (docs/partners.md) ---------------------------------------------------


class ReturnRouted(Event):
    type = "return.routed"


class SupplierRmaRequested(Event):
    type = "supplier_rma.requested"


class SupplierRmaReminded(Event):
    type = "supplier_rma.reminded"


class SupplierRmaEscalated(Event):
    type = "supplier_rma.escalated"


class SupplierRmaAccepted(Event):
    type = "supplier_rma.accepted"


class SupplierRmaRefused(Event):
    type = "supplier_rma.refused"


class SupplierRmaWithdrawn(Event):
    type = "supplier_rma.withdrawn"


class SupplierRmaResolved(Event):
    type = "supplier_rma.resolved"


class SupplierCreditRecorded(Event):
    type = "supplier_credit.recorded"


class AnalyticsAlert(Event):
    """A SKU's return rate or one reason's share jumped above its own baseline.

    ``return_id`` carries the alert's id: the event is about a SKU, not one return.
    """

    type = "analytics.alert"
