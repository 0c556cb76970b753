"""Login-with-Amazon-compatible access: credentials per seller, refresh and access tokens."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from rma.domain.access import hash_secret
from rma.domain.amazon import (
    ACCESS_TOKEN_PREFIX,
    CLIENT_ID_PREFIX,
    REFRESH_TOKEN_PREFIX,
    AmazonAccessToken,
    AmazonCredential,
)
from rma.domain.errors import Forbidden, InvalidInput, NotFound, Unauthenticated
from rma.services.acting import note_actor
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork

ACCESS_TOKEN_LIFETIME = timedelta(seconds=3600)


class TokenRequestError(InvalidInput):
    """A token request LWA would refuse; ``code`` is the OAuth 2.0 error name."""

    code = "invalid_request"


class InvalidClient(Unauthenticated):
    """The client id and secret do not match (OAuth 2.0 ``invalid_client``)."""

    code = "invalid_client"


@dataclass(frozen=True)
class IssueAmazonCredential:
    seller_id: str
    name: str = ""


@dataclass(frozen=True)
class IssuedCredential:
    """A credential as shown once, at creation: secrets are never stored nor shown again."""

    credential: AmazonCredential
    client_secret: str
    refresh_token: str


@dataclass(frozen=True)
class ExchangeToken:
    grant_type: str
    refresh_token: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class IssuedAccessToken:
    access_token: str
    expires_in: int
    refresh_token: str


def issue_amazon_credential(cmd: IssueAmazonCredential, uow: UnitOfWork) -> IssuedCredential:
    """A new LWA client id, client secret and refresh token for one seller."""
    client_secret = f"amzn1.oa2-cs.v1.{secrets.token_hex(32)}"
    refresh_token = f"{REFRESH_TOKEN_PREFIX}{secrets.token_urlsafe(48)}"
    credential = AmazonCredential(
        client_id=f"{CLIENT_ID_PREFIX}{secrets.token_hex(16)}",
        seller_id=cmd.seller_id,
        client_secret_hash=hash_secret(client_secret),
        refresh_token_hash=hash_secret(refresh_token),
        created_at=utcnow(),
        name=cmd.name,
    )
    with uow:
        if uow.sellers.get(cmd.seller_id) is None:
            raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
        uow.amazon.add_credential(credential)
        uow.commit()
    return IssuedCredential(credential, client_secret, refresh_token)


def exchange_refresh_token(cmd: ExchangeToken, uow: UnitOfWork) -> IssuedAccessToken:
    """An access token for the seller of a refresh token, once the client proves itself."""
    if cmd.grant_type != "refresh_token":
        raise TokenRequestError(
            "only grant_type=refresh_token is served", code="unsupported_grant_type"
        )
    for name in ("refresh_token", "client_id", "client_secret"):
        if not getattr(cmd, name):
            raise TokenRequestError(f"the request needs {name}", details=[{"field": name}])
    now = utcnow()
    with uow:
        credential = uow.amazon.credential(cmd.client_id)
        if credential is None or not hmac.compare_digest(
            credential.client_secret_hash, hash_secret(cmd.client_secret)
        ):
            raise InvalidClient("client authentication failed")
        if not hmac.compare_digest(credential.refresh_token_hash, hash_secret(cmd.refresh_token)):
            raise TokenRequestError(
                "the request has an invalid grant parameter : refresh_token",
                code="invalid_grant",
            )
        token = f"{ACCESS_TOKEN_PREFIX}{secrets.token_urlsafe(48)}"
        uow.amazon.prune_access_tokens(credential.client_id, now)
        uow.amazon.add_access_token(
            AmazonAccessToken(
                hash_secret(token),
                credential.seller_id,
                credential.client_id,
                now + ACCESS_TOKEN_LIFETIME,
            )
        )
        uow.commit()
    return IssuedAccessToken(token, int(ACCESS_TOKEN_LIFETIME.total_seconds()), cmd.refresh_token)


def authenticate_access_token(token: str | None, uow: UnitOfWork) -> str:
    """The seller an ``x-amz-access-token`` stands for.

    ``Unauthenticated`` when it is missing or not shaped like one of ours, ``Forbidden`` when
    it is unknown or expired (the model's 401 and 403).
    """
    if not token or not token.startswith(ACCESS_TOKEN_PREFIX):
        raise Unauthenticated(
            "send the access token from POST /auth/o2/token in x-amz-access-token",
            code="missing_token",
        )
    with uow:
        found = uow.amazon.access_token(hash_secret(token))
    if found is None:
        raise Forbidden(
            "The access token you provided is revoked, malformed or invalid.",
            code="invalid_token",
        )
    if found.expires_at <= utcnow():
        raise Forbidden("The access token you provided has expired.", code="token_expired")
    note_actor(f"amazon_app:{found.seller_id}", "Amazon-compatible application")
    return found.seller_id
