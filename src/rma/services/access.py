"""Authentication: API keys, the operator's admin key, customers' order tokens."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import timedelta

from rma.domain.access import (
    CustomerSession,
    Principal,
    Role,
    StaffSession,
    hash_secret,
    new_secret,
)
from rma.domain.errors import InvalidInput, NotFound, Unauthenticated
from rma.domain.orders import Order
from rma.services.acting import note_actor
from rma.services.clock import utcnow
from rma.services.throttling import Attempts, Rule, attempt, spend
from rma.services.unit_of_work import UnitOfWork

CUSTOMER_SESSION_LIFETIME = timedelta(hours=2)
PLATFORM_ADMIN = "platform-admin"


@dataclass(frozen=True)
class OpenPortalSession:
    order_number: str
    email: str
    seller_id: str | None = None
    client: str = ""  # the caller's address, for throttling


@dataclass(frozen=True)
class PortalSession:
    token: str
    session: CustomerSession
    order: Order


def authenticate(secret: str, uow: UnitOfWork, *, admin_key: str | None = None) -> Principal:
    """The principal a bearer credential stands for, or ``Unauthenticated``."""
    if admin_key and hmac.compare_digest(secret.encode(), admin_key.encode()):
        note_actor(f"admin:{PLATFORM_ADMIN}", "platform admin")
        return Principal(Role.ADMIN, None, PLATFORM_ADMIN)
    digest = hash_secret(secret)
    with uow:
        if secret.startswith("rma_cs_"):
            session = uow.customer_sessions.by_hash(digest)
            if session is not None and session.expires_at > utcnow():
                note_actor(f"customer:{session.order_id}", "customer")
                return Principal(
                    Role.CUSTOMER, session.seller_id, session.order_id, session.order_id
                )
        else:
            key = uow.api_keys.by_hash(digest)
            if key is not None and key.revoked_at is None:
                note_actor(f"{key.role}:{key.id}", key.name)
                return Principal(key.role, key.seller_id, key.id, partner_id=key.partner_id)
    raise Unauthenticated("a valid API key or customer token is required")


def sign_in(
    secret: str,
    client: str,
    uow: UnitOfWork,
    attempts: Attempts,
    *,
    admin_key: str | None = None,
) -> Principal:
    """``authenticate``, throttled: a client address that fails too often must wait."""
    principal = attempt(
        attempts,
        [(Rule.ADDRESS, client)],
        lambda: authenticate(secret, uow, admin_key=admin_key),
        failures=(Unauthenticated,),
    )
    if principal.role is not Role.CUSTOMER:
        spend(attempts, Rule.KEY_REQUESTS, principal.subject)
    return principal


@dataclass(frozen=True)
class OpenedStaffSession:
    token: str
    principal: Principal


def open_staff_session(
    secret: str, client: str, uow: UnitOfWork, attempts: Attempts, lifetime: timedelta
) -> OpenedStaffSession:
    """Sign a seller, admin or warehouse key in to the pages: a session the browser keeps."""
    principal = sign_in(secret, client, uow, attempts)
    if principal.seller_id is None or principal.role is Role.CUSTOMER:
        raise Unauthenticated("sign in with a seller, admin or warehouse key")
    token = new_secret("ss")
    with uow:
        uow.staff_sessions.add(
            StaffSession(hash_secret(token), principal.subject, utcnow() + lifetime)
        )
        uow.commit()
    return OpenedStaffSession(token, principal)


def staff_principal(token: str, uow: UnitOfWork) -> Principal:
    """Who a signed-in browser is: its session is open and its key is not revoked."""
    with uow:
        session = uow.staff_sessions.by_hash(hash_secret(token))
        if session is not None and session.expires_at > utcnow():
            key = uow.api_keys.get(session.key_id)
            if key is not None and key.revoked_at is None:
                note_actor(f"{key.role}:{key.id}", key.name)
                return Principal(key.role, key.seller_id, key.id, partner_id=key.partner_id)
    raise Unauthenticated("this session is signed out, expired, or its key was revoked")


def close_staff_session(token: str, uow: UnitOfWork) -> None:
    """Sign out: the session stops working at once, wherever its cookie was copied."""
    with uow:
        uow.staff_sessions.remove(hash_secret(token))
        uow.commit()


def open_portal_session(
    cmd: OpenPortalSession, uow: UnitOfWork, attempts: Attempts
) -> PortalSession:
    """A customer token for one order, once its number and email match.

    A wrong email answers exactly like an unknown order, so the portal cannot be used to
    learn which order numbers exist; wrong emails are throttled per order number and client.
    """
    counted = [(Rule.ADDRESS, cmd.client), (Rule.ORDER, cmd.order_number.upper())]
    return attempt(attempts, counted, lambda: _open_portal_session(cmd, uow))


def _open_portal_session(cmd: OpenPortalSession, uow: UnitOfWork) -> PortalSession:
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
