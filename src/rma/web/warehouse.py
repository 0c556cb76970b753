"""The warehouse station: scan a box, receive and inspect its return, match unannounced boxes."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.receiving import ReceiptStatus
from rma.domain.returns import Condition, Disposition, Inspection, Receipt
from rma.services import inspection, receiving, station
from rma.services.returns import Scope
from rma.services.unit_of_work import UnitOfWork
from rma.web.auth import WAREHOUSE_ROLES, staff
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, PostedForm, check_csrf, redirect, render

router = APIRouter(prefix="/warehouse", route_class=PageRoute, include_in_schema=False)

LOGIN = "/warehouse/login"
PAGE_SIZE = 25
MAX_UNITS = 10_000
# What the person at the station reads for an input error: plain words, not ids.
PLAIN_WORDS = {
    "inspection_quantity_mismatch": "Accepted and rejected units must add up to those received.",
    "not_an_image": "That file is not a photo: choose a JPEG, PNG or WebP image.",
    "file_too_large": "That photo is too large: take it again at a lower resolution.",
}

CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
Note = Annotated[str, Form(max_length=2000)]
Id = Annotated[str, Form(max_length=64)]


def _signed_in(request: Request) -> tuple[Principal, str]:
    """The warehouse user and the seller whose boxes they handle."""
    principal = staff(request, WAREHOUSE_ROLES, LOGIN)
    return principal, principal.require(*WAREHOUSE_ROLES)


@router.get("")
def scan_page(request: Request, queued: str = "") -> Response:
    principal, _ = _signed_in(request)
    return _scan_page(request, principal, queued=bool(queued))


@router.post("")
def scan(
    request: Request, csrf: CsrfField, code: Annotated[str, Form(max_length=200)] = ""
) -> Response:
    check_csrf(request, csrf)
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    code = code.strip()
    if not code:
        return _scan_page(request, principal, errors={"code": "Scan or type a code."}, status=422)
    try:
        match = receiving.match_scan(seller_id, code, container.reader())
    except InvalidInput as error:
        errors = {"code": error.message}
        return _scan_page(request, principal, code=code, errors=errors, status=422)
    except Conflict as error:
        if error.code != "ambiguous_scan":
            raise
        return _scan_page(request, principal, code=code, errors={"code": error.message}, status=409)
    if match is None:
        return _scan_page(request, principal, code=code, unmatched=True)
    return redirect(f"/warehouse/returns/{match.id}")


@router.post("/unannounced")
def record_unannounced(
    request: Request,
    csrf: CsrfField,
    code: Annotated[str, Form(max_length=200)] = "",
    notes: Note = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    if not code.strip():
        return _scan_page(request, principal, errors={"code": "Scan or type a code."}, status=422)
    cmd = receiving.ReceivePackage(seller_id, code.strip(), principal.actor, notes=notes.strip())

    def record(uow: UnitOfWork) -> str:
        outcome = receiving.receive_package(cmd, uow)
        if outcome.ret is not None:  # it matched after all (announced meanwhile)
            return f"/warehouse/returns/{outcome.ret.id}"
        return f"/warehouse?queued={outcome.receipt.id}"

    try:
        return redirect(submit_once(container, principal, form_key, repr(cmd), record))
    except InvalidInput as error:
        errors = {"code": error.message}
        return _scan_page(request, principal, code=code, errors=errors, status=422)


@router.get("/unannounced")
def unannounced_page(request: Request, after: str = "") -> Response:
    principal, _ = _signed_in(request)
    return _queue_page(request, principal, after[:64])


@router.post("/unannounced/{receipt_id}/match")
def match_unannounced(
    request: Request,
    receipt_id: str,
    csrf: CsrfField,
    rma_number: Annotated[str, Form(max_length=64)] = "",
    form_key: FormKey = "",
    after: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    check_csrf(request, csrf)
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    field = f"rma_{receipt_id[:40]}"
    if not rma_number.strip():
        errors = {field: "Type the RMA number of the return this box belongs to."}
        return _queue_page(request, principal, after, errors, status=422)
    cmd = receiving.MatchReceipt(seller_id, receipt_id[:40], rma_number.strip(), principal.actor)

    def match(uow: UnitOfWork) -> str:
        outcome = receiving.match_receipt(cmd, uow)
        assert outcome.ret is not None  # matching by hand always names a return
        return f"/warehouse/returns/{outcome.ret.id}"

    try:
        return redirect(submit_once(container, principal, form_key, repr(cmd), match))
    except NotFound as error:
        if error.code != "return_not_found":
            raise
        errors = {field: f"No return of yours has the RMA number {rma_number.strip()}."}
        return _queue_page(request, principal, after, errors, status=404)


@router.get("/returns/{return_id}")
def return_page(request: Request, return_id: str) -> Response:
    principal, _ = _signed_in(request)
    return _return_page(request, principal, return_id[:64])


@router.post("/returns/{return_id}/receive")
def receive(request: Request, return_id: str, form: PostedForm) -> Response:
    check_csrf(request, str(form.get("csrf", "")))
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    counted, errors = _counted(values)
    if not errors and not any(r.quantity for r in counted):
        errors["receive"] = "Count at least one unit, or scan the next box."
    if errors:
        return _return_page(request, principal, return_id[:64], values, errors, 422)
    cmd = station.ReceiveCount(seller_id, return_id[:64], principal.actor, counted)

    def count(uow: UnitOfWork) -> str:
        outcome = station.receive_count(cmd, uow)
        assert outcome.ret is not None  # the return was found in the seller's scope
        return f"/warehouse/returns/{outcome.ret.id}#receive"

    try:
        url = submit_once(container, principal, values.get("form_key", ""), repr(cmd), count)
    except InvalidInput as error:
        errors = {"receive": error.message}
        return _return_page(request, principal, return_id[:64], values, errors, 422)
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
    seen_sku: Annotated[str, Form(max_length=100)] = "",
    location: Annotated[str, Form(max_length=40)] = "",
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    item_id = item_id[:40]
    values = {
        f"{name}_{item_id}": value
        for name, value in (
            ("accepted", accepted),
            ("rejected", rejected),
            ("condition", condition),
            ("disposition", disposition),
            ("note", note),
            ("seen_sku", seen_sku),
            ("location", location),
        )
    }
    errors = _judgement_errors(item_id, accepted, rejected, condition, disposition)
    if errors:
        return _return_page(request, principal, return_id[:64], values, errors, 422)
    judged = Inspection(
        item_id,
        int(accepted.strip()),
        int(rejected.strip()),
        Condition(condition),
        Disposition(disposition),
        note.strip(),
    )
    cmd = inspection.InspectItems(
        Scope(seller_id),
        return_id[:64],
        principal.actor,
        [judged],
        {item_id: seen_sku.strip()} if seen_sku.strip() else {},
        location.strip() or None,
    )

    def judge(uow: UnitOfWork) -> str:
        outcome = inspection.inspect_items(cmd, uow)
        return f"/warehouse/returns/{outcome.ret.id}#item-{item_id}"

    try:
        url = submit_once(container, principal, form_key, repr(cmd), judge)
    except InvalidInput as error:
        said = PLAIN_WORDS.get(error.code, error.message)
        return _return_page(
            request, principal, return_id[:64], values, {f"accepted_{item_id}": said}, 422
        )
    return redirect(url)


@router.post("/returns/{return_id}/items/{item_id}/photos")
def add_photo(
    request: Request,
    return_id: str,
    item_id: str,
    csrf: CsrfField,
    photo: Annotated[UploadFile | None, File()] = None,
    form_key: FormKey = "",
) -> Response:
    check_csrf(request, csrf)
    principal, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    limit = container.settings.photo_max_bytes
    data = photo.file.read(limit + 1) if photo is not None else b""
    cmd = inspection.AddPhoto(Scope(seller_id), return_id[:64], item_id[:40], data, limit)
    what = f"photo {cmd.ref} {cmd.item_id} {hashlib.sha256(data).hexdigest()}"

    def keep(uow: UnitOfWork) -> str:
        added = inspection.add_photo(cmd, uow, container.files)
        return f"/warehouse/returns/{added.return_id}#item-{added.item_id}"

    try:
        return redirect(submit_once(container, principal, form_key, what, keep))
    except InvalidInput as error:
        errors = {f"photo_{cmd.item_id}": PLAIN_WORDS.get(error.code, error.message)}
        return _return_page(request, principal, cmd.ref, {}, errors, 422)


@router.get("/returns/{return_id}/photos/{photo_id}")
def photo_file(request: Request, return_id: str, photo_id: str) -> Response:
    _, seller_id = _signed_in(request)
    container: Container = request.app.state.container
    photo, data = inspection.photo_file(
        Scope(seller_id), return_id[:64], photo_id[:40], container.uow(), container.files
    )
    headers = {"Cache-Control": "private, max-age=3600", "X-Content-Type-Options": "nosniff"}
    return Response(data, media_type=photo.content_type, headers=headers)


def _scan_page(
    request: Request,
    principal: Principal,
    *,
    code: str = "",
    errors: dict[str, str] | None = None,
    unmatched: bool = False,
    queued: bool = False,
    status: int = 200,
) -> Response:
    return render(
        request,
        "warehouse/scan.html",
        status_code=status,
        role=str(principal.role),
        code=code,
        errors=errors or {},
        unmatched=unmatched,
        queued=queued,
        form_key=new_form_key(),
    )


def _queue_page(
    request: Request,
    principal: Principal,
    after: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    container: Container = request.app.state.container
    seller_id = principal.require(*WAREHOUSE_ROLES)
    page = receiving.list_receipts(
        seller_id,
        ReceiptStatus.UNANNOUNCED,
        container.uow(),
        after=after or None,
        limit=PAGE_SIZE + 1,
    )
    more = len(page) > PAGE_SIZE
    page = page[:PAGE_SIZE]
    return render(
        request,
        "warehouse/unannounced.html",
        status_code=status,
        role=str(principal.role),
        receipts=page,
        after=after,
        older=page[-1].id if more else None,
        errors=errors or {},
        form_key=new_form_key(),
    )


def _return_page(
    request: Request,
    principal: Principal,
    ref: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    container: Container = request.app.state.container
    scope = Scope(principal.require(*WAREHOUSE_ROLES))
    view = station.return_at_station(scope, ref, container.uow())
    return render(
        request,
        "warehouse/return.html",
        status_code=status,
        role=str(principal.role),
        view=view,
        values=values or {},
        errors=errors or {},
        form_key=(values or {}).get("form_key") or new_form_key(),
        conditions=list(Condition),
        dispositions=list(Disposition),
    )


def _counted(values: dict[str, str]) -> tuple[list[Receipt], dict[str, str]]:
    """Units counted per item, from the receive form's ``qty_<item id>`` fields."""
    counted, errors = [], {}
    for name, raw in values.items():
        if not name.startswith("qty_"):
            continue
        units = _units(raw or "0")
        if units is None:
            errors[name] = "Give a whole number of units."
            continue
        counted.append(Receipt(name.removeprefix("qty_")[:40], units))
    return counted, errors


def _judgement_errors(
    item_id: str, accepted: str, rejected: str, condition: str, disposition: str
) -> dict[str, str]:
    errors = {}
    for name, raw in (("accepted", accepted), ("rejected", rejected)):
        if _units(raw) is None:
            errors[f"{name}_{item_id}"] = "Give a whole number of units."
    if condition not in {c.value for c in Condition}:
        errors[f"condition_{item_id}"] = "Choose the condition it arrived in."
    if disposition not in {d.value for d in Disposition}:
        errors[f"disposition_{item_id}"] = "Choose where it goes."
    return errors


def _units(raw: str) -> int | None:
    """A count typed in a form: ASCII digits only (``int`` would take other scripts' digits)."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_UNITS:
        return None
    return int(raw)
