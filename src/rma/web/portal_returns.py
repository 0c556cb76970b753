"""One return in the customer portal: the decision, how to send it, where it is, what is next.

The customer may add photos, say how the box travels (carrier and tracking number), correct
the address it leaves from, and cancel (after confirming) until it is on its way.
"""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile

from rma.adapters.i18n import N_
from rma.bootstrap import Container
from rma.domain.addresses import Address
from rma.domain.errors import Conflict, InvalidInput
from rma.domain.returns import SENDER_EDITABLE
from rma.domain.statuses import ReturnStatus
from rma.services import inspection, portal, routing, tracker, tracking
from rma.services import returns as service
from rma.services.unit_of_work import UnitOfWork
from rma.web import words
from rma.web.auth import customer
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, PostedForm, check_csrf, page_language, redirect, render

router = APIRouter(prefix="/returns/r", route_class=PageRoute, include_in_schema=False)

Field = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]
CANCELLABLE = {ReturnStatus.PENDING_REVIEW, ReturnStatus.AUTHORIZED}
# Photos may be added until the package has been inspected.
PHOTOS_OPEN = {
    ReturnStatus.PENDING_REVIEW,
    ReturnStatus.AUTHORIZED,
    ReturnStatus.IN_TRANSIT,
    ReturnStatus.PARTIALLY_RECEIVED,
    ReturnStatus.RECEIVED,
}
NOTES = {
    "photo": N_("Photo added. Thank you."),
    "tracking": N_("Thank you: we will follow your parcel."),
    "address": N_("The address is updated; the label now shows it."),
}


@router.get("/{return_id}")
def return_page(
    request: Request,
    return_id: str,
    done: str = "",
    photo_error: str = "",
    errors: str = "",
) -> Response:
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None  # a customer session names its seller
    scope = service.Scope(principal.seller_id, principal.order_id)
    story = tracker.customer_story(scope, return_id[:64], container.uow())
    ret = story.ret
    field_errors = dict(part.split(":", 1) for part in errors[:500].split(";") if ":" in part)
    # A request split per destination (suppliers, 3PLs): one box each, with its own label.
    boxes = routing.boxes_of(scope, ret, container.reader())
    names = {
        line.line_id: line.name for line in portal.order_for_return(scope, container.uow()).lines
    }
    return render(
        request,
        "portal/return.html",
        language=page_language(request, story.language),
        story=story,
        ret=ret,
        boxes=[(box, container.page_links.path(box) if box.rma_number else None) for box in boxes],
        waiting_on_supplier=routing.waiting_on_supplier(ret),
        names=names,
        page_link=container.page_links.path(ret) if ret.rma_number else None,
        label_link=(container.page_links.path(ret, "/label.pdf") if ret.rma_number else None),
        words=words,
        cancellable=ret.status in CANCELLABLE,
        photos_open=ret.status in PHOTOS_OPEN,
        sender_editable=ret.status in SENDER_EDITABLE,
        notice=NOTES.get(done, ""),
        photo_error=words.PHOTO.get(photo_error, ""),
        errors={k: ERRORS.get(v, "") for k, v in field_errors.items() if v in ERRORS},
        form_key=new_form_key(),
    )


# Errors the return page shows next to a field, by short code (carried in the redirect).
ERRORS = {
    "carrier": N_("Enter the carrier, such as UPS or DHL."),
    "tracking": N_("Enter the tracking number from your receipt."),
    "shipped": N_("This return takes no tracking number now."),
    "address": N_("Fill in the name, street, city, postal code and a two-letter country code."),
}


@router.post("/{return_id}/items/{item_id}/photos")
def add_photo(
    request: Request,
    return_id: str,
    item_id: str,
    csrf: Field = "",
    photo: Annotated[UploadFile | None, File()] = None,
    form_key: FormKey = "",
) -> Response:
    """The customer shows the item (a defect, damage): kept with the item for inspection."""
    check_csrf(request, csrf)
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    limit = container.settings.photo_max_bytes
    data = photo.file.read(limit + 1) if photo is not None else b""
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = inspection.AddPhoto(scope, return_id[:64], item_id[:40], data, limit)
    what = f"photo {cmd.ref} {cmd.item_id} {hashlib.sha256(data).hexdigest()}"

    def keep(uow: UnitOfWork) -> str:
        added = inspection.add_photo(cmd, uow, container.files)
        return f"/returns/r/{added.return_id}?done=photo"

    try:
        return redirect(submit_once(container, principal, form_key, what, keep))
    except InvalidInput as error:
        code = error.code if error.code in words.PHOTO else "not_an_image"
        return redirect(f"/returns/r/{quote(cmd.ref)}?photo_error={code}#photos-h")


