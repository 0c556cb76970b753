"""Partners of a seller: suppliers (dropship) and 3PLs (outsourced fulfillment centers).

A partner has a contact, an address (a 3PL's facility, a supplier's return address), what it
handles (SKUs and categories), and, for a supplier, the terms of sending goods back to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput


class PartnerKind(StrEnum):
    SUPPLIER = "supplier"  # dropship: it shipped the item and takes the return back
    THREE_PL = "3pl"  # receives and inspects returns on the seller's behalf


class Remedy(StrEnum):
    CREDIT = "credit"  # a credit memo to the seller
    REPLACEMENT = "replacement"  # a replacement shipped to the customer


class ShippingPayer(StrEnum):
    SELLER = "seller"  # the seller pays the return postage
    SUPPLIER = "supplier"  # the supplier pays it


@dataclass(frozen=True)
class SupplierTerms:
    """What a supplier agreed to: how long it takes returns, who pays, what it keeps."""

    window_days: int = 30  # from the order date
    shipping_paid_by: ShippingPayer = ShippingPayer.SELLER
    restocking_fee_percent: int = 0  # kept off the credit
    remedy: Remedy = Remedy.CREDIT
    answer_hours: int = 48  # reminded after this, escalated to the seller after twice this

    def __post_init__(self) -> None:
        if not 0 <= self.restocking_fee_percent <= 100:
            raise InvalidInput(
                "a restocking fee is 0 to 100 percent",
                details=[{"field": "terms.restocking_fee_percent"}],
            )
        if self.window_days < 0 or self.answer_hours < 1:
            raise InvalidInput(
                "the window is 0 days or more and the answer time 1 hour or more",
                details=[{"field": "terms"}],
            )

    def expected_credit(self, value: int) -> int:
        """The credit memo to expect for goods worth ``value`` minor units, fee taken off."""
        if self.remedy is Remedy.REPLACEMENT:
            return 0
        return value - value * self.restocking_fee_percent // 100

    def reminder_due(self, requested_at: datetime) -> datetime:
        return requested_at + timedelta(hours=self.answer_hours)

    def escalation_due(self, requested_at: datetime) -> datetime:
        return requested_at + timedelta(hours=2 * self.answer_hours)


@dataclass(eq=False)
class Partner:
    """A supplier or 3PL working for one seller."""

    id: str
    seller_id: str
    kind: PartnerKind
    name: str
    contact_email: str
    created_at: datetime
    address: Address | None = None
    facility_code: str | None = None  # a 3PL's facility among the seller's facilities
    skus: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    terms: SupplierTerms = field(default_factory=SupplierTerms)

    def supplies(self, sku: str, category: str | None) -> bool:
        """Whether this supplier shipped ``sku`` (by SKU or by its category)."""
        return self.kind is PartnerKind.SUPPLIER and (
            sku in self.skus or (category is not None and category in self.categories)
        )


def supplier_of(partners: list[Partner], sku: str, category: str | None) -> Partner | None:
    """The first supplier that handles ``sku``, if any (SKU matches before categories)."""
    by_sku = next((p for p in partners if p.kind is PartnerKind.SUPPLIER and sku in p.skus), None)
    return by_sku or next((p for p in partners if p.supplies(sku, category)), None)
