"""Labels and the RMA page: what a return's documents show, and prepaid label uploads."""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.pdf import NotInspectable, TooMuchToInflate, active_content
from rma.domain.returns import Return
from rma.domain.sellers import LabelDefault
from rma.domain.statuses import ReturnStatus
from rma.domain.tracking import TrackingEvent
from rma.services.clock import utcnow
from rma.services.physical_ports import FileStore
from rma.services.returns import Scope, _find
from rma.services.tracking import check_tracking_number_free
from rma.services.unit_of_work import UnitOfWork

# No label needs more once its streams are inflated; a bomb is refused before it grows.
MAX_INFLATED_BYTES = 64_000_000

# A return has documents once authorized, and keeps them while it may still travel.
_HAS_LABEL = {
    ReturnStatus.AUTHORIZED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.PARTIALLY_RECEIVED,
    ReturnStatus.RECEIVED,
    ReturnStatus.INSPECTED,
    ReturnStatus.RESOLVED,
    ReturnStatus.CLOSED,
}


@dataclass(frozen=True)
class ReturnDocuments:
    """Everything printed on a return's label and slips, or shown on its page."""

    ret: Return
    seller_name: str
    customer_name: str
    item_names: dict[str, str]  # item id -> product name
    scans: list[TrackingEvent]
    prepaid_label: bytes | None  # the seller's uploaded label, served instead of ours
    sender: Address | None = None  # where the package leaves from: the customer's address


@dataclass(frozen=True)
class AttachLabel:
    scope: Scope
    ref: str
    data: bytes
    max_bytes: int
    cost: int | None = None
    carrier: str | None = None
    tracking_number: str | None = None


def return_documents(scope: Scope, ref: str, uow: UnitOfWork, files: FileStore) -> ReturnDocuments:
    """What the label, the slips and the RMA page of one of the caller's returns show."""
    with uow:
        return _documents(uow, _find(uow, scope, ref), files)


def page_documents(
    return_id: str, rma_number: str, uow: UnitOfWork, files: FileStore
) -> ReturnDocuments:
    """The RMA page of the return a signed link names; the number must be its own."""
    with uow:
        ret = _find(uow, Scope(_seller_of(uow, return_id)), return_id)
        if ret.rma_number != rma_number.strip().upper():
            raise NotFound("no such RMA page", code="return_not_found")
        return _documents(uow, ret, files)


def attach_prepaid_label(cmd: AttachLabel, uow: UnitOfWork, files: FileStore) -> Return:
    """Serve the seller's own prepaid label for a return instead of the generated one."""
    check_pdf(cmd.data, cmd.max_bytes)
    with uow:
        ret = _find(uow, cmd.scope, cmd.ref)
        if ret.status not in {ReturnStatus.AUTHORIZED, ReturnStatus.IN_TRANSIT}:
            raise Conflict(
                f"a return that is {ret.status} takes no label", code="label_not_allowed"
            )
        key = f"labels/{ret.seller_id}/{ret.id}.pdf"
        files.save(key, cmd.data)
        ret.label_type = LabelDefault.PREPAID
        ret.label_cost = cmd.cost or 0
        ret.label_file = key
        if cmd.tracking_number:
            carrier = cmd.carrier or ret.carrier or ""
            check_tracking_number_free(uow, ret, carrier, cmd.tracking_number)
            ret.ship_with(carrier, cmd.tracking_number, now=utcnow(), trusted=True)
        ret.updated_at = utcnow()
        uow.commit()
        return ret


def check_pdf(data: bytes, max_bytes: int) -> None:
    """``InvalidInput`` unless ``data`` is a whole, inert PDF file of at most ``max_bytes``."""
    if len(data) > max_bytes:
        raise InvalidInput(
            f"a label is at most {max_bytes} bytes",
            code="file_too_large",
            details=[{"field": "file"}],
        )
    tail = data[-1024:]
    if not data.startswith(b"%PDF-") or b"%%EOF" not in tail or b"startxref" not in tail:
        raise InvalidInput(
            "the file is not a complete PDF document",
            code="not_a_pdf",
            details=[{"field": "file"}],
        )
    try:
        active = active_content(data, max_inflated=MAX_INFLATED_BYTES)
    except TooMuchToInflate as error:
        raise InvalidInput(
            f"the label's streams inflate to more than {MAX_INFLATED_BYTES} bytes",
            code="file_too_large",
            details=[{"field": "file"}],
        ) from error
    except NotInspectable as error:
        raise InvalidInput(
            "the label packs objects with a compression that cannot be checked for active"
            " content; save it again without object streams or with standard compression",
            code="pdf_not_inspectable",
            details=[{"field": "file"}],
        ) from error
    if active:
        raise InvalidInput(
            "a label may not carry active content (scripts, actions, embedded files, media"
            " or forms): " + ", ".join(sorted(active)),
            code="pdf_active_content",
            details=[{"field": "file", "names": sorted(active)}],
        )


def _documents(uow: UnitOfWork, ret: Return, files: FileStore) -> ReturnDocuments:
    if ret.status not in _HAS_LABEL or ret.rma_number is None:
        raise Conflict(
            f"a return that is {ret.status} has no RMA documents", code="not_authorized_yet"
        )
    seller = uow.sellers.get(ret.seller_id)
    order = uow.orders.get(ret.seller_id, ret.order_id)
    names = {}
    for item in ret.items:
        product = uow.products.get(ret.seller_id, item.sku)
        line = order.line(item.line_id) if order else None
        names[item.id] = (
            (product.name if product else "") or (line.name if line else "") or item.sku
        )
    scans = (
        uow.tracking_events.for_tracking_number(ret.seller_id, ret.tracking_number)
        if ret.tracking_number
        else []
    )
    return ReturnDocuments(
        ret,
        seller.name if seller else "",
        (order.customer_name if order else "") or ret.customer_email,
        names,
        scans,
        files.read(ret.label_file)
        if ret.label_type is LabelDefault.PREPAID and ret.label_file
        else None,
        ret.ship_from or (order.shipping_address if order else None),
    )


def _seller_of(uow: UnitOfWork, return_id: str) -> str:
    seller_id = uow.physical.seller_of(return_id)
    if seller_id is None:
        raise NotFound("no such RMA page", code="return_not_found")
    return seller_id
