"""The customer returns portal: find an order, see what can go back, ask, and see the decision.

``/returns`` serves a single-shop install (or a marketplace where order numbers are unique);
``/s/{shop}/returns`` finds orders of one shop only, so a customer is never asked for an id.
Every line says whether it can be returned before anything is submitted, and the estimate
shows the money the resolution will pay.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.adapters.i18n import N_
from rma.api.deps import client_address
from rma.bootstrap import Container
from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput, NoReturnableItems, NotFound, TooManyAttempts
from rma.domain.policy import INVALIDATING, RequestedItem
from rma.domain.returns import Resolution
from rma.services import access, estimates, portal, storefront
from rma.services import returns as service
from rma.services.unit_of_work import UnitOfWork
from rma.web import words
from rma.web.auth import PORTAL_COOKIE, PORTAL_SESSION_SECONDS, customer
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import (
    PageRoute,
    PostedForm,
    check_csrf,
    page_language,
    redirect,
    render,
    set_cookie,
)

router = APIRouter(route_class=PageRoute, include_in_schema=False)

Text = Annotated[str, Form(max_length=200)]
CsrfField = Annotated[str, Form(max_length=200)]
ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")


@router.get("/returns")
def find_order_page(request: Request) -> Response:
    # The automatic answer to an email links here with the order number and email filled in.
    values = {
        name: request.query_params.get(name, "")[:320]
        for name in ("order_number", "email", "seller_id")
    }
    return _find_page(request, None, {}, values)


@router.get("/s/{shop}/returns")
def shop_find_order_page(request: Request, shop: str) -> Response:
    return _find_page(request, _shop(request, shop), {}, {})


@router.post("/returns")
def find_order(
    request: Request,
    csrf: CsrfField = "",
    order_number: Text = "",
    email: Text = "",
    seller_id: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    check_csrf(request, csrf)
    return _open_order(request, None, order_number, email, seller_id)


@router.post("/s/{shop}/returns")
def shop_find_order(
    request: Request,
    shop: str,
    csrf: CsrfField = "",
    order_number: Text = "",
    email: Text = "",
) -> Response:
    check_csrf(request, csrf)
    return _open_order(request, _shop(request, shop), order_number, email, "")


@router.get("/returns/order")
def order_page(request: Request) -> Response:
    view = _order_view(request)
    return _order_form(request, view, {}, {}, status_code=200)


@router.post("/returns/order")
def request_return(request: Request, form: PostedForm) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    principal = customer(request)
    container: Container = request.app.state.container
    view = _order_view(request)
    values = {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}
    items, errors = requested_items(view, values)
    resolution = values.get("resolution", "")
    if resolution not in {r.value for r in view.resolutions}:
        errors["resolution"] = N_("Choose one of the ways offered to resolve your return.")
    if not items and not any(key.startswith(("qty_", "reason_", "variant_")) for key in errors):
        errors["form"] = N_("Choose at least one item and how many units to send back.")
    sender, sender_errors = _sender(view, values)
    errors.update(sender_errors)
    if errors:
        return _order_form(request, view, values, errors, status_code=422)
    scope = service.Scope(view.order.seller_id, view.order.id)
    # The button is named "step", not "action": a control named "action" hides form.action.
    if values.get("step") == "estimate":
        estimate = estimates.estimate_return(scope, items, Resolution(resolution), container.uow())
        return _order_form(request, view, values, {}, status_code=200, estimate=estimate)
    cmd = service.RequestReturn(
        scope,
        view.order.number,
        items,
        principal.actor,
        Resolution(resolution),
        sender,
        page_language(request, view.language),
    )

    def ask(uow: UnitOfWork) -> str:
        return f"/returns/r/{service.request_return(cmd, uow).ret.id}"

    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(cmd), ask)
    except NoReturnableItems as error:
        for detail in sorted(error.details, key=lambda d: d.get("code") not in INVALIDATING):
            key = f"qty_{detail.get('line_id')}"
            errors.setdefault(key, words.VIOLATIONS.get(detail.get("code", ""), ""))
        return _order_form(request, view, values, errors, status_code=422)
    except InvalidInput as error:
        return _order_form(request, view, values, _errors_of(error, items), status_code=422)
    return redirect(url)


def _find_page(
    request: Request,
    shop: storefront.Shop | None,
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "portal/find.html",
        status_code=status_code,
        language=page_language(request, shop.language if shop else "en"),
        shop=shop,
        errors=errors,
        values=values,
    )


def _shop(request: Request, handle: str) -> storefront.Shop:
    container: Container = request.app.state.container
    return storefront.find_shop(handle[:40], container.reader())


def _open_order(
    request: Request, shop: storefront.Shop | None, order_number: str, email: str, seller_id: str
) -> Response:
    container: Container = request.app.state.container
    values = {"order_number": order_number, "email": email, "seller_id": seller_id}
    errors = {}
    if not order_number.strip():
        errors["order_number"] = N_("Enter your order number.")
    if "@" not in email:
        errors["email"] = N_("Enter the email address you ordered with.")
    if errors:
        return _find_page(request, shop, errors, values, status_code=422)
    chosen = shop.seller_id if shop else (seller_id.strip() or None)
    cmd = access.OpenPortalSession(
        order_number.strip(), email.strip(), chosen, client_address(request)
    )
    try:
        opened = access.open_portal_session(cmd, container.uow(), container.attempts)
    except TooManyAttempts as error:
        errors["form"] = f"Too many tries. Please wait {error.retry_after} seconds."
        page = _find_page(request, shop, errors, values, status_code=429)
        page.headers["Retry-After"] = str(error.retry_after)
        return page
    except NotFound:
        errors["form"] = N_("We found no order with that number and email. Check both and retry.")
        return _find_page(request, shop, errors, values, status_code=404)
    except InvalidInput as error:
        if error.code == "seller_required":
            errors["seller_id"] = N_("Several shops have this order number: enter the shop id.")
        else:
            errors["form"] = error.message
        return _find_page(request, shop, errors, values, status_code=422)
    response = redirect("/returns/order")
    set_cookie(response, request, PORTAL_COOKIE, opened.token, PORTAL_SESSION_SECONDS)
    return response


def _order_view(request: Request) -> portal.OrderForReturn:
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None  # a customer session names its seller
    scope = service.Scope(principal.seller_id, principal.order_id)
    return portal.order_for_return(scope, container.uow())


def requested_items(
    view: portal.OrderForReturn, values: dict[str, str]
) -> tuple[list[RequestedItem], dict[str, str]]:
    """The items a return form asks for (the portal's, and the desk's for a customer)."""
    items, errors = [], {}
    exchange = values.get("resolution") == Resolution.EXCHANGE
    for line in view.lines:
        raw = values.get(f"qty_{line.line_id}", "0").strip() or "0"
        if not (raw.isascii() and raw.isdigit()):
            errors[f"qty_{line.line_id}"] = N_("Give a whole number of units.")
            continue
        quantity = int(raw)
        if quantity == 0:
            continue
        if quantity > line.returnable:
            why = words.BLOCKED.get(
                line.blocked or "", words.VIOLATIONS["quantity_exceeds_returnable"]
            )
            errors[f"qty_{line.line_id}"] = why
            continue
        reason = values.get(f"reason_{line.line_id}", "")
        if reason not in {r.code for r in line.reasons}:
            errors[f"reason_{line.line_id}"] = N_("Choose why you are returning this item.")
            continue
        variant = values.get(f"variant_{line.line_id}", "") if exchange else ""
        if exchange and variant not in {v.sku for v in line.variants}:
            errors[f"variant_{line.line_id}"] = N_("Choose what you would like instead.")
            continue
        comment = values.get(f"comment_{line.line_id}", "")[:2000]
        items.append(RequestedItem(line.line_id, quantity, reason, comment, variant))
    return items, errors


def _sender(
    view: portal.OrderForReturn, values: dict[str, str]
) -> tuple[Address | None, dict[str, str]]:
    """The address the customer typed for this return, if it differs from the order's."""
    given = {name: values.get(f"from_{name}", "").strip()[:200] for name in ADDRESS_FIELDS}
    if not any(given.values()):
        return None, {}
    errors = {}
    for name in ("name", "line1", "city", "postal_code"):
        if not given[name]:
            errors[f"from_{name}"] = N_("Fill in this part of the address.")
    given["country"] = given["country"].upper()
    if not (len(given["country"]) == 2 and given["country"].isalpha()):
        errors["from_country"] = N_("Give the two-letter country code, such as US or DE.")
    if errors:
        return None, errors
    address = Address(**given)
    return (None if address == view.ship_from else address), {}


