"""The platform operator: sellers and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from rma.api import schemas
from rma.api.deps import ContainerDep, PrincipalDep
from rma.api.idempotency import IDEMPOTENT, run_idempotent
from rma.domain.access import Role
from rma.domain.errors import Forbidden, NotFound
from rma.services import keys
from rma.services import sellers as service
from rma.services.unit_of_work import UnitOfWork

router = APIRouter(prefix="/v1", tags=["admin"])


@router.post(
    "/sellers",
    operation_id="sellers-create",
    status_code=201,
    response_model=schemas.SellerPublic,
    summary="Create a seller (platform admin)",
    dependencies=IDEMPOTENT,
)
def create_seller(
    body: schemas.SellerCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    if not principal.is_platform_admin:
        raise Forbidden("only the platform admin creates sellers")
    cmd = service.CreateSeller(body.name, body.kind, body.timezone)
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.SellerPublic.of(service.create_seller(cmd, uow)),
        status_code=201,
    )


@router.post(
    "/api-keys",
    operation_id="api-keys-create",
    status_code=201,
    response_model=schemas.ApiKeyPublic,
    summary="Issue an API key (platform admin, or a seller's admin for its own seller)",
    dependencies=IDEMPOTENT,
)
def create_api_key(
    body: schemas.ApiKeyCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    seller_id = body.seller_id
    if not principal.is_platform_admin:
        own = principal.require(Role.ADMIN)
        if seller_id not in (None, own):
            # Another seller is as absent as one that does not exist (no existence leak).
            raise NotFound(f"no seller {seller_id}", code="seller_not_found")
        seller_id = own
    cmd = service.IssueApiKey(body.role, seller_id, body.name)

    def issue(uow: UnitOfWork) -> schemas.ApiKeyPublic:
        issued = service.issue_api_key(cmd, uow)
        key = issued.key
        return schemas.ApiKeyPublic(
            id=key.id,
            role=key.role,
            seller_id=key.seller_id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            key=issued.secret,
        )

    return run_idempotent(request, container, principal, body, issue, status_code=201)


@router.get(
    "/api-keys",
    operation_id="api-keys-list",
    response_model=schemas.ApiKeysPublic,
    summary="List API keys (a seller's own; the platform admin: all, or one seller's)",
)
def list_api_keys(
    container: ContainerDep,
    principal: PrincipalDep,
    seller_id: Annotated[str | None, Query(max_length=40)] = None,
) -> schemas.ApiKeysPublic:
    listed = keys.list_api_keys(principal, container.reader(), seller_id)
    return schemas.ApiKeysPublic(data=[schemas.ApiKeyListed.of(k) for k in listed])


@router.post(
    "/api-keys/{key_id}/revoke",
    operation_id="api-keys-revoke",
    response_model=schemas.ApiKeyListed,
    summary="Revoke an API key: it stops working with the next request",
)
def revoke_api_key(
    key_id: Annotated[str, Path(max_length=40)], container: ContainerDep, principal: PrincipalDep
) -> schemas.ApiKeyListed:
    revoked = keys.revoke_api_key(keys.RevokeApiKey(key_id, principal), container.uow())
    return schemas.ApiKeyListed.of(revoked)
