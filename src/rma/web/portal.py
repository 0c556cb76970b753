"""The customer returns portal: find an order, ask for a return, see the decision, track it."""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from rma.api.deps import client_address
from rma.bootstrap import Container
from rma.domain.errors import InvalidInput, NoReturnableItems, NotFound, TooManyAttempts
from rma.domain.policy import RequestedItem
from rma.domain.returns import Resolution, Return
from rma.domain.statuses import ReturnStatus
from rma.services import access, inspection, portal
from rma.services import returns as service
from rma.services.unit_of_work import UnitOfWork
from rma.web.auth import PORTAL_COOKIE, PORTAL_SESSION_SECONDS, customer
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, check_csrf, field_errors, redirect, render, set_cookie

router = APIRouter(prefix="/returns", route_class=PageRoute, include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
CsrfField = Annotated[str, Form(max_length=200)]

# What the customer reads for each violation: plain words, not codes.
PLAIN_WORDS = {
    "return_window_ended": "the return window for this item has ended",
    "non_returnable": "this item cannot be returned",
    "not_shipped": "this item has not shipped yet",
    "quantity_exceeds_returnable": "more than the units left to return",
}
CANCELLABLE = {ReturnStatus.PENDING_REVIEW, ReturnStatus.AUTHORIZED}
PHOTO_WORDS = {
    "not_an_image": "That file is not a photo: choose a JPEG, PNG or WebP image.",
    "file_too_large": "That photo is too large: take it again at a lower resolution.",
}
# Photos may be added until the package has been inspected.
PHOTOS_OPEN = {
    ReturnStatus.PENDING_REVIEW,
    ReturnStatus.AUTHORIZED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.PARTIALLY_RECEIVED,
    ReturnStatus.RECEIVED,
}


@router.get("")
def find_order_page(request: Request) -> Response:
    # The automatic answer to an email links here with the order number and email filled in.
    values = {
        name: request.query_params.get(name, "")[:320]
        for name in ("order_number", "email", "seller_id")
    }
    return render(request, "portal/find.html", errors={}, values=values)


@router.post("")
def find_order(
    request: Request,
    csrf: CsrfField,
    order_number: Text,
    email: Text,
    seller_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf)
    container: Container = request.app.state.container
    values = {"order_number": order_number, "email": email, "seller_id": seller_id}
    cmd = access.OpenPortalSession(
        order_number.strip(), email.strip(), seller_id or None, client_address(request)
    )
    try:
        opened = access.open_portal_session(cmd, container.uow(), container.attempts)
    except TooManyAttempts as error:
        errors = {"form": f"Too many tries. Please wait {error.retry_after} seconds."}
        page = render(request, "portal/find.html", status_code=429, errors=errors, values=values)
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except NotFound:
        errors = {"form": "We found no order with that number and email. Check both and retry."}
        return render(request, "portal/find.html", status_code=404, errors=errors, values=values)
    except InvalidInput as error:
        errors = field_errors(error)
        return render(request, "portal/find.html", status_code=422, errors=errors, values=values)
    response = redirect("/returns/order")
    set_cookie(response, request, PORTAL_COOKIE, opened.token, PORTAL_SESSION_SECONDS)
    return response


@router.get("/order")
def order_page(request: Request) -> Response:
    view = _order_view(request)
    return render(
        request,
        "portal/order.html",
        view=view,
        errors={},
        values={},
        form_key=new_form_key(),
        resolutions=list(Resolution),
    )


@router.post("/order")
async def request_return(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    principal = customer(request)
    container: Container = request.app.state.container
    view = _order_view(request)
    values = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    items, errors = requested_items(view, values)
    resolution = values.get("resolution", "refund")
    if resolution not in {r.value for r in Resolution}:
        errors["resolution"] = "choose how you would like it resolved"
    if not errors and not items:
        errors["form"] = "choose at least one item and how many to send back"
    if errors:
        return _order_form(request, view, values, errors, status_code=422)
    cmd = service.RequestReturn(
        service.Scope(view.order.seller_id, view.order.id),
        view.order.number,
        items,
        principal.actor,
        Resolution(resolution),
    )

    def ask(uow: UnitOfWork) -> str:
        outcome = service.request_return(cmd, uow)
        refused = ",".join(
            f"{v.item.line_id}:{v.violations[0].code}" for v in outcome.decision.invalid_items
        )
        return f"/returns/r/{outcome.ret.id}" + (f"?refused={refused}" if refused else "")

    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(cmd), ask)
    except NoReturnableItems as error:
        for detail in error.details:
            line, code = detail.get("line_id"), detail.get("code")
            errors[f"qty_{line}"] = PLAIN_WORDS.get(code, detail.get("message", ""))
        return _order_form(request, view, values, errors, status_code=422)
    except InvalidInput as error:
        return _order_form(request, view, values, field_errors(error), status_code=422)
    return redirect(url)


@router.get("/r/{return_id}")
def return_page(
    request: Request, return_id: str, refused: str = "", photo: str = "", photo_error: str = ""
) -> Response:
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None  # a customer session names its seller
    scope = service.Scope(principal.seller_id, principal.order_id)
    ret = service.get_return(scope, return_id[:64], container.uow())
    view = portal.order_for_return(scope, container.uow())
    names = {line.line_id: line.name for line in view.lines}
    refused_lines = []
    for part in refused[:500].split(","):
        line, _, code = part.partition(":")
        if line in names:
            refused_lines.append((names[line], PLAIN_WORDS.get(code, "it cannot be returned")))
    return render(
        request,
        "portal/return.html",
        ret=ret,
        view=view,
        names=names,
        refused=refused_lines,
        page_link=_page_path(container, ret) if ret.rma_number else None,
        label_link=_page_path(container, ret, "/label.pdf") if ret.rma_number else None,
        plain=PLAIN_WORDS,
        cancellable=ret.status in CANCELLABLE,
        photos_open=ret.status in PHOTOS_OPEN,
        photo_added=photo == "added",
        photo_error=photo_error[:200],
        form_key=new_form_key(),
    )


@router.post("/r/{return_id}/items/{item_id}/photos")
async def add_photo(
    request: Request,
    return_id: str,
    item_id: str,
    csrf: CsrfField,
    photo: Annotated[UploadFile | None, File()] = None,
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """The customer shows the item (a defect, damage): kept with the item for inspection."""
    check_csrf(request, csrf)
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    limit = container.settings.photo_max_bytes
    data = await photo.read(limit + 1) if photo is not None else b""
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = inspection.AddPhoto(scope, return_id[:64], item_id[:40], data, limit)
    what = f"photo {cmd.ref} {cmd.item_id} {hashlib.sha256(data).hexdigest()}"

    def keep(uow: UnitOfWork) -> str:
        added = inspection.add_photo(cmd, uow, container.files)
        return f"/returns/r/{added.return_id}?photo=added"

    try:
        return redirect(submit_once(container, principal, form_key, what, keep))
    except InvalidInput as error:
        message = PHOTO_WORDS.get(error.code, error.message)
        return redirect(f"/returns/r/{cmd.ref}?photo_error={quote(message)}")


@router.post("/r/{return_id}/cancel")
def cancel_return(
    request: Request,
    return_id: str,
    csrf: CsrfField,
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(request, csrf)
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = service.FinishReturn(scope, return_id[:64], principal.actor, "cancelled in the portal")

    def cancel(uow: UnitOfWork) -> str:
        return f"/returns/r/{service.cancel_return(cmd, uow).id}"

    return redirect(submit_once(container, principal, form_key, repr(cmd), cancel))


def _page_path(container: Container, ret: Return, suffix: str = "") -> str:
    """The signed path of the return's RMA page (or its label), relative to this site."""
    return container.page_links.path(ret, suffix)


def _order_view(request: Request) -> portal.OrderForReturn:
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    scope = service.Scope(principal.seller_id, principal.order_id)
    return portal.order_for_return(scope, container.uow())


def requested_items(
    view: portal.OrderForReturn, values: dict[str, str]
) -> tuple[list[RequestedItem], dict[str, str]]:
    """The items a return form asks for (the portal's, and the desk's for a customer)."""
    items, errors = [], {}
    for line in view.lines:
        raw = values.get(f"qty_{line.line_id}", "0") or "0"
        if not (raw.isascii() and raw.isdigit()) or int(raw) > 10_000:
            errors[f"qty_{line.line_id}"] = "give a whole number of units"
            continue
        quantity = int(raw)
        if quantity == 0:
            continue
        reason = values.get(f"reason_{line.line_id}", "")
        if reason not in {r.code for r in line.reasons}:
            errors[f"reason_{line.line_id}"] = "choose why you are returning it"
            continue
        comment = values.get(f"comment_{line.line_id}", "")[:2000]
        items.append(RequestedItem(line.line_id, quantity, reason, comment))
    return items, errors


def _order_form(
    request: Request,
    view: portal.OrderForReturn,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int,
) -> Response:
    return render(
        request,
        "portal/order.html",
        status_code=status_code,
        view=view,
        errors=errors,
        values=values,
        form_key=values.get("form_key") or new_form_key(),
        resolutions=list(Resolution),
    )
