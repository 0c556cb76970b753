"""The desk's money: resolving a return from its page, top-ups, and the refunds page.

Every form here carries a one-time key (``submit_once``): a double click or a reload goes
where the first submission went and never resolves or refunds twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response

from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.money import format_amount, minor_digits, parse_amount
from rma.domain.refunds import RefundStatus
from rma.services import desk, refunds, settlement
from rma.services import returns as service
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_return import resolve_command, return_page, seller, seller_id
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, PostedForm, check_csrf, field_errors, redirect, render

router = APIRouter(route_class=PageRoute)

PAGE_SIZE = 50
CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
Back = Annotated[str, Form(max_length=300)]


@router.post("/returns/{return_id}/resolve")
def resolve(request: Request, return_id: str, form: PostedForm) -> Response:
    """Preview the amounts for the chosen resolutions, or resolve with them (one click)."""
    check_csrf(request, str(form.get("csrf", "")))
    principal = seller(request)
    container: Container = request.app.state.container
    values = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}
    ret = service.get_return(service.Scope(seller_id(principal)), return_id[:64], container.uow())
    errors: dict[str, str] = {}
    cmd = resolve_command(principal, ret, values, errors)
    if errors or values.get("step") != "confirm":
        code = 422 if errors else 200
        return return_page(request, ret.id, errors=errors, values=values, status_code=code)

    def act(uow: UnitOfWork) -> str:
        resolved = service.resolve_return(cmd, uow)
        return f"/desk/returns/{resolved.id}?done=resolved"

    return _once(request, principal, ret.id, values, repr(cmd), act)


@router.post("/returns/{return_id}/top-up")
def top_up(
    request: Request,
    return_id: str,
    csrf: CsrfField,
    amount: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    form_key: FormKey = "",
) -> Response:
    """Refund more of a resolved return, as its own refund."""
    check_csrf(request, csrf)
    principal = seller(request)
    container: Container = request.app.state.container
    values = {"top_up_amount": amount, "top_up_note": note, "form_key": form_key}
    ret = service.get_return(service.Scope(seller_id(principal)), return_id[:64], container.uow())
    try:
        minor = parse_amount(amount, ret.currency)
    except InvalidInput:
        example = format_amount(1250, ret.currency)
        errors = {"amount": f"an amount such as {example}, at most {minor_digits(ret.currency)}"}
        errors["amount"] += " decimals"
        return return_page(request, ret.id, errors=errors, values=values, status_code=422)
    cmd = settlement.TopUpRefund(
        service.Scope(seller_id(principal)), ret.id, principal.actor, minor, note.strip()
    )

    def act(uow: UnitOfWork) -> str:
        settlement.top_up_refund(cmd, uow)
        return f"/desk/returns/{ret.id}?done=top_up"

    return _once(request, principal, ret.id, values, repr(cmd), act)


@router.get("/refunds")
def refunds_page(request: Request) -> Response:
    principal = seller(request)
    return _refunds_page(request, principal, errors={})


@router.post("/refunds/{refund_id}/paid")
def mark_paid(
    request: Request,
    refund_id: str,
    csrf: CsrfField,
    reference: Annotated[str, Form(max_length=200)] = "",
    back: Back = "",
    form_key: FormKey = "",
) -> Response:
    """The seller paid a manual refund: record it with the payment's reference."""
    check_csrf(request, csrf)
    principal = seller(request)
    if not reference.strip():
        errors = {f"reference_{refund_id[:40]}": "type the payment's reference (e.g. bank-123)"}
        return _back_page(request, principal, back, errors, status_code=422)
    cmd = refunds.ConfirmRefund(
        seller_id(principal), refund_id[:40], succeeded=True, reference=reference.strip()
    )
    return _refund_step(request, principal, back, form_key, cmd, "paid")


