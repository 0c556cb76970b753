"""Authentication: API keys, the operator's admin key, customers' order tokens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from rma.domain.access import CustomerSession, Principal, Role, hash_secret, new_secret
from rma.domain.errors import InvalidInput, NotFound, Unauthenticated
from rma.domain.orders import Order
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork

CUSTOMER_SESSION_LIFETIME = timedelta(hours=2)
PLATFORM_ADMIN = "platform-admin"


@dataclass(frozen=True)
class OpenPortalSession:
    order_number: str
    email: str
    seller_id: str | None = None


@dataclass(frozen=True)
class PortalSession:
    token: str
    session: CustomerSession
    order: Order


def authenticate(secret: str, uow: UnitOfWork, *, admin_key: str | None = None) -> Principal:
    """The principal a bearer credential stands for, or ``Unauthenticated``."""
    if admin_key and hmac.compare_digest(secret.encode(), admin_key.encode()):
        return Principal(Role.ADMIN, None, PLATFORM_ADMIN)
    digest = hash_secret(secret)
    with uow:
        if secret.startswith("rma_cs_"):
            session = uow.customer_sessions.by_hash(digest)
            if session is not None and session.expires_at > utcnow():
                return Principal(
                    Role.CUSTOMER, session.seller_id, session.order_id, session.order_id
                )
        else:
            key = uow.api_keys.by_hash(digest)
            if key is not None and key.revoked_at is None:
                return Principal(key.role, key.seller_id, key.id)
    raise Unauthenticated("a valid API key or customer token is required")


def authenticate_key_hash(secret_hash: str, uow: UnitOfWork) -> Principal:
    """The principal of a live API key known by its stored hash (a signed-in desk session)."""
    with uow:
        key = uow.api_keys.by_hash(secret_hash)
        if key is not None and key.revoked_at is None:
            return Principal(key.role, key.seller_id, key.id)
    raise Unauthenticated("the key this session was opened with is no longer valid")


def open_portal_session(cmd: OpenPortalSession, uow: UnitOfWork) -> PortalSession:
    """A customer token for one order, once its number and email match.

    A wrong email answers exactly like an unknown order, so the portal cannot be used to
    learn which order numbers exist.
    """
    with uow:
        if cmd.seller_id is not None:
            found = uow.orders.by_number(cmd.seller_id, cmd.order_number)
            candidates = [found] if found is not None else []
        else:
            candidates = uow.orders.by_number_any_seller(cmd.order_number)
        matching = [order for order in candidates if order.owned_by(cmd.email)]
        if not matching:
            raise NotFound("no order with that number and email", code="order_not_found")
        if len(matching) > 1:
            raise InvalidInput(
                "several shops have that order: say which seller",
                code="seller_required",
                details=[{"field": "seller_id"}],
            )
        order = matching[0]
        token = new_secret("cs")
        session = CustomerSession(
            hash_secret(token), order.seller_id, order.id, utcnow() + CUSTOMER_SESSION_LIFETIME
        )
        uow.customer_sessions.add(session)
        uow.commit()
        return PortalSession(token, session, order)
