"""The seller desk's order import: upload a CSV file of order lines, read its report."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from rma.domain.errors import InvalidInput, RmaError
from rma.domain.order_import import COLUMNS, REQUIRED_COLUMNS
from rma.services import order_import
from rma.web.desk_settings import signed_in
from rma.web.rendering import LoginRequired, PageRoute, check_csrf, redirect, render


class SignedInBeforeUpload(PageRoute):
    """Checks the session before the page route reads (and spools) an uploaded file."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method == "POST":
                try:
                    signed_in(request)
                except (LoginRequired, RmaError):  # refused before the file is read
                    return redirect("/desk/login?next=/desk/orders/import")
            return await handler(request)

        return checked


router = APIRouter(route_class=SignedInBeforeUpload, include_in_schema=False)


@router.get("/orders/import")
def import_page(request: Request) -> Response:
    principal, _, _ = signed_in(request)
    return _page(request, principal.role, None, "")


@router.post("/orders/import")
async def import_file(request: Request) -> Response:
    principal, seller_id, container = signed_in(request)
    try:
        form = await request.form(max_files=1, max_fields=10)
    except ClientDisconnect:
        return _page(request, principal.role, None, "The upload was cut off.", 413)
    check_csrf(request, str(form.get("csrf", "")))
    upload = form.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _page(request, principal.role, None, "Choose a CSV file to import.", 422)
    try:
        report = await run_in_threadpool(
            order_import.import_orders,
            order_import.ImportOrders(seller_id),
            order_import.text_lines(upload.file),
            container.uow,
        )
    except InvalidInput as error:
        return _page(request, principal.role, None, error.message, 422)
    except RmaError as error:
        return _page(request, principal.role, None, error.message, 409)
    finally:
        await upload.close()
    return _page(request, principal.role, report, "")


def _page(
    request: Request,
    role: str,
    report: order_import.ImportReport | None,
    error: str,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "desk/orders_import.html",
        status_code=status_code,
        role=role,
        report=report,
        error=error,
        columns=COLUMNS,
        required=REQUIRED_COLUMNS,
    )
