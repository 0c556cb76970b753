"""Orders in bulk: a CSV file of order lines, uploaded and imported as it is read."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from rma.api import schemas
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.domain.errors import InvalidInput
from rma.domain.order_import import COLUMNS
from rma.services import order_import

router = APIRouter(prefix="/v1", tags=["orders"])

# The body is declared here rather than as a parameter, so the file is read only after the
# caller's key was checked (FastAPI parses declared form fields before any dependency).
_CSV_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "UTF-8 CSV, one row per order line; columns: "
                            + ", ".join(COLUMNS),
                        }
                    },
                }
            }
        },
    }
}


@router.post(
    "/orders/import",
    operation_id="orders-import",
    response_model=schemas.OrderImportPublic,
    summary="Create or update orders from a CSV file of order lines (idempotent by number)",
    openapi_extra=_CSV_BODY,
)
async def import_orders(
    request: Request, container: ContainerDep, principal: PrincipalDep
) -> schemas.OrderImportPublic:
    seller_id = principal.require(*STAFF)
    upload = await uploaded_file(request)
    try:
        report = await run_in_threadpool(
            order_import.import_orders,
            order_import.ImportOrders(seller_id),
            order_import.text_lines(upload.file),
            container.uow,
        )
    finally:
        await upload.close()
    return schemas.OrderImportPublic.of(report)


async def uploaded_file(request: Request) -> UploadFile:
    """The ``file`` part of a multipart body, spooled to disk as it arrives."""
    try:
        form = await request.form(max_files=1, max_fields=10)
    except ClientDisconnect as error:
        # The client went away, or the body guard cut an oversized body and answered 413.
        raise InvalidInput("the upload was cut off", details=[{"field": "file"}]) from error
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise InvalidInput(
            "send the CSV as the multipart field `file`", details=[{"field": "file"}]
        )
    return upload
