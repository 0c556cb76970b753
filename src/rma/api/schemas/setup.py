"""Sellers, keys, settings, policies, reason codes, addresses and facilities."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import Code, Email, In, Name
from rma.domain.access import ApiKey, Role
from rma.domain.addresses import Address, Facility, ReturnAddress
from rma.domain.sellers import (
    AuthorizationMode,
    CategoryPolicy,
    Fault,
    LabelDefault,
    LabelPayer,
    OutOfPolicyHandling,
    PaymentGatewayKind,
    ReasonCode,
    ResolutionTrigger,
    Seller,
    SellerKind,
    SkuPolicy,
)

# -- sellers, keys, settings, policies ------------------------------------------------------


class SellerCreate(In):
    name: Name
    kind: SellerKind = SellerKind.PROFESSIONAL
    timezone: Annotated[str, StringConstraints(max_length=64)] = "UTC"


class SettingsPublic(BaseModel):
    authorization_mode: AuthorizationMode
    out_of_policy: OutOfPolicyHandling
    window_days: int
    transit_days: int
    timezone: str
    label_default: LabelDefault
    notification_email: str | None = None
    email_preferences: list[str] = Field(
        default_factory=list, description="Event types the seller is emailed about."
    )
    resolution_trigger: ResolutionTrigger
    keep_item_max_value: int
    store_credit_bonus_percent: int
    payment_gateway: PaymentGatewayKind
    payment_webhook_url: str | None
    payment_webhook_secret: str = Field(
        description="Signs refund requests to payment_webhook_url (Standard Webhooks)."
    )

    @classmethod
    def of(cls, seller: Seller) -> SettingsPublic:
        return cls(
            authorization_mode=seller.authorization_mode,
            out_of_policy=seller.out_of_policy,
            window_days=seller.window_days,
            transit_days=seller.transit_days,
            timezone=seller.timezone,
            label_default=seller.label_default,
            notification_email=seller.notification_email,
            email_preferences=seller.email_preferences,
            resolution_trigger=seller.resolution_trigger,
            keep_item_max_value=seller.keep_item_max_value,
            store_credit_bonus_percent=seller.store_credit_bonus_percent,
            payment_gateway=seller.payment_gateway,
            payment_webhook_url=seller.payment_webhook_url,
            payment_webhook_secret=seller.payment_webhook_secret,
        )


class SettingsUpdate(In):
    authorization_mode: AuthorizationMode | None = None
    out_of_policy: OutOfPolicyHandling | None = None
    window_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    transit_days: Annotated[int, Field(ge=0, le=365)] | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    label_default: LabelDefault | None = None
    notification_email: Email | None = None
    email_preferences: (
        Annotated[list[Annotated[str, StringConstraints(max_length=64)]], Field(max_length=50)]
        | None
    ) = None
    resolution_trigger: ResolutionTrigger | None = None
    keep_item_max_value: Annotated[int, Field(ge=0, le=10**12)] | None = None
    store_credit_bonus_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    payment_gateway: PaymentGatewayKind | None = None
    payment_webhook_url: (
        Annotated[str, StringConstraints(max_length=500, pattern=r"^https?://")] | None
    ) = None


class SellerPublic(BaseModel):
    id: str
    name: str
    kind: SellerKind
    created_at: datetime
    settings: SettingsPublic

    @classmethod
    def of(cls, seller: Seller) -> SellerPublic:
        return cls(
            id=seller.id,
            name=seller.name,
            kind=seller.kind,
            created_at=seller.created_at,
            settings=SettingsPublic.of(seller),
        )


class ApiKeyCreate(In):
    role: Role
    seller_id: Annotated[str, StringConstraints(max_length=40)] | None = None
    name: Annotated[str, StringConstraints(max_length=200)] = ""


class ApiKeyPublic(BaseModel):
    id: str
    role: Role
    seller_id: str | None
    name: str
    prefix: str
    created_at: datetime
    key: str = Field(description="The secret; shown once, never stored in clear.")


class ApiKeyListed(BaseModel):
    """A key as listed: never its secret."""

    id: str
    role: Role
    seller_id: str | None
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    partner_id: str | None = Field(default=None, description="A partner key's partner.")

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyListed:
        return cls(
            id=key.id,
            role=key.role,
            seller_id=key.seller_id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
            partner_id=key.partner_id,
        )


class ApiKeysPublic(BaseModel):
    data: list[ApiKeyListed]


class PolicyUpdate(In):
    window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    returnable: bool = True
    restocking_fee_percent: Annotated[int, Field(ge=0, le=100)] = 0
    label_paid_by: LabelPayer = LabelPayer.BY_FAULT


class PolicyPublic(BaseModel):
    category: str
    window_days: int
    returnable: bool
    restocking_fee_percent: int
    label_paid_by: LabelPayer

    @classmethod
    def of(cls, policy: CategoryPolicy) -> PolicyPublic:
        return cls(
            category=policy.category,
            window_days=policy.window_days,
            returnable=policy.returnable,
            restocking_fee_percent=policy.restocking_fee_percent,
            label_paid_by=policy.label_paid_by,
        )


class PoliciesPublic(BaseModel):
    data: list[PolicyPublic]


class SkuPolicyUpdate(In):
    window_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    returnable: bool | None = None
    restocking_fee_percent: Annotated[int, Field(ge=0, le=100)] | None = None
    label_paid_by: LabelPayer | None = None
    prepaid_label_exempt: bool = Field(
        default=False, description="Outside the prepaid-label programme."
    )
    exempt_authorization: AuthorizationMode = Field(
        default=AuthorizationMode.MANUAL,
        description="How requests with this SKU are authorized when it is exempt.",
    )


class SkuPolicyPublic(BaseModel):
    sku: str
    window_days: int | None
    returnable: bool | None
    restocking_fee_percent: int | None
    label_paid_by: LabelPayer | None
    prepaid_label_exempt: bool
    exempt_authorization: AuthorizationMode

    @classmethod
    def of(cls, policy: SkuPolicy) -> SkuPolicyPublic:
        return cls(**{name: getattr(policy, name) for name in cls.model_fields})


class SkuPoliciesPublic(BaseModel):
    data: list[SkuPolicyPublic]


class ReasonCodeUpdate(In):
    description: Name
    fault: Fault
    categories: Annotated[list[Code], Field(max_length=100)] | None = Field(
        default=None, description="Categories it applies to; every category if absent."
    )
    active: bool = True


class ReasonCodePublic(BaseModel):
    code: str
    description: str
    fault: Fault
    categories: list[str] | None
    active: bool

    @classmethod
    def of(cls, reason: ReasonCode) -> ReasonCodePublic:
        return cls(
            code=reason.code,
            description=reason.description,
            fault=reason.fault,
            categories=reason.categories,
            active=reason.active,
        )


class ReasonCodesPublic(BaseModel):
    data: list[ReasonCodePublic]


# -- addresses and facilities ----------------------------------------------------------------

Line = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class AddressIn(In):
    name: Name
    line1: Name
    line2: Line = ""
    city: Name
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    postal_code: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20)
    ]
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] = ""

    def to_domain(self) -> Address:
        return Address(**self.model_dump())


class AddressPublic(BaseModel):
    name: str
    line1: str
    line2: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str

    @classmethod
    def of(cls, address: Address) -> AddressPublic:
        return cls(**address.as_dict())


class ReturnAddressCreate(In):
    label: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    address: AddressIn
    make_default: bool = False


class ReturnAddressPublic(BaseModel):
    id: str
    label: str
    address: AddressPublic
    is_default: bool

    @classmethod
    def of(cls, saved: ReturnAddress, default_id: str | None) -> ReturnAddressPublic:
        return cls(
            id=saved.id,
            label=saved.label,
            address=AddressPublic.of(saved.address),
            is_default=saved.id == default_id,
        )


class ReturnAddressesPublic(BaseModel):
    data: list[ReturnAddressPublic]


class FacilityPut(In):
    name: Name
    address: AddressIn


class FacilityPublic(BaseModel):
    code: str
    name: str
    address: AddressPublic

    @classmethod
    def of(cls, facility: Facility) -> FacilityPublic:
        return cls(
            code=facility.code, name=facility.name, address=AddressPublic.of(facility.address)
        )


class FacilitiesPublic(BaseModel):
    data: list[FacilityPublic]
