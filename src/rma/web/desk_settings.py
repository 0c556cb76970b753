"""The seller desk's set-up pages: return settings, addresses, policies, reasons, webhooks."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import fields
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request, Response
from starlette.datastructures import FormData

from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput
from rma.domain.money import parse_amount
from rma.domain.sellers import (
    AuthorizationMode,
    Fault,
    LabelDefault,
    LabelPayer,
    OutOfPolicyHandling,
    PaymentGatewayKind,
    ResolutionTrigger,
)
from rma.domain.webhooks import event_types
from rma.services import addresses, catalog, policies, sellers
from rma.services.unit_of_work import UnitOfWork
from rma.web.auth import DESK_ROLES, staff
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, check_csrf, field_errors, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)

ADDRESS_PARTS = ("label", "name", "line1", "line2", "city", "region", "postal_code", "country")
CHOICES = {
    "authorization_mode": list(AuthorizationMode),
    "out_of_policy": list(OutOfPolicyHandling),
    "label_default": list(LabelDefault),
    "resolution_trigger": list(ResolutionTrigger),
    "payment_gateway": list(PaymentGatewayKind),
}
Values = dict[str, Any]
E = TypeVar("E", bound=StrEnum)
CODE = re.compile(r"[A-Za-z0-9_.-]+")  # as the API's path for reason codes takes them


def signed_in(request: Request) -> tuple[Principal, str, Container]:
    """The signed-in seller, its seller id, and the container; others sign in or are refused."""
    principal = staff(request, DESK_ROLES, "/desk/login")
    assert principal.seller_id is not None  # staff sessions always belong to a seller
    return principal, principal.seller_id, request.app.state.container


def posted_values(request: Request, form: FormData) -> Values:
    """The posted fields (lists for repeated names), once its CSRF token is checked."""
    check_csrf(request, str(form.get("csrf", "")))
    values: Values = {k: str(v)[:2000] for k, v in form.items() if isinstance(v, str)}
    values["event_types"] = [str(v) for v in form.getlist("event_types")]
    return values


async def posted(request: Request) -> Values:
    """``posted_values``, read on the loop for a route that runs in a thread (``PostedForm``)."""
    return posted_values(request, await request.form())


Posted = Annotated[Values, Depends(posted)]


def save_once(
    request: Request,
    principal: Principal,
    values: Values,
    action: Callable[[UnitOfWork], str],
    again: Callable[[dict[str, str]], Response],
) -> Response:
    """Run a change once and see its page; bad input shows the form again, as typed."""
    container: Container = request.app.state.container
    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(values), action)
    except InvalidInput as error:
        return again(field_errors(error))
    return redirect(url)


def tab_page(
    request: Request,
    principal: Principal,
    tab: str,
    values: Values,
    errors: dict[str, str],
    status_code: int,
    **context: Any,
) -> Response:
    """A set-up page: its tab, its form as typed with its errors, and a key for the form."""
    return render(
        request,
        f"desk/{tab.replace('-', '_')}.html",
        status_code=status_code,
        role=principal.role,
        tab=tab,
        values=values,
        errors=errors,
        form_key=values.get("form_key") or new_form_key(),
        **context,
    )


@router.get("/settings")
def settings_page(request: Request, saved: str = "") -> Response:
    principal, seller_id, container = signed_in(request)
    seller = sellers.get_seller(seller_id, container.uow())
    values = {name: getattr(seller, name) for name in _SETTINGS_FIELDS}
    return _settings(request, principal, values, {}, saved=bool(saved))


@router.post("/settings")
def save_settings(request: Request, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    errors: dict[str, str] = {}
    gateway = _choice(values, "payment_gateway", PaymentGatewayKind, errors)
    changes = sellers.ReturnSettings(
        authorization_mode=_choice(values, "authorization_mode", AuthorizationMode, errors),
        out_of_policy=_choice(values, "out_of_policy", OutOfPolicyHandling, errors),
        window_days=_number(values, "window_days", 0, 3650, errors),
        transit_days=_number(values, "transit_days", 0, 3650, errors),
        timezone=values.get("timezone", "").strip() or None,
        label_default=_choice(values, "label_default", LabelDefault, errors),
        notification_email=values.get("notification_email", "").strip(),
        email_preferences=values["event_types"],
        resolution_trigger=_choice(values, "resolution_trigger", ResolutionTrigger, errors),
        keep_item_max_value=_amount(values, "keep_item_max_value", errors),
        store_credit_bonus_percent=_number(values, "store_credit_bonus_percent", 0, 100, errors),
        payment_gateway=gateway,
        payment_webhook_url=values.get("payment_webhook_url", "").strip()[:2000] or None,
    )
    email = changes.notification_email or ""
    if email and ("@" not in email or len(email) > 320):
        errors["notification_email"] = "an email address, or empty for no emails"
    url = changes.payment_webhook_url or ""
    if url and not url.startswith(("https://", "http://")):
        errors["payment_webhook_url"] = "the address of your payment system, https://..."
    values["email_preferences"] = values["event_types"]
    if errors:
        return _settings(request, principal, values, errors, status_code=422)
    was = sellers.get_seller(seller_id, container.uow()).payment_gateway
    secret: list[str] = []

    def save(uow: UnitOfWork) -> str:
        saved = sellers.update_settings(seller_id, changes, uow, container.destinations)
        if saved.payment_gateway is PaymentGatewayKind.WEBHOOK and was is not saved.payment_gateway:
            secret.append(saved.payment_webhook_secret)
        return "/desk/settings?saved=1"

    response = save_once(
        request,
        principal,
        values,
        save,
        lambda errs: _settings(request, principal, values, errs, status_code=422),
    )
    if secret:
        # Switching to the webhook gateway: its signing secret is shown on this answer only;
        # a reload of the form replays the save and lands on the page without it.
        return _settings(request, principal, values, {}, saved=True, secret=secret[0])
    return response


# What the settings form shows: the seller's kind, and every setting it may change.
_SETTINGS_FIELDS = ("kind", *(f.name for f in fields(sellers.ReturnSettings)))


def _settings(
    request: Request,
    principal: Principal,
    values: Values,
    errors: dict[str, str],
    *,
    saved: bool = False,
    status_code: int = 200,
    secret: str = "",
) -> Response:
    return tab_page(
        request,
        principal,
        "settings",
        values,
        errors,
        status_code,
        saved=saved,
        choices=CHOICES,
        events=event_types(),
        secret=secret,
        typed_amount=_typed_amount,
    )


@router.get("/addresses")
def addresses_page(request: Request, edit: str = "", done: str = "") -> Response:
    principal, seller_id, container = signed_in(request)
    values: Values = {"done": done[:20]}
    if edit:
        found = addresses.get_return_address(seller_id, edit[:64], container.uow())
        values |= {"editing": found.id, "label": found.label, **found.address.__dict__}
    return _addresses(request, principal, values, {})


@router.post("/addresses")
def add_address(request: Request, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)
    parts = {k: values.get(k, "").strip()[:200] for k in ADDRESS_PARTS}
    errors = {
        k: "needed"
        for k in ("label", "name", "line1", "city", "postal_code", "country")
        if not parts[k]
    }
    if parts["country"] and (len(parts["country"]) != 2 or not parts["country"].isalpha()):
        errors["country"] = "the two-letter country code, e.g. US"
    if errors:
        return _addresses(request, principal, values, errors, status_code=422)
    label = parts.pop("label")
    address = Address(**{**parts, "country": parts["country"].upper()})
    cmd = addresses.AddReturnAddress(seller_id, label, address, values.get("make_default") == "on")

    def add(uow: UnitOfWork) -> str:
        addresses.add_return_address(cmd, uow)
        return "/desk/addresses"

    return save_once(
        request,
        principal,
        values,
        add,
        lambda errs: _addresses(request, principal, values, errs, status_code=422),
    )


def _addresses(
    request: Request,
    principal: Principal,
    values: Values,
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    saved, default = addresses.list_return_addresses(principal.seller_id, container.uow())
    return tab_page(
        request,
        principal,
        "addresses",
        values,
        errors,
        status_code,
        addresses=saved,
        default=default,
    )


@router.get("/policies")
def policies_page(request: Request, edit: str = "") -> Response:
    principal, seller_id, container = signed_in(request)
    found = policies.list_policies(seller_id, container.uow())
    chosen = next((p for p in found if p.category == edit[:100]), None)
    values: Values = dict(chosen.__dict__) if chosen else {"window_days": 30, "returnable": True}
    return _policies(request, principal, found, values, {})


@router.post("/policies")
def put_policy(request: Request, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    errors: dict[str, str] = {}
    category = values.get("category", "").strip()[:100]
    if not category:
        errors["category"] = "name the product category"
    window = _number(values, "window_days", 0, 3650, errors)
    fee = _number(values, "restocking_fee_percent", 0, 100, errors)
    payer = _choice(values, "label_paid_by", LabelPayer, errors)
    values["returnable"] = values.get("returnable") == "on"
    if errors:
        found = policies.list_policies(seller_id, container.uow())
        return _policies(request, principal, found, values, errors, status_code=422)
    cmd = policies.PutPolicy(
        seller_id,
        category,
        window or 0,
        bool(values["returnable"]),
        fee or 0,
        payer or LabelPayer.BY_FAULT,
    )

    def put(uow: UnitOfWork) -> str:
        policies.put_policy(cmd, uow)
        return "/desk/policies"

    return save_once(request, principal, values, put, lambda errs: redirect("/desk/policies"))


def _policies(
    request: Request,
    principal: Principal,
    found: list[Any],
    values: Values,
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    return tab_page(
        request,
        principal,
        "policies",
        values,
        errors,
        status_code,
        policies=found,
        payers=list(LabelPayer),
    )


@router.get("/reason-codes")
def reason_codes_page(request: Request, edit: str = "") -> Response:
    principal, seller_id, container = signed_in(request)
    codes = catalog.reason_codes_for(seller_id, None, container.uow())
    chosen = next((c for c in codes if c.code == edit[:64]), None)
    values: Values = {"active": "on"}
    if chosen is not None:
        categories = ", ".join(chosen.categories or [])
        values = {**chosen.__dict__, "categories": categories, "active": chosen.active}
    return _reason_codes(request, principal, codes, values, {})


@router.post("/reason-codes")
def put_reason_code(request: Request, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    code = values.get("code", "").strip().upper()[:64]
    description = values.get("description", "").strip()[:200]
    fault = values.get("fault", "")
    categories = [c.strip() for c in values.get("categories", "").split(",") if c.strip()]
    errors = {} if CODE.fullmatch(code) else {"code": "letters, digits, '_', '.' and '-' only"}
    if not description:
        errors["description"] = "say what the reason means to a customer"
    if fault not in {f.value for f in Fault}:
        errors["fault"] = "choose whose fault it is"
    if errors:
        codes = catalog.reason_codes_for(seller_id, None, container.uow())
        return _reason_codes(request, principal, codes, values, errors, status_code=422)
    if values.get("retire") == "yes" and values.get("confirmed") != "yes":
        kept = ("code", "description", "fault", "categories", "retire")
        return render(
            request,
            "desk/confirm.html",
            role=principal.role,
            question="Retire this reason?",
            what=f"{code}: {description}",
            consequence="Customers no longer see it; returns that gave it keep it, and you "
            "can restore it later.",
            button="Retire the reason",
            action="/desk/reason-codes",
            fields={k: values.get(k, "") for k in kept},
            back="/desk/reason-codes",
            form_key=values.get("form_key") or new_form_key(),
        )
    cmd = policies.PutReasonCode(
        seller_id, code, description, Fault(fault), categories or None, values.get("active") == "on"
    )

    def put(uow: UnitOfWork) -> str:
        policies.put_reason_code(cmd, uow)
        return "/desk/reason-codes"

    return save_once(request, principal, values, put, lambda errs: redirect("/desk/reason-codes"))


def _reason_codes(
    request: Request,
    principal: Principal,
    codes: list[Any],
    values: Values,
    errors: dict[str, str],
    *,
    status_code: int = 200,
) -> Response:
    return tab_page(
        request,
        principal,
        "reason-codes",
        values,
        errors,
        status_code,
        codes=codes,
        faults=list(Fault),
    )


def _choice(values: Values, name: str, kind: type[E], errors: dict[str, str]) -> E | None:
    try:
        return kind(values.get(name, ""))
    except ValueError:
        errors[name] = "choose one of the options"
        return None


def _amount(values: Values, name: str, errors: dict[str, str]) -> int | None:
    raw = str(values.get(name, "")).strip()
    try:
        return parse_amount(raw or "0", "USD")
    except InvalidInput:
        errors[name] = "an amount such as 25.00, or 0"
        return None


def _typed_amount(value: object) -> str:
    """A stored amount as the form shows it again: typed text, or minor units as 25.00."""
    if isinstance(value, int):
        return f"{value // 100}.{value % 100:02d}"
    return str(value or "")


def _number(values: Values, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    raw = str(values.get(name, "")).strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"a whole number from {low} to {high}"
        return None
    return int(raw)
