"""Changing the seller's saved return addresses and category policies from the desk.

Deleting asks for confirmation first; a change is saved once per form key.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.domain.addresses import Address
from rma.services import addresses, policies
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import (
    ADDRESS_PARTS,
    Posted,
    Values,
    _addresses,
    save_once,
    signed_in,
)
from rma.web.forms import new_form_key
from rma.web.rendering import PageRoute, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.post("/addresses/{address_id}")
def update_address(request: Request, address_id: str, values: Posted) -> Response:
    """Save the edited address (its label and lines)."""
    principal, seller_id, _ = signed_in(request)
    parts = {k: values.get(k, "").strip()[:200] for k in ADDRESS_PARTS}
    errors = {
        k: "needed"
        for k in ("label", "name", "line1", "city", "postal_code", "country")
        if not parts[k]
    }
    if parts["country"] and (len(parts["country"]) != 2 or not parts["country"].isalpha()):
        errors["country"] = "the two-letter country code, e.g. US"
    values["editing"] = address_id[:64]
    if errors:
        return _addresses(request, principal, values, errors, status_code=422)
    label = parts.pop("label")
    address = Address(**{**parts, "country": parts["country"].upper()})
    cmd = addresses.UpdateReturnAddress(seller_id, address_id[:64], label, address)

    def update(uow: UnitOfWork) -> str:
        addresses.update_return_address(cmd, uow)
        return "/desk/addresses?done=saved"

    return save_once(
        request,
        principal,
        values,
        update,
        lambda errs: _addresses(request, principal, values, errs, status_code=422),
    )


@router.post("/addresses/{address_id}/default")
def make_default(request: Request, address_id: str, values: Posted) -> Response:
    principal, seller_id, _ = signed_in(request)

    def choose(uow: UnitOfWork) -> str:
        addresses.make_default_return_address(seller_id, address_id[:64], uow)
        return "/desk/addresses?done=default"

    return save_once(request, principal, values, choose, lambda _: redirect("/desk/addresses"))


@router.post("/addresses/{address_id}/delete")
def delete_address(request: Request, address_id: str, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    if values.get("confirmed") != "yes":
        found = addresses.get_return_address(seller_id, address_id[:64], container.uow())
        return _confirm(
            request,
            values,
            question="Delete this return address?",
            what=f"{found.label}: {', '.join(found.address.lines())}",
            consequence="Returns already authorized keep it on their labels; new ones cannot "
            "be sent there.",
            action=f"/desk/addresses/{found.id}/delete",
            back="/desk/addresses",
        )

    def delete(uow: UnitOfWork) -> str:
        addresses.delete_return_address(seller_id, address_id[:64], uow)
        return "/desk/addresses?done=deleted"

    return save_once(request, principal, values, delete, lambda _: redirect("/desk/addresses"))


@router.post("/policies/{category}/delete")
def delete_policy(request: Request, category: str, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    category = category[:100]
    if values.get("confirmed") != "yes":
        known = {p.category for p in policies.list_policies(seller_id, container.uow())}
        if category not in known:
            return redirect("/desk/policies")
        return _confirm(
            request,
            values,
            question="Delete this category policy?",
            what=f"Category {category}",
            consequence="Its products follow your return settings again.",
            action=f"/desk/policies/{category}/delete",
            back="/desk/policies",
        )

    def delete(uow: UnitOfWork) -> str:
        policies.delete_policy(seller_id, category, uow)
        return "/desk/policies"

    return save_once(request, principal, values, delete, lambda _: redirect("/desk/policies"))


def _confirm(
    request: Request,
    values: Values,
    *,
    question: str,
    what: str,
    consequence: str,
    action: str,
    back: str,
) -> Response:
    principal, _, _ = signed_in(request)
    return render(
        request,
        "desk/confirm.html",
        role=principal.role,
        question=question,
        what=what,
        consequence=consequence,
        button=question.removesuffix("?").replace("this", "the"),
        action=action,
        fields={},
        back=back,
        form_key=values.get("form_key") or new_form_key(),
    )
