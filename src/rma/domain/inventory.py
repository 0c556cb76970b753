"""Stock after inspection: a ledger of units moved per SKU, location and bucket."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rma.domain.flags import Flag, FlagCode
from rma.domain.returns import Condition, Disposition, Inspection, Return, ReturnItem


class Bucket(StrEnum):
    AVAILABLE = "available"  # sellable stock
    REFURBISH = "refurbish"  # waiting for repair, then sold as refurbished
    RETURN_TO_VENDOR = "return_to_vendor"  # to be sent back to the supplier
    LIQUIDATE = "liquidate"  # to be sold off in bulk (written off)
    DISPOSE = "dispose"  # destroyed or recycled (written off)
    REJECTED = "rejected"  # units the inspection rejected (not credited to the customer)
    DAMAGED = "damaged"  # meant for restock, but not sellable: held for a decision


WRITTEN_OFF = frozenset({Bucket.LIQUIDATE, Bucket.DISPOSE})

_BY_DISPOSITION = {
    Disposition.REFURBISH: Bucket.REFURBISH,
    Disposition.RETURN_TO_VENDOR: Bucket.RETURN_TO_VENDOR,
    Disposition.LIQUIDATE: Bucket.LIQUIDATE,
    Disposition.DISPOSE: Bucket.DISPOSE,
}

# Reasons that claim the item is faulty, and the conditions that contradict the claim.
_FAULT_CLAIMS = {"CR-DEFECTIVE", "CR-MISSING_PARTS", "CR-DAMAGED_BY_FC", "CR-DAMAGED_BY_CARRIER"}
_NO_FAULT = {Condition.SELLABLE}


@dataclass(frozen=True)
class Movement:
    """Units of one SKU put into one bucket at one location, because of one return item."""

    seller_id: str
    sku: str
    location: str
    bucket: Bucket
    quantity: int
    return_id: str
    item_id: str
    created_at: datetime


def bucket_for(item: ReturnItem) -> Bucket:
    """Where the accepted units of an inspected item go."""
    if item.disposition is Disposition.RESTOCK or item.disposition is None:
        return Bucket.AVAILABLE if item.condition is Condition.SELLABLE else Bucket.DAMAGED
    return _BY_DISPOSITION[item.disposition]


def movements_for(ret: Return, location: str, now: datetime) -> list[Movement]:
    """The ledger lines an inspected return writes, one per item and bucket.

    Units are booked under the SKU found in the box when the warehouse saw another one.
    """
    lines = []
    for item in ret.items:
        for bucket, quantity in (
            (bucket_for(item), item.accepted_quantity),
            (Bucket.REJECTED, item.rejected_quantity),
        ):
            if quantity:
                lines.append(
                    Movement(
                        ret.seller_id,
                        item.seen_sku or item.sku,
                        location,
                        bucket,
                        quantity,
                        ret.id,
                        item.id,
                        now,
                    )
                )
    return lines


def mismatches(
    ret: Return, inspections: list[Inspection], seen_skus: dict[str, str], now: datetime
) -> list[Flag]:
    """Flags where the inspection contradicts the stated reason, or the SKU differs."""
    flags = []
    for result in inspections:
        item = ret.item(result.item_id)
        seen = seen_skus.get(item.id)
        if result.condition is Condition.WRONG_ITEM or (seen and seen != item.sku):
            what = f"found {seen}" if seen else "wrong item in the box"
            flags.append(
                Flag(
                    ret.seller_id,
                    ret.id,
                    FlagCode.SKU_MISMATCH,
                    f"{item.sku} authorized, {what}",
                    now,
                    item.id,
                )
            )
        if item.reason_code in _FAULT_CLAIMS and result.condition in _NO_FAULT:
            flags.append(
                Flag(
                    ret.seller_id,
                    ret.id,
                    FlagCode.REASON_MISMATCH,
                    f"{item.sku}: returned as {item.reason_code}, inspected as {result.condition}",
                    now,
                    item.id,
                )
            )
    return flags
