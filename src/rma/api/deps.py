"""Dependencies shared by the routes: the container and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from rma.bootstrap import Container
from rma.domain.access import Principal, Role
from rma.domain.errors import Unauthenticated
from rma.services.access import sign_in
from rma.services.returns import Scope

bearer = HTTPBearer(auto_error=False, description="An API key, or a customer portal token.")


async def get_container(request: Request) -> Container:
    # async: nothing here blocks, so FastAPI need not hand it to a worker thread.
    container: Container = request.app.state.container
    return container


ContainerDep = Annotated[Container, Depends(get_container)]


def client_address(request: Request) -> str:
    """The caller's address (uvicorn takes it from the proxy headers it trusts)."""
    return request.client.host if request.client else ""


def get_principal(
    request: Request,
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send `Authorization: Bearer <api key>`")
    return sign_in(
        credentials.credentials,
        client_address(request),
        container.reader(),
        container.attempts,
        admin_key=container.settings.admin_key,
    )


PrincipalDep = Annotated[Principal, Depends(get_principal)]

STAFF = (Role.SELLER, Role.ADMIN)
WAREHOUSE = (Role.SELLER, Role.ADMIN, Role.WAREHOUSE)
ANYONE = (Role.SELLER, Role.ADMIN, Role.WAREHOUSE, Role.CUSTOMER)


def scope_of(principal: Principal, *roles: Role) -> Scope:
    """The caller's view of returns, once it holds one of ``roles``."""
    seller_id = principal.require(*roles)
    return Scope(seller_id, principal.order_id, principal.partner_id)
