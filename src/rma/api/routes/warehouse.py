"""The warehouse: receiving by scan, the unannounced queue, inspection, photos, stock."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from rma.api import schemas
from rma.api.deps import STAFF, WAREHOUSE, ContainerDep, PrincipalDep, scope_of
from rma.api.idempotency import IDEMPOTENT, run_idempotent
from rma.api.routes.labels import BINARY
from rma.domain.flags import FlagCode
from rma.domain.receiving import ReceiptStatus
from rma.domain.returns import Receipt
from rma.services import inspection, receiving
from rma.services.unit_of_work import UnitOfWork

router = APIRouter(tags=["warehouse"])

ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]
Id = Annotated[str, Path(min_length=1, max_length=40)]


def _answer(outcome: receiving.ReceiptOutcome) -> schemas.ReceiptAnswer:
    public = schemas.receipt_public(outcome.receipt)
    return schemas.ReceiptAnswer(
        **public.model_dump(),
        matched=schemas.MatchedReturnPublic.of(outcome.ret) if outcome.ret else None,
        raised=[schemas.FlagPublic.of(f) for f in outcome.flags],
    )


def _counts(items: list[schemas.CountIn] | None) -> list[Receipt] | None:
    return [Receipt(i.item_id, i.quantity) for i in items] if items is not None else None


@router.post(
    "/v1/receipts",
    operation_id="receipts-create",
    status_code=201,
    response_model=schemas.ReceiptAnswer,
    summary="A box scanned at a facility: received into its return, or queued as unannounced",
    dependencies=IDEMPOTENT,
)
def create_receipt(
    body: schemas.ReceiptCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    cmd = receiving.ReceivePackage(
        principal.require(*WAREHOUSE),
        body.scan,
        principal.actor,
        body.facility_code,
        _counts(body.items),
        body.notes,
    )

    def run(uow: UnitOfWork) -> schemas.ReceiptAnswer:
        return _answer(receiving.receive_package(cmd, uow))

    return run_idempotent(request, container, principal, body, run, status_code=201)


@router.get("/v1/receipts", operation_id="receipts-list", response_model=schemas.ReceiptsPublic)
def list_receipts(
    container: ContainerDep,
    principal: PrincipalDep,
    status: ReceiptStatus | None = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> schemas.ReceiptsPublic:
    page = receiving.list_receipts(
        principal.require(*WAREHOUSE), status, container.uow(), after=cursor, limit=limit + 1
    )
    more = len(page) > limit
    page = page[:limit]
    return schemas.ReceiptsPublic(
        data=[schemas.receipt_public(r) for r in page], next_cursor=page[-1].id if more else None
    )


@router.get("/v1/scans/{scan}", operation_id="scans-match", response_model=schemas.ScanMatchPublic)
def match_scan(
    scan: Annotated[str, Path(min_length=1, max_length=200)],
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.ScanMatchPublic:
    ret = receiving.match_scan(principal.require(*WAREHOUSE), scan, container.reader())
    return schemas.ScanMatchPublic(matched=schemas.MatchedReturnPublic.of(ret) if ret else None)


@router.post(
    "/v1/receipts/{receipt_id}/match",
    operation_id="receipts-match",
    response_model=schemas.ReceiptAnswer,
    dependencies=IDEMPOTENT,
)
def match_receipt(
    receipt_id: Id,
    body: schemas.ReceiptMatch,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = receiving.MatchReceipt(
        principal.require(*WAREHOUSE),
        receipt_id,
        body.return_ref,
        principal.actor,
        _counts(body.items),
        body.notes,
    )
    return run_idempotent(
        request, container, principal, body, lambda uow: _answer(receiving.match_receipt(cmd, uow))
    )


@router.post(
    "/v1/returns/{ref}/items/{item_id}/photos",
    operation_id="returns-photos-add",
    status_code=201,
    response_model=schemas.PhotoPublic,
)
async def add_photo(
    ref: ReturnRef,
    item_id: Id,
    file: UploadFile,
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.PhotoPublic:
    limit = container.settings.photo_max_bytes
    data = await file.read(limit + 1)
    cmd = inspection.AddPhoto(scope_of(principal, *WAREHOUSE), ref, item_id, data, limit)
    # In a thread: on the event loop its waits for the database would hold every request.
    photo = await run_in_threadpool(inspection.add_photo, cmd, container.uow(), container.files)
    return schemas.PhotoPublic.of(photo)


@router.get(
    "/v1/returns/{ref}/photos/{photo_id}",
    operation_id="returns-photos-get",
    response_class=Response,
    responses={
        200: {
            "content": dict.fromkeys(("image/jpeg", "image/png", "image/webp"), BINARY),
            "description": "The photo as it was uploaded",
        }
    },
)
def get_photo(
    ref: ReturnRef, photo_id: Id, container: ContainerDep, principal: PrincipalDep
) -> Response:
    scope = scope_of(principal, *WAREHOUSE)
    photo, data = inspection.photo_file(scope, ref, photo_id, container.uow(), container.files)
    return Response(data, media_type=photo.content_type)


@router.get(
    "/v1/returns/{ref}/findings",
    operation_id="returns-findings",
    response_model=schemas.FindingsPublic,
)
def get_findings(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.FindingsPublic:
    found = inspection.return_findings(scope_of(principal, *WAREHOUSE), ref, container.uow())
    return schemas.FindingsPublic(
        flags=[schemas.FlagPublic.of(f) for f in found.flags],
        photos=[schemas.PhotoPublic.of(p) for p in found.photos],
    )


@router.get("/v1/flags", operation_id="flags-list", response_model=schemas.FlagsPublic)
def list_flags(
    container: ContainerDep,
    principal: PrincipalDep,
    code: Annotated[FlagCode | None, Query(description="Only flags of this kind")] = None,
    return_id: Annotated[str | None, Query(max_length=64, description="Only this return's")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> schemas.FlagsPublic:
    """The latest flags, newest first: all of them, or of one kind or return."""
    flags = inspection.flagged(
        principal.require(*WAREHOUSE), code, container.uow(), limit, return_id=return_id
    )
    return schemas.FlagsPublic(data=[schemas.FlagPublic.of(f) for f in flags])


@router.get(
    "/v1/inventory/movements",
    operation_id="inventory-movements",
    response_model=schemas.MovementsPublic,
)
def list_movements(
    container: ContainerDep,
    principal: PrincipalDep,
    sku: Annotated[str | None, Query(max_length=100)] = None,
    location: Annotated[str | None, Query(max_length=40)] = None,
) -> schemas.MovementsPublic:
    rows = inspection.stock_movements(principal.require(*WAREHOUSE), sku, location, container.uow())
    return schemas.MovementsPublic(data=[schemas.MovementPublic.of(m) for m in rows])


@router.get(
    "/v1/inventory/reconciliation",
    operation_id="inventory-reconciliation",
    response_model=schemas.ReconciliationsPublic,
)
def reconciliation(
    container: ContainerDep,
    principal: PrincipalDep,
    sku: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.ReconciliationsPublic:
    rows = inspection.reconcile(principal.require(*STAFF), sku, container.uow())
    return schemas.ReconciliationsPublic(data=[schemas.ReconciliationPublic.of(r) for r in rows])
