"""Use cases of the platform operator and of a seller's own set-up."""

from __future__ import annotations

from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rma.domain.access import ApiKey, Role, hash_secret, new_secret, new_webhook_secret
from rma.domain.errors import InvalidInput, NotFound
from rma.domain.ids import new_id
from rma.domain.sellers import (
    AuthorizationMode,
    LabelDefault,
    OutOfPolicyHandling,
    PaymentGatewayKind,
    ResolutionTrigger,
    Seller,
    SellerKind,
    default_reason_codes,
)
from rma.domain.webhooks import check_event_types
from rma.services.clock import utcnow
from rma.services.event_ports import DestinationGuard
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CreateSeller:
    name: str
    kind: SellerKind = SellerKind.PROFESSIONAL
    timezone: str = "UTC"


@dataclass(frozen=True)
class IssueApiKey:
    role: Role
    seller_id: str | None
    name: str = ""
    secret: str | None = None  # a chosen secret (the demo's well-known keys); random if None


@dataclass(frozen=True)
class IssuedKey:
    """A key as shown once, at creation: the secret is never stored nor shown again."""

    key: ApiKey
    secret: str


@dataclass(frozen=True)
class ReturnSettings:
    """The settings a seller may change; ``None`` leaves one as it is."""

    authorization_mode: AuthorizationMode | None = None
    out_of_policy: OutOfPolicyHandling | None = None
    window_days: int | None = None
    transit_days: int | None = None
    timezone: str | None = None
    label_default: LabelDefault | None = None
    notification_email: str | None = None
    email_preferences: list[str] | None = None
    resolution_trigger: ResolutionTrigger | None = None
    keep_item_max_value: int | None = None
    store_credit_bonus_percent: int | None = None
    payment_gateway: PaymentGatewayKind | None = None
    payment_webhook_url: str | None = None


def create_seller(cmd: CreateSeller, uow: UnitOfWork) -> Seller:
    """A new seller with default settings and the default reason codes."""
    _check_timezone(cmd.timezone)
    seller = Seller(
        id=new_id("sel"),
        name=cmd.name,
        kind=cmd.kind,
        created_at=utcnow(),
        timezone=cmd.timezone,
        payment_webhook_secret=new_webhook_secret(),
    )
    with uow:
        uow.sellers.add(seller)
        uow.reason_codes.add_all(default_reason_codes(seller.id))
        uow.commit()
    return seller


def issue_api_key(cmd: IssueApiKey, uow: UnitOfWork) -> IssuedKey:
    """A new key for a seller (or, without a seller, a platform admin key)."""
    if cmd.seller_id is None and cmd.role is not Role.ADMIN:
        raise InvalidInput(
            "only an admin key may be issued without a seller", code="seller_required"
        )
    if cmd.role is Role.CUSTOMER:
        raise InvalidInput("customers sign in with their order, not a key", code="invalid_role")
    if cmd.role is Role.PARTNER:
        raise InvalidInput(
            "a partner key belongs to a partner: issue it at /v1/partners/{id}/api-keys",
            code="partner_required",
        )
    secret = cmd.secret or new_secret("sk")
    key = ApiKey(
        id=new_id("key"),
        role=cmd.role,
        prefix=secret[:12],
        secret_hash=hash_secret(secret),
        created_at=utcnow(),
        seller_id=cmd.seller_id,
        name=cmd.name,
    )
    with uow:
        if cmd.seller_id is not None and uow.sellers.get(cmd.seller_id) is None:
            raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
        uow.api_keys.add(key)
        uow.commit()
    return IssuedKey(key, secret)


def get_seller(seller_id: str, uow: UnitOfWork) -> Seller:
    with uow:
        return _seller(uow, seller_id)


def update_settings(
    seller_id: str, changes: ReturnSettings, uow: UnitOfWork, guard: DestinationGuard
) -> Seller:
    """Change the given settings; individual sellers alone may choose manual authorization."""
    if changes.payment_webhook_url is not None:
        guard.check(changes.payment_webhook_url, field="payment_webhook_url")
    if changes.timezone is not None:
        _check_timezone(changes.timezone)
    if changes.email_preferences is not None:
        check_event_types(changes.email_preferences, "email_preferences")
    with uow:
        seller = _seller(uow, seller_id)
        for f in fields(changes):
            value = getattr(changes, f.name)
            if value is not None:
                setattr(seller, f.name, value)
        if seller.payment_gateway is PaymentGatewayKind.WEBHOOK and not seller.payment_webhook_url:
            raise InvalidInput(
                "the webhook payment gateway needs payment_webhook_url",
                code="payment_webhook_url_required",
                details=[{"field": "payment_webhook_url"}],
            )
        if not seller.payment_webhook_secret:
            seller.payment_webhook_secret = new_webhook_secret()
        if (
            seller.kind is SellerKind.PROFESSIONAL
            and seller.authorization_mode is AuthorizationMode.MANUAL
        ):
            raise InvalidInput(
                "professional sellers authorize in-policy requests automatically",
                code="manual_mode_not_allowed",
                details=[{"field": "authorization_mode"}],
            )
        uow.commit()
        return seller


def _seller(uow: UnitOfWork, seller_id: str) -> Seller:
    seller = uow.sellers.get(seller_id)
    if seller is None:
        raise NotFound(f"no seller {seller_id}", code="seller_not_found")
    return seller


def _check_timezone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInput(
            f"{name!r} is not an IANA time zone", details=[{"field": "timezone"}]
        ) from error
