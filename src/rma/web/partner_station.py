"""The partner station: a 3PL or supplier works the returns routed to it, and no others.

A 3PL receives and inspects exactly as the warehouse station does (the same page and use
cases, in the partner's scope); a supplier also answers the request and records what it
did. A return routed elsewhere is not found here.
"""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.bootstrap import Container
from rma.domain.access import Principal, Role
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.returns import Condition, Disposition, Inspection
from rma.domain.supplier_rmas import SupplierOutcome
from rma.services import inspection, partner_work, station, supplier_rmas
from rma.services.partners import partner_of
from rma.services.returns import Scope
from rma.services.unit_of_work import UnitOfWork
from rma.web.auth import staff
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, PostedForm, check_csrf, redirect, render
from rma.web.warehouse import PLAIN_WORDS, _counted, _judgement_errors, _units

router = APIRouter(prefix="/partner", route_class=PageRoute, include_in_schema=False)

LOGIN = "/partner/login"
CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=2000)]


def _signed_in(request: Request) -> tuple[Principal, Scope]:
    principal = staff(request, (Role.PARTNER,), LOGIN)
    seller_id = principal.require(Role.PARTNER)
    if principal.partner_id is None:
        raise NotFound("this key names no partner", code="partner_not_found")
    return principal, Scope(seller_id, partner_id=principal.partner_id)


@router.get("")
def returns_page(request: Request) -> Response:
    principal, scope = _signed_in(request)
    return _list_page(request, principal, scope)


@router.post("")
def find(
    request: Request, csrf: CsrfField, code: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    code = code.strip()
    if not code:
        return _list_page(request, principal, scope, code, "Scan or type an RMA number.", 422)
    try:
        case = partner_work.partner_case(scope, code, container.reader())
    except NotFound:
        said = f"None of your returns has the RMA number {code}."
        return _list_page(request, principal, scope, code, said, 404)
    return redirect(f"/partner/returns/{case.ret.id}")


@router.get("/returns/{return_id}")
def return_page(request: Request, return_id: str) -> Response:
    principal, scope = _signed_in(request)
    return _return_page(request, principal, scope, return_id[:64])


@router.post("/returns/{return_id}/receive")
def receive(request: Request, return_id: str, form: PostedForm) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    ref = return_id[:64]
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    counted, errors = _counted(values)
    if not errors and not any(r.quantity for r in counted):
        errors["receive"] = "Count at least one unit."
    if errors:
        return _return_page(request, principal, scope, ref, values, errors, 422)
    case = partner_work.partner_case(scope, ref, container.reader())  # only its own returns
    cmd = station.ReceiveCount(scope.seller_id, case.ret.id, principal.actor, counted)

    def count(uow: UnitOfWork) -> str:
        station.receive_count(cmd, uow)
        return f"/partner/returns/{case.ret.id}#receive"

    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(cmd), count)
    except InvalidInput as error:
        return _return_page(request, principal, scope, ref, values, {"receive": error.message}, 422)
    return redirect(url)


