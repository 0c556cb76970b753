"""Flags: things about a return a person should look at (a short box, a lost parcel, ...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class FlagCode(StrEnum):
    PARTIAL_RECEIPT = "partial_receipt"  # fewer units arrived than were authorized
    OVER_RECEIPT = "over_receipt"  # more units arrived than were authorized
    UNEXPECTED_RECEIPT = "unexpected_receipt"  # a box arrived for a return that takes none
    REASON_MISMATCH = "reason_mismatch"  # the condition contradicts the stated reason
    SKU_MISMATCH = "sku_mismatch"  # the unit in the box is not the SKU authorized
    CARRIER_EXCEPTION = "carrier_exception"  # the carrier reported a problem
    RETURN_TO_SENDER = "return_to_sender"  # the carrier is sending it back to the customer
    LOST_PACKAGE = "lost_package"  # no movement for too long: investigate


@dataclass(eq=False)
class Flag:
    """One thing to look at on one return (and one item of it, when it is about one)."""

    seller_id: str
    return_id: str
    code: FlagCode
    message: str
    created_at: datetime
    item_id: str | None = None