@router.post("/{return_id}/tracking")
def enter_tracking(
    request: Request,
    return_id: str,
    csrf: Field = "",
    carrier: Field = "",
    tracking_number: Field = "",
    form_key: FormKey = "",
) -> Response:
    """The customer says which carrier has the box, under which number."""
    check_csrf(request, csrf)
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    ref = quote(return_id[:64])
    number = tracker.normalize_tracking_number(tracking_number)
    bad = ";".join(
        f"{field}:{field}"
        for field, value in (("carrier", carrier.strip()), ("tracking", number))
        if len(value) < (1 if field == "carrier" else 3)
    )
    if bad:
        return redirect(f"/returns/r/{ref}?errors={bad}#tracking-h")
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = tracking.SetTracking(scope, return_id[:64], carrier.strip()[:64], number[:100])

    def record(uow: UnitOfWork) -> str:
        return f"/returns/r/{tracking.set_tracking(cmd, uow).id}?done=tracking"

    try:
        return redirect(submit_once(container, principal, form_key, repr(cmd), record))
    except Conflict:
        return redirect(f"/returns/r/{ref}?errors=tracking:shipped#tracking-h")


@router.post("/{return_id}/address")
def correct_address(request: Request, return_id: str, form: PostedForm) -> Response:
    """The customer corrects where the box leaves from, for this return."""
    check_csrf(request, str(form.get("csrf", "")))
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    ref = quote(return_id[:64])
    given = {
        name: str(form.get(f"from_{name}", "")).strip()[:200]
        for name in ("name", "line1", "line2", "city", "region", "postal_code", "country")
    }
    given["country"] = given["country"].upper()
    required = ("name", "line1", "city", "postal_code")
    if any(not given[n] for n in required) or not (
        len(given["country"]) == 2 and given["country"].isalpha()
    ):
        return redirect(f"/returns/r/{ref}?errors=address:address#sender-h")
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = tracker.CorrectSender(scope, return_id[:64], Address(**given))
    key = str(form.get("form_key", ""))

    def correct(uow: UnitOfWork) -> str:
        return f"/returns/r/{tracker.correct_sender(cmd, uow).id}?done=address"

    try:
        return redirect(submit_once(container, principal, key, repr(cmd), correct))
    except Conflict:
        return redirect(f"/returns/r/{ref}?errors=address:shipped#sender-h")


@router.get("/{return_id}/cancel")
def confirm_cancel(request: Request, return_id: str) -> Response:
    """Ask before cancelling: a cancelled return cannot be undone."""
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    scope = service.Scope(principal.seller_id, principal.order_id)
    story = tracker.customer_story(scope, return_id[:64], container.uow())
    if story.ret.status not in CANCELLABLE:
        return redirect(f"/returns/r/{quote(story.ret.id)}")
    return render(
        request,
        "portal/cancel.html",
        language=page_language(request, story.language),
        story=story,
        ret=story.ret,
        form_key=new_form_key(),
    )


@router.post("/{return_id}/cancel")
def cancel_return(
    request: Request,
    return_id: str,
    csrf: Field = "",
    form_key: FormKey = "",
    confirm: Field = "",
) -> Response:
    check_csrf(request, csrf)
    if confirm != "yes":  # only the confirmation page's button cancels
        return redirect(f"/returns/r/{quote(return_id[:64])}/cancel")
    principal = customer(request)
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    scope = service.Scope(principal.seller_id, principal.order_id)
    cmd = service.FinishReturn(scope, return_id[:64], principal.actor, "cancelled in the portal")

    def cancel(uow: UnitOfWork) -> str:
        return f"/returns/r/{service.cancel_return(cmd, uow).id}"

    return redirect(submit_once(container, principal, form_key, repr(cmd), cancel))
