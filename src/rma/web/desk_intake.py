"""The desk's intake: import orders from a CSV file; create a return for a customer."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import ClientDisconnect

from rma.domain.errors import InvalidInput, NotFound, RmaError
from rma.domain.order_import import COLUMNS, REQUIRED_COLUMNS
from rma.domain.returns import Resolution
from rma.services import catalog, order_import, portal, returns
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import signed_in
from rma.web.portal import requested_items
from rma.web.rendering import LoginRequired, PageRoute, PostedForm, check_csrf, redirect, render


class SignedInBeforeUpload(PageRoute):
    """Checks the session before the page route reads (and spools) an uploaded file."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def checked(request: Request) -> Response:
            if request.method == "POST":
                try:
                    await run_in_threadpool(signed_in, request)  # it reads the session
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
    # Signed in before the file is read, and off the loop (the session is looked up).
    principal, seller_id, container = await run_in_threadpool(signed_in, request)
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


@router.get("/returns/new")
def new_return_page(request: Request, order: str = "") -> Response:
    """Find a customer's order by number, then choose items and reasons as they would."""
    principal, seller_id, container = signed_in(request)
    number = order.strip()[:100]
    if not number:
        return _new_return(request, principal.role, None, {}, {})
    try:
        view = _order_view(seller_id, number, container.uow)
    except NotFound:
        errors = {"order": f"No order {number}."}
        return _new_return(request, principal.role, None, {"order": number}, errors, 404)
    return _new_return(request, principal.role, view, {"order": number}, {})


@router.post("/returns/new")
def create_return(request: Request, form: PostedForm) -> Response:
    principal, seller_id, container = signed_in(request)
    check_csrf(request, str(form.get("csrf", "")))
    values = {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}
    view = _order_view(seller_id, values.get("order", "")[:100], container.uow)
    items, errors = requested_items(view, values)
    resolution = values.get("resolution", Resolution.REFUND.value)
    if resolution not in {r.value for r in Resolution}:
        errors["resolution"] = "choose how it is resolved"
    if not errors and not items:
        errors["form"] = "choose at least one item and how many units come back"
    if errors:
        return _new_return(request, principal.role, view, values, errors, 422)
    # The customer's own request, made by staff: the same policy decides.
    cmd = returns.RequestReturn(
        returns.Scope(seller_id), view.order.number, items, principal.actor, Resolution(resolution)
    )
    try:
        outcome = returns.request_return(cmd, container.uow())
    except RmaError as error:
        return _new_return(request, principal.role, view, values, {"form": error.message}, 422)
    return redirect(f"/desk/returns/{outcome.ret.id}")


def _order_view(
    seller_id: str, number: str, uows: Callable[[], UnitOfWork]
) -> portal.OrderForReturn:
    order = catalog.get_order(seller_id, number, uows())
    return portal.order_for_return(returns.Scope(seller_id, order.id), uows())


def _new_return(
    request: Request,
    role: str,
    view: portal.OrderForReturn | None,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "desk/new_return.html",
        status_code=status_code,
        role=role,
        view=view,
        values=values,
        errors=errors,
        resolutions=list(Resolution),
    )


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
