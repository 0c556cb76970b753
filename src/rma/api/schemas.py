"""Request and response schemas of the native API, separate from the tables.

Families follow one naming: ``XCreate`` / ``XUpdate`` come in, ``XPublic`` goes out, and a
page of them is ``XsPublic`` with ``data`` and ``next_cursor``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from rma.domain.access import Role
from rma.domain.addresses import Address, Facility, ReturnAddress
from rma.domain.orders import Order
from rma.domain.returns import Condition, DenyReason, Disposition, Resolution, Return
from rma.domain.sellers import (
    AuthorizationMode,
    CategoryPolicy,
    LabelDefault,
    OutOfPolicyHandling,
    ReasonCode,
    Seller,
    SellerKind,
)
from rma.domain.statuses import ReturnStatus


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (for example 2026-01-31T12:00:00Z)")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Note = Annotated[str, StringConstraints(max_length=2000)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")
]
Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]
Count = Annotated[int, Field(ge=0, le=100_000)]
MinorUnits = Annotated[int, Field(ge=0, le=10**12)]


class In(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


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

    @classmethod
    def of(cls, seller: Seller) -> SettingsPublic:
        return cls(
            authorization_mode=seller.authorization_mode,
            out_of_policy=seller.out_of_policy,
            window_days=seller.window_days,
            transit_days=seller.transit_days,
            timezone=seller.timezone,
            label_default=seller.label_default,
        )


class SettingsUpdate(In):
    authorization_mode: AuthorizationMode | None = None
    out_of_policy: OutOfPolicyHandling | None = None
    window_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    transit_days: Annotated[int, Field(ge=0, le=365)] | None = None
    timezone: Annotated[str, StringConstraints(max_length=64)] | None = None
    label_default: LabelDefault | None = None


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


class PolicyUpdate(In):
    window_days: Annotated[int, Field(ge=0, le=3650)] = 30
    returnable: bool = True
    restocking_fee_percent: Annotated[int, Field(ge=0, le=100)] = 0


class PolicyPublic(BaseModel):
    category: str
    window_days: int
    returnable: bool
    restocking_fee_percent: int

    @classmethod
    def of(cls, policy: CategoryPolicy) -> PolicyPublic:
        return cls(
            category=policy.category,
            window_days=policy.window_days,
            returnable=policy.returnable,
            restocking_fee_percent=policy.restocking_fee_percent,
        )


class PoliciesPublic(BaseModel):
    data: list[PolicyPublic]


class ReasonCodePublic(BaseModel):
    code: str
    description: str
    fault: str
    categories: list[str] | None

    @classmethod
    def of(cls, reason: ReasonCode) -> ReasonCodePublic:
        return cls(
            code=reason.code,
            description=reason.description,
            fault=str(reason.fault),
            categories=reason.categories,
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


# -- catalog and orders ---------------------------------------------------------------------


class ProductCreate(In):
    sku: Code
    name: Name
    category: Code | None = None


class ProductPublic(BaseModel):
    sku: str
    name: str
    category: str | None


class OrderLineIn(In):
    line_id: Code
    sku: Code
    name: Annotated[str, StringConstraints(max_length=300)] = ""
    quantity: Quantity
    unit_price: MinorUnits
    tax_per_unit: MinorUnits = 0


class ShipmentItemIn(In):
    line_id: Code
    quantity: Quantity


class ShipmentCreate(In):
    id: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    shipped_at: AwareDatetime
    delivered_at: AwareDatetime | None = None
    carrier: Annotated[str, StringConstraints(max_length=64)] | None = None
    tracking_number: Annotated[str, StringConstraints(max_length=100)] | None = None
    facility_code: Annotated[str, StringConstraints(max_length=40)] | None = None
    items: Annotated[list[ShipmentItemIn], Field(min_length=1, max_length=500)]


class OrderCreate(In):
    number: Code
    customer_email: Email
    customer_name: Annotated[str, StringConstraints(max_length=200)] = ""
    currency: Currency
    ordered_at: AwareDatetime
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    shipments: Annotated[list[ShipmentCreate], Field(max_length=100)] = []


class OrderLinePublic(BaseModel):
    line_id: str
    sku: str
    name: str
    quantity: int
    unit_price: int
    tax_per_unit: int
    shipped_quantity: int


class ShipmentItemPublic(BaseModel):
    line_id: str
    quantity: int


class ShipmentPublic(BaseModel):
    id: str
    shipped_at: datetime
    delivered_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    facility_code: str | None
    items: list[ShipmentItemPublic]


class OrderPublic(BaseModel):
    id: str
    number: str
    customer_email: str
    customer_name: str
    currency: str
    ordered_at: datetime
    lines: list[OrderLinePublic]
    shipments: list[ShipmentPublic]

    @classmethod
    def of(cls, order: Order) -> OrderPublic:
        return cls(
            id=order.id,
            number=order.number,
            customer_email=order.customer_email,
            customer_name=order.customer_name,
            currency=order.currency,
            ordered_at=order.ordered_at,
            lines=[
                OrderLinePublic(
                    line_id=line.line_id,
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=line.unit_price,
                    tax_per_unit=line.tax_per_unit,
                    shipped_quantity=order.shipped_quantity(line.line_id),
                )
                for line in order.lines
            ],
            shipments=[
                ShipmentPublic(
                    id=s.id,
                    shipped_at=s.shipped_at,
                    delivered_at=s.delivered_at,
                    carrier=s.carrier,
                    tracking_number=s.tracking_number,
                    facility_code=s.facility_code,
                    items=[
                        ShipmentItemPublic(line_id=i.line_id, quantity=i.quantity) for i in s.items
                    ],
                )
                for s in order.shipments
            ],
        )


class PortalSessionCreate(In):
    order_number: Code
    email: Email
    seller_id: Annotated[str, StringConstraints(max_length=40)] | None = None


class PortalSessionPublic(BaseModel):
    token: str = Field(
        description="Send as `Authorization: Bearer <token>`; it opens this order only."
    )
    expires_at: datetime
    order: OrderPublic


# -- returns --------------------------------------------------------------------------------


class ReturnItemIn(In):
    line_id: Code
    quantity: Quantity
    reason_code: Code
    comment: Note = ""


class ReturnCreate(In):
    order_number: Code
    items: Annotated[list[ReturnItemIn], Field(min_length=1, max_length=500)]
    resolution: Resolution = Resolution.REFUND


class ViolationPublic(BaseModel):
    code: str
    line_id: str
    message: str


class ReturnItemPublic(BaseModel):
    id: str
    line_id: str
    sku: str
    unit_price: int
    reason_code: str
    comment: str
    requested_quantity: int
    authorized_quantity: int
    received_quantity: int
    accepted_quantity: int
    rejected_quantity: int
    condition: Condition | None
    disposition: Disposition | None
    inspection_note: str
    resolution: Resolution | None


class HistoryEntryPublic(BaseModel):
    at: datetime
    actor: str
    action: str
    from_status: ReturnStatus | None
    to_status: ReturnStatus
    note: str


class ReturnPublic(BaseModel):
    id: str
    rma_number: str | None
    status: ReturnStatus
    order_id: str
    order_number: str
    customer_email: str
    currency: str
    resolution: Resolution
    in_policy: bool
    violations: list[ViolationPublic]
    window_closes_at: datetime | None
    deadline: datetime | None
    return_address_id: str | None
    return_address: AddressPublic | None
    deny_reason: DenyReason | None
    customer_note: str
    carrier: str | None
    tracking_number: str | None
    created_at: datetime
    updated_at: datetime
    version: int
    items: list[ReturnItemPublic]
    history: list[HistoryEntryPublic]

    @classmethod
    def of(cls, ret: Return) -> ReturnPublic:
        fields = {name: getattr(ret, name) for name in cls.model_fields if name not in _NESTED}
        return cls(
            **fields,
            violations=[ViolationPublic(**v) for v in ret.violations],
            return_address=AddressPublic.of(ret.return_address) if ret.return_address else None,
            items=[
                ReturnItemPublic(**{n: getattr(i, n) for n in ReturnItemPublic.model_fields})
                for i in ret.items
            ],
            history=[
                HistoryEntryPublic(**{n: getattr(h, n) for n in HistoryEntryPublic.model_fields})
                for h in ret.history
            ],
        )


_NESTED = {"violations", "items", "history", "return_address"}


class InvalidItemPublic(BaseModel):
    line_id: str
    quantity: int
    returnable_quantity: int
    violations: list[ViolationPublic]


class ReturnCreated(ReturnPublic):
    invalid_items: list[InvalidItemPublic] = Field(
        description="Requested items that cannot be returned, each with its reasons."
    )


class ReturnsPublic(BaseModel):
    data: list[ReturnPublic]
    next_cursor: str | None


class AuthorizeIn(In):
    rma_number: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None,
        description="A custom RMA number (1-32 of A-Z, 0-9, '-'); generated if absent.",
    )
    quantities: Annotated[dict[str, Count], Field(max_length=500)] = Field(
        default_factory=dict, description="Units to authorize per item id; all requested if absent."
    )
    return_address_id: Annotated[str, StringConstraints(max_length=40)] | None = Field(
        default=None, description="A saved return address; the default one if absent."
    )
    return_address: ReturnAddressCreate | None = Field(
        default=None, description="A new return address, saved and used for this return."
    )


class DenyIn(In):
    reason: DenyReason
    note: Note = ""


class NoteIn(In):
    note: Note = ""


class ReceiptIn(In):
    item_id: Code
    quantity: Count


class ReceiveIn(In):
    items: Annotated[list[ReceiptIn], Field(min_length=1, max_length=500)]


class InspectionIn(In):
    item_id: Code
    accepted: Count
    rejected: Count = 0
    condition: Condition
    disposition: Disposition
    note: Note = ""


class InspectIn(In):
    items: Annotated[list[InspectionIn], Field(min_length=1, max_length=500)]


class ResolutionIn(In):
    item_id: Code
    resolution: Resolution


class ResolveIn(In):
    items: Annotated[list[ResolutionIn], Field(max_length=500)] = []


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[Any] = []


class ErrorPublic(BaseModel):
    error: ErrorBody
