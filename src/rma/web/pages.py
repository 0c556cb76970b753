"""Server-rendered pages: the RMA page a customer opens from a link, a token or the desk.

The RMA page is the return's tracker: its steps, the carrier's scans, the money once
resolved; the label, the address and "ship by" while the box is still to be sent; and a
form for the carrier and tracking number. A forged, altered or foreign link shows a styled
"not found" page and nothing of the return.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rma.adapters.signing import BadSignature
from rma.api.deps import ANYONE, ContainerDep, scope_of
from rma.api.routes.labels import pdf_response
from rma.bootstrap import Container
from rma.domain.errors import Conflict, NotFound
from rma.services import labels as service
from rma.services import tracker
from rma.services.access import authenticate
from rma.web import words
from rma.web.rendering import PageRoute, check_csrf, page_language, redirect, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_bearer = HTTPBearer(auto_error=False)

Token = Annotated[str | None, Query(max_length=500, description="The signed page link token")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
Field = Annotated[str, Form(max_length=200)]
PAGE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}


def _linked_return(container: Container, t: str) -> str:
    """The return id a signed page link names; forged is not found, expired is a page."""
    try:
        return container.page_links.return_id(t)
    except BadSignature as error:
        raise NotFound("no such RMA page", code="return_not_found") from error


def _documents(
    container: Container, rma_number: str, t: str | None, credentials: Credentials
) -> service.ReturnDocuments:
    """The return the signed link or the caller's credential opens; else not found."""
    uow, files = container.uow(), container.files
    if t is not None:
        return service.page_documents(_linked_return(container, t), rma_number, uow, files)
    if credentials is None:
        raise NotFound("no such RMA page", code="return_not_found")
    principal = authenticate(
        credentials.credentials, container.uow(), admin_key=container.settings.admin_key
    )
    return service.return_documents(scope_of(principal, *ANYONE), rma_number, uow, files)


def _story(
    container: Container, rma_number: str, t: str | None, credentials: Credentials
) -> tracker.Story:
    if t is not None:
        return tracker.story_by_link(_linked_return(container, t), rma_number, container.uow())
    if credentials is None:
        raise NotFound("no such RMA page", code="return_not_found")
    principal = authenticate(
        credentials.credentials, container.uow(), admin_key=container.settings.admin_key
    )
    return tracker.customer_story(scope_of(principal, *ANYONE), rma_number, container.uow())


@router.get("/rma/{rma_number}")
def rma_page(
    rma_number: str,
    request: Request,
    container: ContainerDep,
    credentials: Credentials,
    t: Token = None,
    done: str = "",
    error: str = "",
) -> Response:
    story = _story(container, rma_number[:64], t, credentials)
    if story.ret.rma_number is None:
        raise NotFound("no such RMA page", code="return_not_found")
    suffix = f"?t={quote(t)}" if t else ""
    response = render(
        request,
        "rma_page.html",
        language=page_language(request, story.language),
        story=story,
        ret=story.ret,
        label_url=f"/rma/{story.ret.rma_number}/label.pdf{suffix}",
        tracking_url=f"/rma/{story.ret.rma_number}/tracking{suffix}" if t else None,
        words=words,
        notice=done == "tracking",
        tracking_error={"missing": 1, "shipped": 2}.get(error, 0),
    )
    response.headers.update(PAGE_HEADERS)
    return response


@router.post("/rma/{rma_number}/tracking")
def rma_tracking(
    rma_number: str,
    request: Request,
    container: ContainerDep,
    t: Token = None,
    csrf: Field = "",
    carrier: Field = "",
    tracking_number: Field = "",
) -> Response:
    """The customer, holding the page's link, says how the box travels."""
    check_csrf(request, csrf)
    if t is None:
        raise NotFound("no such RMA page", code="return_not_found")
    return_id = _linked_return(container, t)
    page = f"/rma/{quote(rma_number[:64])}?t={quote(t)}"
    number = tracker.normalize_tracking_number(tracking_number)
    if not carrier.strip() or len(number) < 3:
        return redirect(f"{page}&error=missing#tracking-h")
    cmd = tracker.EnterTracking(return_id, rma_number[:64], carrier.strip()[:64], number[:100])
    try:
        tracker.enter_tracking(cmd, container.uow())
    except Conflict:
        return redirect(f"{page}&error=shipped#tracking-h")
    # Typed twice, the same number is recorded once: setting it again changes nothing.
    return redirect(f"{page}&done=tracking#tracking-h")


@router.get("/rma/{rma_number}/label.pdf")
def rma_label(
    rma_number: str, container: ContainerDep, credentials: Credentials, t: Token = None
) -> Response:
    return pdf_response(container, _documents(container, rma_number[:64], t, credentials))
