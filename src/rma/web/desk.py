"""The seller desk: the dashboard, the Manage Returns queue, and deciding one return."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response

from rma.api.cursors import decode_cursor, encode_cursor
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.policy import ViolationCode
from rma.domain.returns import DenyReason, Return
from rma.domain.statuses import ReturnStatus
from rma.services import desk, review
from rma.services import returns as service
from rma.services.unit_of_work import ReturnFilter, ReturnSort, UnitOfWork
from rma.web import desk_intake, desk_keys, desk_settings, desk_webhooks
from rma.web.auth import DESK_ROLES, staff
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, check_csrf, field_errors, redirect, render

router = APIRouter(prefix="/desk", route_class=PageRoute, include_in_schema=False)
router.include_router(desk_settings.router)
router.include_router(desk_webhooks.router)
router.include_router(desk_keys.router)
router.include_router(desk_intake.router)

PAGE_SIZE = 25
CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=2000)]

# What the seller reads for each violation and each refusal of the bulk action.
PLAIN_WORDS = {
    "return_window_ended": "asked after the return window ended",
    "non_returnable": "the item cannot be returned",
    "not_shipped": "the item has not shipped yet",
    "quantity_exceeds_returnable": "more units than are left to return",
    "return_not_found": "no such return",
    "illegal_transition": "it is no longer waiting for a decision",
    "concurrent_update": "it changed meanwhile; try again",
}
SORTS = {
    ReturnSort.NEWEST: "Newest first",
    ReturnSort.OLDEST: "Oldest first",
    ReturnSort.RECENTLY_UPDATED: "Recently updated",
    ReturnSort.LEAST_RECENTLY_UPDATED: "Least recently updated",
}
DECIDABLE = {ReturnStatus.REQUESTED, ReturnStatus.PENDING_REVIEW}
Command = service.AuthorizeReturn | service.DenyReturn | service.FinishReturn
QUEUE_FIELDS = ("status", "policy", "violation", "reason", "sku", "email", "from", "to", "q")


def seller(request: Request) -> Principal:
    """The signed-in seller (or the seller's admin); others are sent to sign in, or refused."""
    return staff(request, DESK_ROLES, "/desk/login")


def seller_id(principal: Principal) -> str:
    assert principal.seller_id is not None  # staff sessions always belong to a seller
    return principal.seller_id


@router.get("")
def dashboard(request: Request) -> Response:
    principal = seller(request)
    container: Container = request.app.state.container
    overview = desk.desk_overview(seller_id(principal), container.uow())
    return render(
        request,
        "desk/dashboard.html",
        role=principal.role,
        overview=overview,
        statuses=list(ReturnStatus),
        total=sum(overview.by_status.values()),
        widest=max((r.count for r in overview.by_reason), default=1),
    )


@router.get("/returns")
def queue(request: Request) -> Response:
    principal = seller(request)
    container: Container = request.app.state.container
    values = {name: request.query_params.get(name, "")[:100] for name in QUEUE_FIELDS}
    values["sort"] = request.query_params.get("sort", ReturnSort.NEWEST.value)
    where, errors = _queue_filter(values)
    raw_cursor = request.query_params.get("cursor", "")[:200]
    try:
        after = decode_cursor(raw_cursor) if raw_cursor else None
    except InvalidInput:
        after, errors["form"] = None, "That page link is broken; here is the first page."
    page = desk.desk_queue(
        service.Scope(seller_id(principal)),
        where,
        container.uow(),
        after=after,
        limit=PAGE_SIZE + 1,
    )
    rows = page.returns[:PAGE_SIZE]
    kept = {k: v for k, v in values.items() if v}
    more = len(page.returns) > PAGE_SIZE
    next_link = (
        "/desk/returns?" + urlencode({**kept, "cursor": encode_cursor(rows[-1], where.sort)})
        if more
        else None
    )
    return render(
        request,
        "desk/queue.html",
        status_code=422 if errors else 200,
        role=principal.role,
        rows=rows,
        counts=page.counts,
        values=values,
        errors=errors,
        statuses=list(ReturnStatus),
        violations=list(ViolationCode),
        sorts=SORTS,
        next_link=next_link,
        first_link=("/desk/returns?" + urlencode(kept)) if raw_cursor else None,
        filters=urlencode(kept),
        done=_done(request),
        plain=PLAIN_WORDS,
        form_key=new_form_key(),
        decidable={s.value for s in DECIDABLE},
    )


@router.post("/returns/authorize")
async def authorize_selected(request: Request) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    principal = seller(request)
    container: Container = request.app.state.container
    ids = [str(i)[:64] for i in form.getlist("ids")][:200]
    back = str(form.get("filters", ""))[:1000]
    if not ids:
        return redirect(f"/desk/returns?{back}&none=1")
    scope = service.Scope(seller_id(principal))
    cmd = review.AuthorizeReturns(scope, ids, principal.actor)

    def authorize(uow: UnitOfWork) -> str:
        outcomes = review.authorize_returns(cmd, uow)
        done = [o.rma_number for o in outcomes if o.rma_number]
        refused = [f"{o.id}:{o.error.code}" for o in outcomes if o.error is not None]
        query = urlencode({"ok": ",".join(done), "refused": ",".join(refused)})
        return f"/desk/returns?{back}&{query}"

    form_key = str(form.get("form_key", ""))[:100]
    return redirect(submit_once(container, principal, form_key, repr(cmd), authorize))


@router.get("/returns/{return_id}")
def return_page(request: Request, return_id: str) -> Response:
    return _return_page(request, return_id[:64], errors={}, values={})


@router.post("/returns/{return_id}/authorize")
async def authorize(request: Request, return_id: str) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    principal = seller(request)
    values = {k: str(v)[:200] for k, v in form.items() if isinstance(v, str)}
    errors: dict[str, str] = {}
    number = values.get("rma_number", "").strip() if values.get("numbering") == "custom" else ""
    if values.get("numbering") == "custom" and not number:
        errors["rma_number"] = "type the RMA number to use, or choose a generated one"
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
    principal = seller(request)
    container: Container = request.app.state.container
    view = desk.return_for_desk(service.Scope(seller_id(principal)), return_id, container.uow())
    ret = view.ret
    return render(
        request,
        "desk/return.html",
        status_code=status_code,
        role=principal.role,
        view=view,
        ret=ret,
        errors=errors,
        values=values,
        plain=PLAIN_WORDS,
        deny_reasons=list(DenyReason),
        decidable=ret.status in DECIDABLE,
        closable=ret.status.is_open,
        page_link=container.page_links.path(ret) if ret.rma_number else None,
        label_link=container.page_links.path(ret, "/label.pdf") if ret.rma_number else None,
        form_key=values.get("form_key") or new_form_key(),
    )


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


def _queue_filter(values: dict[str, str]) -> tuple[ReturnFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    status = values["status"]
    if status and status not in {s.value for s in ReturnStatus}:
        errors["status"] = "choose a status from the list"
    sort = values["sort"] if values["sort"] in {s.value for s in ReturnSort} else "-created_at"
    created_from, created_to = _day(values, "from", errors), _day(values, "to", errors)
    where = ReturnFilter(
        status=(ReturnStatus(status),) if status and not errors.get("status") else (),
        in_policy={"in": True, "out": False}.get(values["policy"]),
        violation=values["violation"] or None,
        reason_code=values["reason"].strip() or None,
        sku=values["sku"].strip() or None,
        customer_email=values["email"].strip() or None,
        created_from=created_from,
        created_to=created_to + timedelta(days=1) if created_to else None,
        search=values["q"].strip() or None,
        sort=ReturnSort(sort),
    )
    return where, errors


def _day(values: dict[str, str], name: str, errors: dict[str, str]) -> datetime | None:
    if not values[name]:
        return None
    try:
        return datetime.combine(date.fromisoformat(values[name]), time(0), tzinfo=UTC)
    except ValueError:
        errors[name] = "a date as YYYY-MM-DD"
        return None


def _done(request: Request) -> dict[str, list[str]]:
    """What the last bulk authorization did, as its redirect said."""
    ok = [n for n in request.query_params.get("ok", "")[:4000].split(",") if n]
    refused = [r for r in request.query_params.get("refused", "")[:4000].split(",") if r]
    none = ["1"] if request.query_params.get("none") else []
    return {"ok": ok, "refused": refused, "none": none}
