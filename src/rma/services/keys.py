"""API keys after they are issued: who holds which, and revoking one at once.

A key is checked against the database on every request and every desk page, so a revoked
key stops working with the next request; nothing caches it.
"""

from __future__ import annotations

from dataclasses import dataclass

from rma.domain.access import ApiKey, Principal, Role
from rma.domain.errors import Forbidden, NotFound
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class RevokeApiKey:
    key_id: str
    by: Principal


def list_api_keys(by: Principal, uow: UnitOfWork, seller_id: str | None = None) -> list[ApiKey]:
    """The keys ``by`` may see: its seller's, or any seller's (or all) for the platform admin."""
    with uow:
        return uow.api_keys.listed(seller_id if by.is_platform_admin else _own(by))


def revoke_api_key(cmd: RevokeApiKey, uow: UnitOfWork) -> ApiKey:
    """Revoke a key; revoking a revoked key changes nothing."""
    with uow:
        key = uow.api_keys.get(cmd.key_id)
        if key is None or (not cmd.by.is_platform_admin and key.seller_id != _own(cmd.by)):
            raise NotFound(f"no API key {cmd.key_id}", code="api_key_not_found")
        if key.role is Role.ADMIN and cmd.by.role is not Role.ADMIN:
            raise Forbidden("only an admin key may revoke an admin key")
        if key.revoked_at is None:
            key.revoked_at = utcnow()
            uow.commit()
        return key


def _own(by: Principal) -> str:
    return by.require(Role.ADMIN, Role.SELLER)
