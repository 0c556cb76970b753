"""The pages behind a supplier's signed links: accept with its RMA number, or refuse.

``GET`` only shows the form (mail scanners follow links); ``POST`` answers. A forged, altered,
used or expired link changes nothing. The accept and refuse links of one email share one
token id, so answering by either spends both.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from rma.adapters.email import read_action_token, template_environment
from rma.api.deps import ContainerDep
from rma.api.errors import status_of
from rma.domain.addresses import Address
from rma.domain.errors import InvalidInput, RmaError
from rma.services import supplier_rmas as service
from rma.services.partners import get_partner

router = APIRouter(tags=["pages"], include_in_schema=False)
Token = Annotated[str, Path(max_length=1000)]
Short = Annotated[str, Form(max_length=200)]
_env = template_environment()


def _page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return HTMLResponse(
        _env.get_template(name).render(context), status_code=status, headers=headers
    )


@router.get("/supplier-actions/{token}", response_class=HTMLResponse)
def supplier_form(token: Token, request: Request, container: ContainerDep) -> HTMLResponse:
    try:
        link = read_action_token(container.signer, token)
        case = service.open_supplier_link(link, container.uow())
        partner = get_partner(link.seller_id, case.rma.partner_id, container.reader())
    except RmaError as error:
        return _page("actions/refused.html", status_of(error), error=error)
    address = partner.address.as_dict() if partner.address else {}
    return _page(
        "partner/supplier_answer.html",
        link=link,
        case=case,
        partner=partner,
        values=address,
        errors={},
        action_url=request.url.path,
    )


@router.post("/supplier-actions/{token}", response_class=HTMLResponse)
def supplier_answer(
    token: Token,
    request: Request,
    container: ContainerDep,
    rma_number: Annotated[str, Form(max_length=64)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    name: Short = "",
    line1: Short = "",
    line2: Short = "",
    city: Short = "",
    region: Short = "",
    postal_code: Annotated[str, Form(max_length=20)] = "",
    country: Annotated[str, Form(max_length=2)] = "",
) -> HTMLResponse:
    values = {
        "rma_number": rma_number,
        "reason": reason,
        "name": name,
        "line1": line1,
        "line2": line2,
        "city": city,
        "region": region,
        "postal_code": postal_code,
        "country": country,
    }
    try:
        link = read_action_token(container.signer, token)
        accept = link.action == "supplier_accept"
        errors = _errors(accept, values)
        if errors:
            case = service.open_supplier_link(link, container.uow())
            partner = get_partner(link.seller_id, case.rma.partner_id, container.reader())
            return _page(
                "partner/supplier_answer.html",
                422,
                link=link,
                case=case,
                partner=partner,
                values=values,
                errors=errors,
                action_url=request.url.path,
            )
        address = (
            Address(
                name.strip(),
                line1.strip(),
                city.strip(),
                postal_code.strip(),
                country.strip().upper(),
                line2.strip(),
                region.strip(),
            )
            if accept
            else None
        )
        answer = service.SupplierAnswer(accept, rma_number.strip(), address, reason.strip())
        case = service.use_supplier_link(link, answer, container.uow())
    except InvalidInput as error:
        return _page("actions/refused.html", 422, error=error)
    except RmaError as error:
        return _page("actions/refused.html", status_of(error), error=error)
    return _page("partner/supplier_done.html", case=case, accepted=accept)


def _errors(accept: bool, values: dict[str, str]) -> dict[str, str]:
    if not accept:
        return {} if values["reason"].strip() else {"reason": "Say why you refuse it."}
    errors = {}
    if not values["rma_number"].strip():
        errors["rma_number"] = "Give your RMA number."
    for field in ("name", "line1", "city", "postal_code"):
        if not values[field].strip():
            errors[field] = "Fill this in."
    country = values["country"].strip().upper()
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        errors["country"] = "Two letters, like US or DE."
    return errors
