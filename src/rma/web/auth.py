"""Who is using a page: a seller or warehouse signed in with a key, or a customer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import Request, Response

from rma.adapters.signing import BadSignature
from rma.api.deps import client_address
from rma.bootstrap import Container
from rma.domain.access import Principal, Role
from rma.domain.errors import Forbidden, Unauthenticated
from rma.services.access import (
    authenticate,
    close_staff_session,
    open_staff_session,
    staff_principal,
)
from rma.web.rendering import LoginRequired, set_cookie

STAFF_COOKIE = "rma_staff"
PORTAL_COOKIE = "rma_portal"
STAFF_SESSION_SECONDS = 12 * 3600
PORTAL_SESSION_SECONDS = 2 * 3600

DESK_ROLES = (Role.SELLER, Role.ADMIN)
WAREHOUSE_ROLES = (Role.WAREHOUSE, Role.SELLER, Role.ADMIN)


def sign_in_staff(request: Request, response: Response, api_key: str) -> Principal:
    """Check an API key and open a session for it (the cookie never holds the key)."""
    container: Container = request.app.state.container
    opened = open_staff_session(
        api_key,
        client_address(request),
        container.uow(),
        container.attempts,
        timedelta(seconds=STAFF_SESSION_SECONDS),
    )
    cookie = container.signer.sign("staff", {"s": opened.token})
    set_cookie(response, request, STAFF_COOKIE, cookie, STAFF_SESSION_SECONDS)
    return opened.principal


def staff(request: Request, roles: tuple[Role, ...], login_path: str) -> Principal:
    """The signed-in staff member, if one of ``roles``; else off to sign in."""
    container: Container = request.app.state.container
    cookie = request.cookies.get(STAFF_COOKIE)
    if cookie is None:
        raise LoginRequired(login_path)
    try:
        payload = container.signer.unsign("staff", cookie)
        principal = staff_principal(str(payload.get("s", "")), container.reader())
    except (BadSignature, Unauthenticated) as error:
        raise LoginRequired(login_path) from error
    if principal.role not in roles:
        raise Forbidden("this key's role cannot use these pages")
    return principal


def customer(request: Request) -> Principal:
    """The customer whose order this browser opened; else back to the portal's start."""
    container: Container = request.app.state.container
    token = request.cookies.get(PORTAL_COOKIE)
    if token is None:
        raise LoginRequired("/returns")
    try:
        return authenticate(token, container.reader())
    except Unauthenticated as error:
        raise LoginRequired("/returns") from error


def sign_out(request: Request, response: Response) -> None:
    """Close the staff session this browser holds (not only forget its cookie)."""
    container: Container = request.app.state.container
    cookie = request.cookies.get(STAFF_COOKIE)
    if cookie is not None:
        try:
            token = str(container.signer.unsign("staff", cookie).get("s", ""))
        except BadSignature:
            token = ""
        if token:
            close_staff_session(token, container.uow())
    response.delete_cookie(STAFF_COOKIE)
    response.delete_cookie(PORTAL_COOKIE)
