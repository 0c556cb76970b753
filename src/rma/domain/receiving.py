"""Packages at the facility: what a scan may be, and the record of each box received."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from rma.domain import rma_numbers
from rma.domain.errors import InvalidRmaNumber
from rma.domain.flags import Flag, FlagCode
from rma.domain.returns import Actor, Receipt, Return
from rma.domain.statuses import TRANSITIONS, ReturnStatus

_ALPHABET = rma_numbers.ALPHABET
_BARE_GENERATED = re.compile(rf"^[{_ALPHABET}]{{10}}$")
_SLIP = re.compile(r"^ret_[0-9a-z]{26}$")


class ReceiptStatus(StrEnum):
    MATCHED = "matched"  # the box belongs to a known return
    UNANNOUNCED = "unannounced"  # nothing matched: waits to be matched by hand
    MATCHED_BY_HAND = "matched_by_hand"  # was unannounced, then matched by a person


@dataclass(frozen=True)
class Scan:
    """What a scanned code may stand for, tried in this order."""

    text: str
    return_id: str | None  # a packing-slip code is the return's id
    rma_number: str | None
    tracking_number: str | None


def read_scan(raw: str) -> Scan:
    """Interpret a scanned or typed code; a generated RMA number must pass its check.

    A code shaped like a generated RMA number (with or without dashes) whose check character
    is wrong is a mistyped RMA number, unless it could also be a tracking number, which the
    caller tries before giving up (see ``check_rma_typo``).
    """
    text = raw.strip()
    if _SLIP.match(text.lower()):
        return Scan(text, text.lower(), None, None)
    upper = rma_numbers.normalize(text)
    if _BARE_GENERATED.match(upper):
        upper = f"{upper[:4]}-{upper[4:8]}-{upper[8:]}"
    return Scan(text, None, upper, text)


def check_rma_typo(scan: Scan) -> None:
    """``InvalidRmaNumber`` if the scan is a generated-shaped RMA number that fails its check."""
    number = scan.rma_number
    if (
        number
        and rma_numbers.looks_generated(number)
        and not rma_numbers.is_valid_generated(number)
    ):
        raise InvalidRmaNumber(
            f"{scan.text!r} is not a valid RMA number: its check character does not match "
            "(a character was mistyped or two were swapped); scan or type it again",
            code="rma_check_failed",
            details=[{"field": "scan", "value": scan.text[:64]}],
        )


@dataclass(eq=False)
class PackageReceipt:
    """A box scanned at a facility: matched to a return, or waiting to be matched."""

    id: str
    seller_id: str
    scan: str
    status: ReceiptStatus
    actor: str
    created_at: datetime
    facility_code: str | None = None
    return_id: str | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)  # item_id, quantity
    flags: list[str] = field(default_factory=list)
    notes: str = ""
    matched_at: datetime | None = None


def receivable(ret: Return) -> bool:
    """Whether the return's status lets units be received."""
    return ReturnStatus.RECEIVED in TRANSITIONS[ret.status]


def receive_box(
    ret: Return,
    receipt: PackageReceipt,
    counted: list[Receipt] | None,
    *,
    actor: Actor,
    now: datetime,
) -> list[Flag]:
    """Receive the box's units into ``ret`` and answer the flags the count raises.

    Without a count the box is taken to hold what is still outstanding. Units beyond what
    was authorized are received as counted and flagged, never clamped.
    """
    receipt.return_id = ret.id
    if not receivable(ret):
        # Kept as counted on the receipt, for a person to decide; the return does not move.
        receipt.lines = [{"item_id": r.item_id, "quantity": r.quantity} for r in counted or []]
        receipt.flags.append(FlagCode.UNEXPECTED_RECEIPT)
        return [
            Flag(
                ret.seller_id,
                ret.id,
                FlagCode.UNEXPECTED_RECEIPT,
                f"a box arrived for a return that is {ret.status}; nothing was received",
                now,
            )
        ]
    if counted is None:
        counted = [
            Receipt(i.id, max(i.authorized_quantity - i.received_quantity, 0)) for i in ret.items
        ]
    ret.receive(counted, actor=actor, now=now)
    receipt.lines = [{"item_id": r.item_id, "quantity": r.quantity} for r in counted]
    flags = []
    for item in ret.items:
        if item.received_quantity > item.authorized_quantity:
            code, said = FlagCode.OVER_RECEIPT, "more"
        elif item.received_quantity < item.authorized_quantity:
            code, said = FlagCode.PARTIAL_RECEIPT, "fewer"
        else:
            continue
        flags.append(
            Flag(
                ret.seller_id,
                ret.id,
                code,
                f"{item.sku}: {item.received_quantity} received, {said} than the "
                f"{item.authorized_quantity} authorized",
                now,
                item.id,
            )
        )
        if code not in receipt.flags:
            receipt.flags.append(code)
    return flags
