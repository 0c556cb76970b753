"""Receiving by scan: whatever was scanned names a return at once, or joins a queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.flags import Flag
from rma.domain.ids import new_id
from rma.domain.receiving import (
    PackageReceipt,
    ReceiptStatus,
    check_rma_typo,
    read_scan,
    receive_box,
)
from rma.domain.returns import Actor, Receipt, Return
from rma.services.clock import utcnow
from rma.services.physical_ports import ScanMatch
from rma.services.resolutions import execute_due_resolutions
from rma.services.returns import Scope, _find, _seller
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class ReceivePackage:
    seller_id: str
    scan: str
    actor: Actor
    facility_code: str | None = None
    counted: Sequence[Receipt] | None = None  # units counted; what is outstanding if None
    notes: str = ""


@dataclass(frozen=True)
class MatchReceipt:
    seller_id: str
    receipt_id: str
    ref: str  # the return it belongs to (id or RMA number)
    actor: Actor
    counted: Sequence[Receipt] | None = None
    notes: str = ""


@dataclass(frozen=True)
class ReceiptOutcome:
    """The receipt recorded, the return it matched (if any) and the flags raised."""

    receipt: PackageReceipt
    ret: Return | None
    flags: list[Flag]


def match_scan(seller_id: str, scan_text: str, uow: UnitOfWork) -> ScanMatch | None:
    """The seller's return a scanned code names, or None; a mistyped RMA number is an error."""
    scan = read_scan(scan_text)
    with uow:
        found = uow.physical.answer_scan(seller_id, scan)
    if not found:
        check_rma_typo(scan)
        return None
    if len(found) > 1:
        raise Conflict(
            f"{scan_text!r} names {len(found)} returns (one box, several RMAs): "
            "scan the RMA barcode of each",
            code="ambiguous_scan",
            details=[{"field": "scan", "rma_numbers": [r.rma_number for r in found]}],
        )
    return found[0]


def receive_package(cmd: ReceivePackage, uow: UnitOfWork) -> ReceiptOutcome:
    """Record a scanned box: receive it into its return, or queue it as unannounced."""
    now = utcnow()
    scan = read_scan(cmd.scan)
    with uow:
        found = uow.physical.match_scan(cmd.seller_id, scan)
        if not found:
            check_rma_typo(scan)
        if len(found) > 1:
            raise Conflict(
                f"{cmd.scan!r} names {len(found)} returns: scan the RMA barcode of each",
                code="ambiguous_scan",
                details=[{"field": "scan", "rma_numbers": [r.rma_number for r in found]}],
            )
        receipt = PackageReceipt(
            id=new_id("rcp"),
            seller_id=cmd.seller_id,
            scan=cmd.scan,
            status=ReceiptStatus.MATCHED if found else ReceiptStatus.UNANNOUNCED,
            actor=str(cmd.actor),
            created_at=now,
            facility_code=cmd.facility_code,
            notes=cmd.notes,
            matched_at=now if found else None,
        )
        _check_facility(uow, cmd.seller_id, cmd.facility_code)
        flags: list[Flag] = []
        ret = found[0] if found else None
        if ret is not None:
            counted = list(cmd.counted) if cmd.counted is not None else None
            flags = receive_box(ret, receipt, counted, actor=cmd.actor, now=now)
            # As receive_return does: a seller who resolves on receipt is resolved here.
            execute_due_resolutions(uow, _seller(uow, cmd.seller_id), ret, now)
        elif cmd.counted:
            receipt.lines = [
                {"sku_or_item": r.item_id, "quantity": r.quantity} for r in cmd.counted
            ]
        uow.receipts.add(receipt)
        uow.flags.add_all(flags)
        uow.commit()
        return ReceiptOutcome(receipt, ret, flags)


def match_receipt(cmd: MatchReceipt, uow: UnitOfWork) -> ReceiptOutcome:
    """Match an unannounced box to a return by hand, and receive it there."""
    now = utcnow()
    with uow:
        receipt = uow.receipts.get(cmd.seller_id, cmd.receipt_id)
        if receipt is None:
            raise NotFound(f"no receipt {cmd.receipt_id}", code="receipt_not_found")
        if receipt.status is not ReceiptStatus.UNANNOUNCED:
            raise Conflict(
                f"receipt {receipt.id} is already {receipt.status}", code="receipt_already_matched"
            )
        ret = _find(uow, Scope(cmd.seller_id), cmd.ref)
        counted = list(cmd.counted) if cmd.counted is not None else None
        flags = receive_box(ret, receipt, counted, actor=cmd.actor, now=now)
        execute_due_resolutions(uow, _seller(uow, cmd.seller_id), ret, now)
        receipt.status = ReceiptStatus.MATCHED_BY_HAND
        receipt.matched_at = now
        if cmd.notes:
            receipt.notes = f"{receipt.notes}\n{cmd.notes}".strip()
        uow.flags.add_all(flags)
        uow.commit()
        return ReceiptOutcome(receipt, ret, flags)


def list_receipts(
    seller_id: str,
    status: ReceiptStatus | None,
    uow: UnitOfWork,
    *,
    after: str | None,
    limit: int,
) -> list[PackageReceipt]:
    """A page of the seller's receipts (the unannounced queue with ``status``), newest first."""
    with uow:
        return uow.receipts.page(seller_id, status, after=after, limit=limit)


def _check_facility(uow: UnitOfWork, seller_id: str, code: str | None) -> None:
    if code is not None and uow.facilities.get(seller_id, code) is None:
        raise InvalidInput(
            f"no facility {code}",
            code="facility_not_found",
            details=[{"field": "facility_code", "value": code}],
        )