@router.post("/refunds/{refund_id}/failed")
def mark_failed(
    request: Request,
    refund_id: str,
    csrf: CsrfField,
    reason: Annotated[str, Form(max_length=500)] = "",
    back: Back = "",
    form_key: FormKey = "",
) -> Response:
    """The refund did not go through: record why; it may be retried."""
    check_csrf(request, csrf)
    principal = seller(request)
    if not reason.strip():
        errors = {f"reason_{refund_id[:40]}": "say why the refund failed"}
        return _back_page(request, principal, back, errors, status_code=422)
    cmd = refunds.ConfirmRefund(
        seller_id(principal), refund_id[:40], succeeded=False, reason=reason.strip()
    )
    return _refund_step(request, principal, back, form_key, cmd, "failed")


@router.post("/refunds/{refund_id}/retry")
def retry(
    request: Request, refund_id: str, csrf: CsrfField, back: Back = "", form_key: FormKey = ""
) -> Response:
    """Try a failed refund again, as a new attempt."""
    check_csrf(request, csrf)
    principal = seller(request)
    return _refund_step(request, principal, back, form_key, refund_id[:40], "retried")


def _refund_step(
    request: Request,
    principal: Principal,
    back: str,
    form_key: str,
    cmd: refunds.ConfirmRefund | str,
    done: str,
) -> Response:
    container: Container = request.app.state.container
    owner = seller_id(principal)

    def act(uow: UnitOfWork) -> str:
        if isinstance(cmd, str):
            refund = refunds.retry_refund(owner, cmd, uow)
        else:
            refund = refunds.confirm_refund(cmd, uow)
        return _local(back, refund.return_id) + f"?done={done}"

    try:
        url = submit_once(container, principal, form_key, f"{done} {cmd!r}", act)
    except (InvalidInput, Conflict) as error:
        refund_id = cmd if isinstance(cmd, str) else cmd.refund_id
        errors = {f"refund_{refund_id}": error.message}
        return _back_page(request, principal, back, errors, status_code=409)
    return redirect(url)


def _once(
    request: Request,
    principal: Principal,
    return_id: str,
    values: dict[str, str],
    what: str,
    act: Callable[[UnitOfWork], str],
) -> Response:
    """Run ``act`` once per form key; an error shows the return's page with what was typed."""
    container: Container = request.app.state.container
    try:
        url = submit_once(container, principal, values.get("form_key", ""), what, act)
    except InvalidInput as error:
        errors = {_field(k): v for k, v in field_errors(error).items()}
        return return_page(request, return_id, errors=errors, values=values, status_code=422)
    except Conflict as error:
        errors = {"form": error.message}
        return return_page(request, return_id, errors=errors, values=values, status_code=409)
    return redirect(url)


def _field(name: str) -> str:
    # The top-up's amount and the resolve form's partial amount are separate fields.
    return {"items": "form"}.get(name, name)


def _local(back: str, return_id: str) -> str:
    """Where to go after a refund action: the refunds page, or the return's page."""
    if back.startswith("/desk/refunds") and "//" not in back:
        return back.split("?")[0]
    return f"/desk/returns/{return_id}"


def _back_page(
    request: Request,
    principal: Principal,
    back: str,
    errors: dict[str, str],
    *,
    status_code: int,
) -> Response:
    if back.startswith("/desk/returns/"):
        return_id = back.removeprefix("/desk/returns/").split("?")[0][:64]
        return return_page(request, return_id, errors=errors, values={}, status_code=status_code)
    return _refunds_page(request, principal, errors=errors, status_code=status_code)


def _refunds_page(
    request: Request, principal: Principal, *, errors: dict[str, str], status_code: int = 200
) -> Response:
    container: Container = request.app.state.container
    raw = request.query_params.get("status", "")[:20]
    status = RefundStatus(raw) if raw in {s.value for s in RefundStatus} else None
    after = request.query_params.get("after", "")[:40] or None
    rows = desk.refunds_for_desk(
        seller_id(principal), status, container.replica(), after=after, limit=PAGE_SIZE + 1
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    next_link = (
        "/desk/refunds?" + urlencode({"status": raw, "after": rows[-1].refund.id}) if more else None
    )
    return render(
        request,
        "desk/refunds.html",
        status_code=status_code,
        role=principal.role,
        rows=rows,
        status=raw if status else "",
        statuses=list(RefundStatus),
        errors=errors,
        next_link=next_link,
        notice=request.query_params.get("done", "")[:20],
        form_key=new_form_key(),
    )
