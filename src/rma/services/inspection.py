"""Inspection: judge each item, flag contradictions, keep photos, book the stock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rma.domain.errors import InvalidInput, NotFound
from rma.domain.flags import Flag, FlagCode
from rma.domain.ids import new_id
from rma.domain.inventory import Movement, mismatches, movements_for
from rma.domain.returns import Actor, Inspection, Return
from rma.domain.statuses import ReturnStatus
from rma.services.clock import utcnow
from rma.services.physical_ports import FileStore, Photo, SkuReconciliation
from rma.services.resolutions import execute_due_resolutions
from rma.services.returns import Scope, _find
from rma.services.unit_of_work import UnitOfWork

UNASSIGNED_LOCATION = "unassigned"


@dataclass(frozen=True)
class InspectItems:
    scope: Scope
    ref: str
    actor: Actor
    inspections: Sequence[Inspection]
    seen_skus: Mapping[str, str] = field(default_factory=dict)  # item id -> SKU in the box
    location: str | None = None  # where the stock goes; the receiving facility if absent


@dataclass(frozen=True)
class AddPhoto:
    scope: Scope
    ref: str
    item_id: str
    data: bytes
    max_bytes: int


@dataclass(frozen=True)
class InspectionOutcome:
    ret: Return
    flags: list[Flag]


def inspect_items(cmd: InspectItems, uow: UnitOfWork) -> InspectionOutcome:
    """Record the judgement of items; once all are judged, book the stock movements."""
    now = utcnow()
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        for item_id, seen in cmd.seen_skus.items():
            item = ret.item(item_id)
            item.seen_sku = seen if seen != item.sku else None
        ret.inspect(list(cmd.inspections), actor=cmd.actor, now=now)
        flags = mismatches(ret, list(cmd.inspections), dict(cmd.seen_skus), now)
        uow.flags.add_all(flags)
        if ret.status is ReturnStatus.INSPECTED:
            location = (
                cmd.location
                or uow.receipts.facility_of(ret.seller_id, ret.id)
                or UNASSIGNED_LOCATION
            )
            uow.inventory.add_all(movements_for(ret, location, now))
        seller = uow.sellers.settings(ret.seller_id)
        assert seller is not None  # a return's seller exists
        execute_due_resolutions(uow, seller, ret, now)
        uow.commit()
        return InspectionOutcome(ret, flags)


def add_photo(cmd: AddPhoto, uow: UnitOfWork, files: FileStore) -> Photo:
    """Keep a photo of an item taken at inspection; only real images are accepted."""
    if len(cmd.data) > cmd.max_bytes:
        raise InvalidInput(
            f"a photo is at most {cmd.max_bytes} bytes",
            code="file_too_large",
            details=[{"field": "file"}],
        )
    content_type = files.image_type(cmd.data)
    if content_type is None:
        raise InvalidInput(
            "the file is not a JPEG, PNG or WebP image",
            code="not_an_image",
            details=[{"field": "file"}],
        )
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        ret.item(cmd.item_id)
        photo_id = new_id("pho")
        extension = content_type.split("/")[1]
        key = f"photos/{ret.seller_id}/{ret.id}/{photo_id}.{extension}"
        files.save(key, cmd.data)
        photo = Photo(
            photo_id, ret.seller_id, ret.id, cmd.item_id, key, content_type, len(cmd.data), utcnow()
        )
        uow.photos.add(photo)
        uow.commit()
        return photo


def photo_file(
    scope: Scope, ref: str, photo_id: str, uow: UnitOfWork, files: FileStore
) -> tuple[Photo, bytes]:
    """A stored photo of one of the caller's returns, with its bytes."""
    with uow:
        ret = _find(uow, scope, ref)
        photo = uow.photos.get(ret.seller_id, photo_id)
        if photo is None or photo.return_id != ret.id:
            raise NotFound(f"no photo {photo_id}", code="photo_not_found")
    return photo, files.read(photo.file_name)


@dataclass(frozen=True)
class ReturnFindings:
    """What the warehouse found about a return: flags and photos."""

    flags: list[Flag]
    photos: list[Photo]


def return_findings(scope: Scope, ref: str, uow: UnitOfWork) -> ReturnFindings:
    """The flags raised on a return and the photos taken of it."""
    with uow:
        ret = _find(uow, scope, ref)
        return ReturnFindings(
            uow.flags.for_return(ret.seller_id, ret.id),
            uow.photos.for_return(ret.seller_id, ret.id),
        )


def flagged(
    seller_id: str,
    code: FlagCode | None,
    uow: UnitOfWork,
    limit: int = 200,
    return_id: str | None = None,
) -> list[Flag]:
    """The seller's latest flags, of one kind (e.g. every lost package) and return if given."""
    with uow:
        return uow.flags.by_code(seller_id, code, limit, return_id=return_id)


def stock_movements(
    seller_id: str, sku: str | None, location: str | None, uow: UnitOfWork, limit: int = 200
) -> list[Movement]:
    """The latest ledger lines, filtered by SKU and location."""
    with uow:
        return uow.inventory.movements(seller_id, sku, location, limit)


def reconcile(seller_id: str, sku: str | None, uow: UnitOfWork) -> list[SkuReconciliation]:
    """Per SKU: units expected back, received, restocked and written off."""
    with uow:
        return uow.inventory.reconciliation(seller_id, sku)