def _errors_of(error: InvalidInput, items: list[RequestedItem]) -> dict[str, str]:
    """An input error of the request, placed next to the field it is about."""
    message = {
        "resolution_not_allowed": N_("This shop does not offer that for these items."),
        "exchange_sku_required": N_("Choose what you would like instead."),
        "exchange_sku_unknown": N_("Choose what you would like instead."),
        "exchange_not_a_variant": N_("Choose what you would like instead."),
        "unknown_reason_code": N_("Choose why you are returning this item."),
    }.get(error.code, error.message)
    for detail in error.details:
        field = str(detail.get("field", "")) if isinstance(detail, dict) else ""
        if field == "resolution":
            return {"resolution": message}
        position = field[6 : field.find("]")] if field.startswith("items[") else ""
        if position.isdigit():
            index = int(position)
            if index < len(items):
                prefix = "variant" if "exchange" in field else "reason"
                return {f"{prefix}_{items[index].line_id}": message}
    return {"form": message}


def _order_form(
    request: Request,
    view: portal.OrderForReturn,
    values: dict[str, str],
    errors: dict[str, str],
    *,
    status_code: int,
    estimate: estimates.Estimate | None = None,
) -> Response:
    return render(
        request,
        "portal/order.html",
        status_code=status_code,
        language=page_language(request, view.language),
        view=view,
        errors=errors,
        values=values,
        estimate=estimate,
        form_key=values.get("form_key") or new_form_key(),
        words=words,
        address_fields=ADDRESS_FIELDS,
    )
