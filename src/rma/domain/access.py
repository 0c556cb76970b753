"""Who may call: API keys with roles, customers with a token for one order."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from rma.domain.errors import Forbidden
from rma.domain.returns import Actor


class Role(StrEnum):
    ADMIN = "admin"  # everything of its seller; without a seller, the platform operator
    SELLER = "seller"  # runs the seller's returns, settings and catalog
    WAREHOUSE = "warehouse"  # receives and inspects the seller's returns
    CUSTOMER = "customer"  # one order's customer, through a portal token
    PARTNER = "partner"  # a supplier or 3PL of one seller: the returns routed to it only


@dataclass(eq=False)
class ApiKey:
    """A stored key: only its hash is kept, and a prefix to recognise it by."""

    id: str
    role: Role
    prefix: str
    secret_hash: str
    created_at: datetime
    seller_id: str | None = None
    name: str = ""
    revoked_at: datetime | None = None
    partner_id: str | None = None  # a partner key's supplier or 3PL


@dataclass(eq=False)
class CustomerSession:
    """A short-lived token that proves a customer knows an order's number and email."""

    token_hash: str
    seller_id: str
    order_id: str
    expires_at: datetime


@dataclass(eq=False)
class StaffSession:
    """A signed-in desk or station browser: it lives until it expires or signs out."""

    token_hash: str
    key_id: str
    expires_at: datetime


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    role: Role
    seller_id: str | None
    subject: str  # key id, or the order id for a customer
    order_id: str | None = None
    partner_id: str | None = None  # a partner key: only the returns routed to this partner

    @property
    def actor(self) -> Actor:
        return Actor(str(self.role), self.subject)

    @property
    def is_platform_admin(self) -> bool:
        return self.role is Role.ADMIN and self.seller_id is None

    def require(self, *roles: Role) -> str:
        """The caller's seller id if it has one of ``roles``, else ``Forbidden``."""
        if self.role not in roles or self.seller_id is None:
            allowed = ", ".join(str(r) for r in roles)
            raise Forbidden(f"this needs one of the roles: {allowed}")
        return self.seller_id


def new_secret(kind: str) -> str:
    """A fresh credential, ``rma_<kind>_`` and 32 random bytes, URL-safe."""
    return f"rma_{kind}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    """The stored form of a high-entropy secret (SHA-256 suffices at 256 bits of entropy)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: ``whsec_`` and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
