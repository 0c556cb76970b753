"""The seller desk: the dashboard, the Manage Returns queue, and deciding one return."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.returns import DenyReason, Return
from rma.domain.statuses import ReturnStatus
from rma.services import desk, inspection
from rma.services import returns as service
from rma.services.unit_of_work import UnitOfWork
from rma.web import (
    desk_addresses,
    desk_deliveries,
    desk_intake,
    desk_keys,
    desk_money,
    desk_partners,
    desk_queue,
    desk_risk,
    desk_settings,
    desk_sku_policies,
    desk_stock,
    desk_webhooks,
)
from rma.web.desk_return import return_page as show_return
from rma.web.desk_return import seller, seller_id
from rma.web.forms import submit_once
from rma.web.rendering import PageRoute, PostedForm, check_csrf, field_errors, redirect, render

router = APIRouter(prefix="/desk", route_class=PageRoute, include_in_schema=False)
router.include_router(desk_settings.router)
router.include_router(desk_webhooks.router)
router.include_router(desk_keys.router)
router.include_router(desk_money.router)
router.include_router(desk_queue.router)
router.include_router(desk_stock.router)
router.include_router(desk_deliveries.router)
router.include_router(desk_sku_policies.router)
router.include_router(desk_addresses.router)
router.include_router(desk_partners.router)
router.include_router(desk_risk.router)
router.include_router(desk_intake.router)

Command = service.AuthorizeReturn | service.DenyReturn | service.FinishReturn
CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=2000)]


@router.get("")
def dashboard(request: Request) -> Response:
    principal = seller(request)
    container: Container = request.app.state.container
    overview = desk.desk_overview(seller_id(principal), container.replica())
    return render(
        request,
        "desk/dashboard.html",
        role=principal.role,
        overview=overview,
        statuses=list(ReturnStatus),
        total=sum(overview.by_status.values()),
        widest=max((r.count for r in overview.by_reason), default=1),
    )


@router.get("/returns/{return_id}")
def return_page(request: Request, return_id: str) -> Response:
    return _return_page(request, return_id[:64], errors={}, values={})


@router.get("/returns/{return_id}/photos/{photo_id}")
def photo(request: Request, return_id: str, photo_id: str) -> Response:
    """A photo of the return, full size (the customer's or the warehouse's)."""
    principal = seller(request)
    container: Container = request.app.state.container
    found, data = inspection.photo_file(
        service.Scope(seller_id(principal)),
        return_id[:64],
        photo_id[:40],
        container.uow(),
        container.files,
    )
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=found.content_type, headers=headers)


@router.post("/returns/{return_id}/authorize")
def authorize(request: Request, return_id: str, form: PostedForm) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    principal = seller(request)
    values = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    # A number typed into the field is used; an empty field gets a generated one.
    number = values.get("rma_number", "").strip()
    address_id, new_address = None, None
    choice = values.get("address", "")
    if choice == "new":
        new_address = _new_address(values, errors)
    elif choice:
        address_id = choice
    if errors:
        return _return_page(request, return_id, errors=errors, values=values, status_code=422)
    cmd = service.AuthorizeReturn(
        service.Scope(seller_id(principal)),
        return_id[:64],
        principal.actor,
        rma_number=number or None,
        return_address_id=address_id,
        new_return_address=new_address,
    )
    return _decide(request, principal, values, cmd, lambda uow: service.authorize_return(cmd, uow))


@router.post("/returns/{return_id}/deny")
def deny(
    request: Request,
    return_id: str,
    csrf: CsrfField,
    reason: Annotated[str, Form(max_length=40)],
    note: Note = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal = seller(request)
    values = {"reason": reason, "deny_note": note, "form_key": form_key}
    if reason not in {r.value for r in DenyReason}:
        errors = {"reason": "choose why the return is denied"}
        return _return_page(request, return_id, errors=errors, values=values, status_code=422)
    cmd = service.DenyReturn(
        service.Scope(seller_id(principal)),
        return_id[:64],
        principal.actor,
        DenyReason(reason),
        note.strip(),
    )
    return _decide(request, principal, values, cmd, lambda uow: service.deny_return(cmd, uow))


@router.post("/returns/{return_id}/close")
def close(
    request: Request, return_id: str, csrf: CsrfField, note: Note = "", form_key: FormKey = ""
) -> Response:
    check_csrf(request, csrf)
    principal = seller(request)
    scope = service.Scope(seller_id(principal))
    cmd = service.FinishReturn(scope, return_id[:64], principal.actor, note.strip())
    values = {"close_note": note, "form_key": form_key}
    return _decide(request, principal, values, cmd, lambda uow: service.close_return(cmd, uow))


@router.post("/returns/{return_id}/reopen")
def reopen(
    request: Request, return_id: str, csrf: CsrfField, note: Note = "", form_key: FormKey = ""
) -> Response:
    check_csrf(request, csrf)
    principal = seller(request)
    scope = service.Scope(seller_id(principal))
    cmd = service.FinishReturn(scope, return_id[:64], principal.actor, note.strip())
    values = {"form_key": form_key}
    return _decide(request, principal, values, cmd, lambda uow: service.reopen_return(cmd, uow))


def _decide(
    request: Request,
    principal: Principal,
    values: dict[str, str],
    cmd: Command,
    action: Callable[[UnitOfWork], Return],
) -> Response:
    """Run one decision once; an error is shown next to its field, with what was typed."""
    container: Container = request.app.state.container
    ref = cmd.ref

    def decide(uow: UnitOfWork) -> str:
        return f"/desk/returns/{action(uow).id}"

    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(cmd), decide)
    except InvalidInput as error:
        errors = field_errors(error)
        return _return_page(request, ref, errors=errors, values=values, status_code=422)
    except Conflict as error:
        field = next((str(d["field"]) for d in error.details if "field" in d), "form")
        errors = {field: error.message}
        return _return_page(request, ref, errors=errors, values=values, status_code=409)
    return redirect(url)


def _return_page(
    request: Request,
    return_id: str,
    *,
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int = 200,
) -> Response:
    return show_return(request, return_id, errors=errors, values=values, status_code=status_code)


def _new_address(values: dict[str, str], errors: dict[str, str]) -> service.NewReturnAddress | None:
    parts = {k: values.get(f"new_{k}", "").strip() for k in desk_settings.ADDRESS_PARTS}
    for name in ("label", "name", "line1", "city", "postal_code", "country"):
        if not parts[name]:
            errors[f"new_{name}"] = "needed for a new address"
    if parts["country"] and (len(parts["country"]) != 2 or not parts["country"].isalpha()):
        errors["new_country"] = "the two-letter country code, e.g. US"
    if errors:
        return None
    label = parts.pop("label")
    address = Address(**{**parts, "country": parts["country"].upper()})
    return service.NewReturnAddress(label, address, values.get("new_default") == "on")
