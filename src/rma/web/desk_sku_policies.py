"""The desk's SKU policies: overrides of one SKU's rules, and its prepaid-label exemption."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.domain.sellers import AuthorizationMode, LabelPayer, SkuPolicy
from rma.services import policies
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import Posted, Values, save_once, signed_in, tab_page
from rma.web.forms import new_form_key
from rma.web.rendering import PageRoute, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/sku-policies")
def sku_policies_page(request: Request, edit: str = "") -> Response:
    _, seller_id, container = signed_in(request)
    found = policies.list_sku_policies(seller_id, container.uow())
    chosen = next((p for p in found if p.sku == edit[:100]), None)
    values: Values = dict(chosen.__dict__) if chosen else {}
    if chosen is not None:
        values["returnable"] = {None: "", True: "yes", False: "no"}[chosen.returnable]
    return _page(request, found, values, {})


@router.post("/sku-policies")
def put_sku_policy(request: Request, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)
    errors: dict[str, str] = {}
    sku = values.get("sku", "").strip()[:100]
    if not sku:
        errors["sku"] = "name the SKU"
    window = _optional(values, "window_days", 0, 3650, errors)
    fee = _optional(values, "restocking_fee_percent", 0, 100, errors)
    payer = values.get("label_paid_by", "")
    if payer and payer not in {p.value for p in LabelPayer}:
        errors["label_paid_by"] = "choose one of the options"
    mode = values.get("exempt_authorization", "manual")
    if mode not in {m.value for m in AuthorizationMode}:
        errors["exempt_authorization"] = "choose one of the options"
    returnable = {"yes": True, "no": False}.get(values.get("returnable", ""))
    if errors:
        return _page(request, _all(request), values, errors, status_code=422)
    cmd = policies.PutSkuPolicy(
        seller_id,
        sku,
        window_days=window,
        returnable=returnable,
        restocking_fee_percent=fee,
        label_paid_by=LabelPayer(payer) if payer else None,
        prepaid_label_exempt=values.get("prepaid_label_exempt") == "on",
        exempt_authorization=AuthorizationMode(mode),
    )

    def put(uow: UnitOfWork) -> str:
        policies.put_sku_policy(cmd, uow)
        return "/desk/sku-policies"

    return save_once(
        request,
        principal,
        values,
        put,
        lambda errs: _page(request, _all(request), values, errs, status_code=422),
    )


@router.post("/sku-policies/{sku}/delete")
def delete_sku_policy(request: Request, sku: str, values: Posted) -> Response:
    """Drop a SKU's overrides, once confirmed: its category's policy applies again."""
    principal, seller_id, container = signed_in(request)
    sku = sku[:100]
    if values.get("confirmed") != "yes":
        found = [p for p in policies.list_sku_policies(seller_id, container.uow()) if p.sku == sku]
        if not found:
            return _page(request, _all(request), {}, {"form": f"No policy for SKU {sku}."}, 404)
        return render(
            request,
            "desk/confirm.html",
            role=principal.role,
            question="Delete this SKU policy?",
            what=f"SKU {sku}",
            consequence="Its category's policy (or your return settings) applies again.",
            button="Delete the SKU policy",
            action=f"/desk/sku-policies/{sku}/delete",
            fields={},
            back="/desk/sku-policies",
            form_key=values.get("form_key") or new_form_key(),
        )

    def delete(uow: UnitOfWork) -> str:
        policies.delete_sku_policy(seller_id, sku, uow)
        return "/desk/sku-policies"

    return save_once(
        request,
        principal,
        values,
        delete,
        lambda errs: _page(request, _all(request), {}, errs, status_code=422),
    )


def _all(request: Request) -> list[SkuPolicy]:
    _, seller_id, container = signed_in(request)
    return policies.list_sku_policies(seller_id, container.uow())


def _page(
    request: Request,
    found: list[SkuPolicy],
    values: Values,
    errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    principal, _, _ = signed_in(request)
    return tab_page(
        request,
        principal,
        "sku-policies",
        values,
        errors,
        status_code,
        policies=found,
        payers=list(LabelPayer),
        modes=list(AuthorizationMode),
    )


def _optional(values: Values, name: str, low: int, high: int, errors: dict[str, str]) -> int | None:
    """A whole number, or ``None`` when the field is left empty (the category's rule holds)."""
    raw = str(values.get(name, "")).strip()
    if not raw:
        return None
    if not raw.isdigit() or not low <= int(raw) <= high:
        errors[name] = f"a whole number from {low} to {high}, or empty"
        return None
    return int(raw)