@router.post("/returns/{return_id}/items/{item_id}/inspect")
def inspect(
    request: Request,
    return_id: str,
    item_id: str,
    csrf: CsrfField,
    accepted: Annotated[str, Form(max_length=6)] = "",
    rejected: Annotated[str, Form(max_length=6)] = "",
    condition: Annotated[str, Form(max_length=40)] = "",
    disposition: Annotated[str, Form(max_length=40)] = "",
    note: Note = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    ref, item_id = return_id[:64], item_id[:40]
    values = {
        f"{name}_{item_id}": value
        for name, value in (
            ("accepted", accepted),
            ("rejected", rejected),
            ("condition", condition),
            ("disposition", disposition),
            ("note", note),
        )
    }
    errors = _judgement_errors(item_id, accepted, rejected, condition, disposition)
    if errors:
        return _return_page(request, principal, scope, ref, values, errors, 422)
    judged = Inspection(
        item_id,
        _units(accepted) or 0,
        _units(rejected) or 0,
        Condition(condition),
        Disposition(disposition),
        note.strip(),
    )
    cmd = inspection.InspectItems(scope, ref, principal.actor, [judged])

    def judge(uow: UnitOfWork) -> str:
        outcome = inspection.inspect_items(cmd, uow)
        return f"/partner/returns/{outcome.ret.id}#item-{item_id}"

    try:
        return redirect(submit_once(container, principal, form_key, repr(cmd), judge))
    except InvalidInput as error:
        said = PLAIN_WORDS.get(error.code, error.message)
        return _return_page(
            request, principal, scope, ref, values, {f"accepted_{item_id}": said}, 422
        )


@router.post("/returns/{return_id}/answer")
def answer(
    request: Request,
    return_id: str,
    csrf: CsrfField,
    decision: Annotated[str, Form(max_length=10)] = "",
    rma_number: Annotated[str, Form(max_length=64)] = "",
    reason: Note = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    ref = return_id[:64]
    values = {"rma_number": rma_number, "reason": reason}
    accept = decision == "accept"
    if accept and not rma_number.strip():
        errors = {"rma_number": "Give your RMA number: it goes on the customer's label."}
        return _return_page(request, principal, scope, ref, values, errors, 422)
    if not accept and not reason.strip():
        return _return_page(request, principal, scope, ref, values, {"reason": "Say why."}, 422)
    chosen = supplier_rmas.SupplierAnswer(accept, rma_number.strip(), None, reason.strip())

    def run(uow: UnitOfWork) -> str:
        case = partner_work.answer_as_partner(scope, ref, chosen, principal.actor, uow)
        return f"/partner/returns/{case.ret.id}"

    try:
        return redirect(submit_once(container, principal, form_key, f"answer {ref}", run))
    except (InvalidInput, Conflict) as error:
        field = "rma_number" if accept else "reason"
        return _return_page(request, principal, scope, ref, values, {field: error.message}, 422)


@router.post("/returns/{return_id}/resolve")
def resolve(
    request: Request,
    return_id: str,
    csrf: CsrfField,
    outcome: Annotated[str, Form(max_length=20)] = "",
    credit_memo: Annotated[str, Form(max_length=100)] = "",
    note: Note = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    ref = return_id[:64]
    if outcome not in {o.value for o in SupplierOutcome}:
        errors = {"outcome": "Choose what you did with it."}
        return _return_page(request, principal, scope, ref, {}, errors, 422)

    def run(uow: UnitOfWork) -> str:
        case = partner_work.resolve_as_partner(
            scope, ref, SupplierOutcome(outcome), principal.actor, uow, credit_memo, note
        )
        return f"/partner/returns/{case.ret.id}"

    try:
        return redirect(submit_once(container, principal, form_key, f"resolve {ref}", run))
    except Conflict as error:
        return _return_page(request, principal, scope, ref, {}, {"outcome": error.message}, 409)


def _list_page(
    request: Request,
    principal: Principal,
    scope: Scope,
    code: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    container: Container = request.app.state.container
    assert scope.partner_id is not None
    partner = partner_of(principal, container.reader())
    cases = partner_work.routed_to(scope.seller_id, scope.partner_id, container.reader())
    return render(
        request,
        "partner/returns.html",
        status_code=status,
        role=str(principal.role),
        partner=partner,
        cases=cases,
        code=code,
        errors={"code": error} if error else {},
    )


def _return_page(
    request: Request,
    principal: Principal,
    scope: Scope,
    ref: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    container: Container = request.app.state.container
    view = station.return_at_station(scope, ref, container.uow())
    case = partner_work.partner_case(scope, view.ret.id, container.reader())
    partner = partner_of(principal, container.reader())
    return render(
        request,
        "partner/return.html",
        status_code=status,
        role=str(principal.role),
        station_base="/partner",
        view=view,
        rma=case.rma,
        partner=partner,
        values=values or {},
        errors=errors or {},
        form_key=(values or {}).get("form_key") or new_form_key(),
        conditions=list(Condition),
        dispositions=list(Disposition),
        outcomes=list(SupplierOutcome),
    )


@router.post("/returns/{return_id}/items/{item_id}/photos")
def add_photo(request: Request, return_id: str, item_id: str, form: PostedForm) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    principal, scope = _signed_in(request)
    container: Container = request.app.state.container
    limit = container.settings.photo_max_bytes
    upload = form.get("photo")
    data = (
        upload.file.read(limit + 1) if upload is not None and not isinstance(upload, str) else b""
    )
    cmd = inspection.AddPhoto(scope, return_id[:64], item_id[:40], data, limit)
    what = f"photo {cmd.ref} {cmd.item_id} {hashlib.sha256(data).hexdigest()}"

    def keep(uow: UnitOfWork) -> str:
        added = inspection.add_photo(cmd, uow, container.files)
        return f"/partner/returns/{added.return_id}#item-{added.item_id}"

    try:
        return redirect(
            submit_once(container, principal, str(form.get("form_key", "")), what, keep)
        )
    except InvalidInput as error:
        errors = {f"photo_{cmd.item_id}": PLAIN_WORDS.get(error.code, error.message)}
        return _return_page(request, principal, scope, cmd.ref, {}, errors, 422)


@router.get("/returns/{return_id}/photos/{photo_id}")
def photo_file(request: Request, return_id: str, photo_id: str) -> Response:
    _, scope = _signed_in(request)
    container: Container = request.app.state.container
    photo, data = inspection.photo_file(
        scope, return_id[:64], photo_id[:40], container.uow(), container.files
    )
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=photo.content_type, headers=headers)
