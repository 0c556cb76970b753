"""Login-with-Amazon-compatible token route, and the native route that issues credentials."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Body, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, StringConstraints

from rma.api.deps import ContainerDep, PrincipalDep, client_address
from rma.api.errors import documented_errors
from rma.api.schemas.base import In
from rma.domain.access import Role
from rma.domain.errors import InvalidInput, NotFound, RmaError, TooManyAttempts
from rma.services import amazon_access as service
from rma.services.throttling import Rule, attempt

router = APIRouter(tags=["amazon"])

_FIELDS = ("grant_type", "refresh_token", "client_id", "client_secret")
_MAX_BODY = 8192


class AmazonCredentialCreate(In):
    name: Annotated[str, StringConstraints(max_length=200)] = ""
    seller_id: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="The platform admin names the seller; a seller's admin not."
    )


class AmazonCredentialPublic(BaseModel):
    client_id: str
    client_secret: str = Field(description="Shown once, never stored in clear.")
    refresh_token: str = Field(description="Shown once, never stored in clear.")
    seller_id: str
    name: str


class TokenErrorPublic(BaseModel):
    """Login with Amazon's error answer."""

    error: str
    error_description: str


class AccessTokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
    refresh_token: str


@router.post(
    "/v1/amazon/credentials",
    operation_id="amazon-credentials-create",
    status_code=201,
    response_model=AmazonCredentialPublic,
    responses=documented_errors(),
    summary="Issue a client id, client secret and refresh token for the Amazon-compatible API",
)
def create_amazon_credential(
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[AmazonCredentialCreate, Body(default_factory=AmazonCredentialCreate)],
) -> AmazonCredentialPublic:
    seller_id = body.seller_id
    if not principal.is_platform_admin:
        own = principal.require(Role.ADMIN)
        if seller_id not in (None, own):
            # Another seller is as absent as one that does not exist (no existence leak).
            raise NotFound(f"no seller {seller_id}", code="seller_not_found")
        seller_id = own
    if seller_id is None:
        raise InvalidInput(
            "name the seller", code="seller_required", details=[{"field": "seller_id"}]
        )
    cmd = service.IssueAmazonCredential(seller_id, body.name)
    issued = service.issue_amazon_credential(cmd, container.uow())
    return AmazonCredentialPublic(
        client_id=issued.credential.client_id,
        client_secret=issued.client_secret,
        refresh_token=issued.refresh_token,
        seller_id=issued.credential.seller_id,
        name=issued.credential.name,
    )


@router.post(
    "/auth/o2/token",
    operation_id="amazon-token",
    response_model=AccessTokenPublic,
    responses={
        400: {"model": TokenErrorPublic, "description": "Malformed request or bad grant"},
        401: {"model": TokenErrorPublic, "description": "Unknown client or wrong secret"},
    },
    summary="Exchange a refresh token for an access token (Login with Amazon compatible)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                kind: {
                    "schema": {
                        "type": "object",
                        "required": list(_FIELDS),
                        "properties": {name: {"type": "string"} for name in _FIELDS},
                    }
                }
                for kind in ("application/x-www-form-urlencoded", "application/json")
            },
        }
    },
)
async def exchange_token(request: Request, container: ContainerDep) -> JSONResponse:
    try:
        fields = await _token_fields(request)
        cmd = service.ExchangeToken(**{name: fields.get(name, "") for name in _FIELDS})
        counted = [(Rule.ADDRESS, client_address(request)), (Rule.CREDENTIAL, cmd.client_id)]
        issued = await run_in_threadpool(  # the throttle and the database, off the loop
            attempt,
            container.attempts,
            counted,
            lambda: service.exchange_refresh_token(cmd, container.uow()),
            failures=(service.InvalidClient, service.TokenRequestError),
        )
    except TooManyAttempts as error:
        return JSONResponse(
            {"error": "slow_down", "error_description": error.message},
            status_code=429,
            headers={"Retry-After": str(error.retry_after)},
        )
    except RmaError as error:
        status = 401 if isinstance(error, service.InvalidClient) else 400
        return JSONResponse(
            {"error": error.code, "error_description": error.message}, status_code=status
        )
    answer = AccessTokenPublic(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
    )
    return JSONResponse(answer.model_dump(), headers={"Cache-Control": "no-store"})


async def _token_fields(request: Request) -> dict[str, str]:
    """The form-encoded (or JSON, as some SDKs send) fields of a token request."""
    raw = await request.body()
    if len(raw) > _MAX_BODY:
        raise service.TokenRequestError("the request is too large")
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            document: Any = json.loads(raw or b"{}")
            if not isinstance(document, dict):
                raise ValueError("not an object")
            return {k: v for k, v in document.items() if isinstance(v, str)}
        parsed = parse_qs(raw.decode(), keep_blank_values=True, strict_parsing=False)
    except (ValueError, UnicodeDecodeError) as error:
        raise service.TokenRequestError("the request body cannot be read") from error
    return {key: values[0] for key, values in parsed.items() if values}
