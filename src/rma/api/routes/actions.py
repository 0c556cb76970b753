"""Pages behind the action links of the seller's emails, and the mail folder for trying rma.

``GET /actions/{token}`` only shows what the link would do (mail scanners follow links);
``POST`` does it. Forged, used and expired links are refused and change nothing.
"""

from __future__ import annotations

import ipaddress
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import HTMLResponse

from rma.adapters.email import FolderMailer, compose_reply, read_action_token, template_environment
from rma.api.deps import ContainerDep, client_address
from rma.api.errors import status_of
from rma.domain.errors import NotFound, RmaError
from rma.services import actions as service
from rma.services.sellers import get_seller

router = APIRouter(tags=["pages"], include_in_schema=False)
Token = Annotated[str, Path(max_length=1000)]
_env = template_environment()


def _page(name: str, status: int = 200, **context: object) -> HTMLResponse:
    # The token in the address must not travel on to other sites.
    headers = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}
    return HTMLResponse(
        _env.get_template(name).render(context), status_code=status, headers=headers
    )


@router.get("/actions/{token}", response_class=HTMLResponse)
def confirm_action(token: Token, request: Request, container: ContainerDep) -> HTMLResponse:
    try:
        link = read_action_token(container.signer, token)
        ret = service.open_action_link(link, container.uow())
    except RmaError as error:
        return _page("actions/refused.html", status_of(error), error=error)
    return _page("actions/confirm.html", link=link, ret=ret, action_url=request.url.path)


@router.post("/actions/{token}", response_class=HTMLResponse)
def perform_action(
    token: Token,
    container: ContainerDep,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> HTMLResponse:
    try:
        link = read_action_token(container.signer, token)
        reply = None
        if link.action == "reply":
            ret = service.open_action_link(link, container.uow())
            seller = get_seller(link.seller_id, container.uow())
            reply = compose_reply(ret.rma_number or ret.order_number, seller.name, note)
        cmd = service.UseActionLink(link, note)
        ret = service.use_action_link(cmd, container.uow(), reply)
    except RmaError as error:
        return _page("actions/refused.html", status_of(error), error=error)
    return _page("actions/done.html", link=link, ret=ret)


@router.get("/dev/mail", response_class=HTMLResponse)
def mail_folder(container: ContainerDep, request: Request) -> HTMLResponse:
    try:
        mailer = _folder(container, request)
    except NotFound as error:
        return _page("actions/refused.html", 404, error=error)
    messages = [(path.stem, _read(path.read_bytes())) for path in mailer.messages()]
    return _page("dev/mail.html", messages=messages)


@router.get("/dev/mail/{message_id}", response_class=HTMLResponse)
def mail_message(
    message_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,60}$")],
    container: ContainerDep,
    request: Request,
) -> HTMLResponse:
    try:
        path = _folder(container, request).folder / f"{message_id}.eml"
    except NotFound as error:
        return _page("actions/refused.html", 404, error=error)
    if not path.is_file():
        return _page("actions/refused.html", 404, error=NotFound("no such email"))
    message = _read(path.read_bytes())
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    return _page(
        "dev/message.html",
        message=message,
        html=html.get_content() if html else "",
        text=text.get_content() if text else "",
    )


def _folder(container: ContainerDep, request: Request) -> FolderMailer:
    # The folder holds working action links: it is shown on a try-out only (`make run` sets
    # RMA_DEV_MAIL), to a browser on this machine. The Host header proves nothing.
    settings = container.settings
    if not settings.dev_mail or settings.smtp_host or not _loopback(client_address(request)):
        raise NotFound("the mail folder is shown on a local install only", code="no_mail_folder")
    return FolderMailer(settings.data_dir / "mail", settings.mail_from)


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _read(raw: bytes) -> EmailMessage:
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message
