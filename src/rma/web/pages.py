"""Server-rendered pages: the RMA page a customer opens from a link, a token or the desk."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rma.adapters.page_links import LinkExpired
from rma.adapters.signing import BadSignature
from rma.api.deps import ANYONE, ContainerDep, scope_of
from rma.api.routes.labels import pdf_response
from rma.bootstrap import Container
from rma.domain.errors import NotFound
from rma.services import labels as service
from rma.services.access import authenticate
from rma.web.rendering import PageRoute, env, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)
_bearer = HTTPBearer(auto_error=False)

Token = Annotated[str | None, Query(max_length=500, description="The signed page link token")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _documents(
    container: Container, rma_number: str, t: str | None, credentials: Credentials
) -> service.ReturnDocuments:
    """The return the signed link or the caller's credential opens; else not found."""
    uow, files = container.uow(), container.files
    if t is not None:
        try:
            return_id = container.page_links.return_id(t)
        except BadSignature as error:
            raise NotFound("no such RMA page", code="return_not_found") from error
        return service.page_documents(return_id, rma_number, uow, files)
    if credentials is None:
        raise NotFound("no such RMA page", code="return_not_found")
    principal = authenticate(
        credentials.credentials, container.uow(), admin_key=container.settings.admin_key
    )
    return service.return_documents(scope_of(principal, *ANYONE), rma_number, uow, files)


@router.get("/rma/{rma_number}", response_class=HTMLResponse)
def rma_page(
    rma_number: str,
    request: Request,
    container: ContainerDep,
    credentials: Credentials,
    t: Token = None,
) -> HTMLResponse:
    try:
        docs = _documents(container, rma_number[:64], t, credentials)
    except LinkExpired:
        return _expired(request)
    label_url = f"/rma/{docs.ret.rma_number}/label.pdf" + (f"?t={t}" if t else "")
    html = env.get_template("rma_page.html").render(
        docs=docs, ret=docs.ret, label_url=label_url, static="/static"
    )
    return HTMLResponse(
        html, headers={"Referrer-Policy": "no-referrer", "Cache-Control": "private, no-store"}
    )


@router.get("/rma/{rma_number}/label.pdf")
def rma_label(
    rma_number: str,
    request: Request,
    container: ContainerDep,
    credentials: Credentials,
    t: Token = None,
) -> Response:
    try:
        return pdf_response(container, _documents(container, rma_number[:64], t, credentials))
    except LinkExpired:
        return _expired(request)


def _expired(request: Request) -> HTMLResponse:
    message = (
        "This link has expired. Find your order on the returns page to open your return "
        "again, or ask the shop for a new link."
    )
    return render(request, "error.html", status_code=410, status=410, message=message)
