"""Schemas of partners, routing rules, supplier RMAs and supplier credit."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import Code, Email, In, MinorUnits, Name, Note, held
from rma.api.schemas.returns import (
    HistoryEntryPublic,
    InspectionIn,
    ReceiptIn,
    RoutingPublic,
)
from rma.api.schemas.setup import AddressIn, AddressPublic
from rma.domain.partners import Partner, PartnerKind, Remedy, ShippingPayer, SupplierTerms
from rma.domain.returns import Condition, Disposition, Return
from rma.domain.routing import DestinationKind, RoutingRule, RuleConditions
from rma.domain.sellers import Fault
from rma.domain.statuses import ReturnStatus
from rma.domain.supplier_rmas import SupplierOutcome, SupplierRma, SupplierRmaStatus
from rma.services.supplier_rmas import SupplierBalance

FacilityCode = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Country = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
Region = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Codes = Annotated[list[Code], Field(max_length=500)]


class TermsIn(In):
    window_days: int = Field(default=30, ge=0, le=3650)
    shipping_paid_by: ShippingPayer = ShippingPayer.SELLER
    restocking_fee_percent: int = Field(default=0, ge=0, le=100)
    remedy: Remedy = Remedy.CREDIT
    answer_hours: int = Field(default=48, ge=1, le=24 * 60)

    def to_domain(self) -> SupplierTerms:
        return SupplierTerms(**self.model_dump())


class TermsPublic(BaseModel):
    window_days: int
    shipping_paid_by: ShippingPayer
    restocking_fee_percent: int
    remedy: Remedy
    answer_hours: int


class PartnerCreate(In):
    kind: PartnerKind
    name: Name
    contact_email: Email
    address: AddressIn | None = Field(
        default=None, description="Where returns go: a 3PL's dock, a supplier's returns desk."
    )
    facility_code: FacilityCode | None = Field(
        default=None, description="A 3PL's facility, among the seller's facilities."
    )
    skus: Codes = Field(default_factory=list, description="SKUs it handles or supplies.")
    categories: Codes = Field(default_factory=list, description="Categories it handles.")
    terms: TermsIn = Field(default_factory=TermsIn)


class PartnerPublic(BaseModel):
    id: str
    kind: PartnerKind
    name: str
    contact_email: str
    address: AddressPublic | None
    facility_code: str | None
    skus: list[str]
    categories: list[str]
    terms: TermsPublic
    created_at: datetime

    @classmethod
    def of(cls, partner: Partner) -> PartnerPublic:
        t = partner.terms
        return cls(
            id=partner.id,
            kind=partner.kind,
            name=partner.name,
            contact_email=partner.contact_email,
            address=AddressPublic.of(partner.address) if partner.address else None,
            facility_code=partner.facility_code,
            skus=list(partner.skus),
            categories=list(partner.categories),
            terms=TermsPublic(
                window_days=t.window_days,
                shipping_paid_by=t.shipping_paid_by,
                restocking_fee_percent=t.restocking_fee_percent,
                remedy=t.remedy,
                answer_hours=t.answer_hours,
            ),
            created_at=partner.created_at,
        )


class PartnersPublic(BaseModel):
    data: list[PartnerPublic]


class ConditionsIn(In):
    skus: Codes = Field(default_factory=list)
    categories: Codes = Field(default_factory=list)
    supplier_id: Code | None = Field(default=None, description="The partner that supplied it.")
    shipped_from: FacilityCode | None = Field(
        default=None, description="The facility the order's shipment left from."
    )
    countries: Annotated[list[Country], Field(max_length=300)] = Field(default_factory=list)
    regions: Annotated[list[Region], Field(max_length=300)] = Field(default_factory=list)
    min_value: MinorUnits | None = None
    max_value: MinorUnits | None = None
    fault: Fault | None = None

    def to_domain(self) -> RuleConditions:
        return RuleConditions(
            skus=tuple(self.skus),
            categories=tuple(self.categories),
            supplier_id=self.supplier_id,
            shipped_from=self.shipped_from,
            countries=tuple(self.countries),
            regions=tuple(r.upper() for r in self.regions),
            min_value=self.min_value,
            max_value=self.max_value,
            fault=self.fault,
        )


class DestinationIn(In):
    kind: DestinationKind
    ref: Code = Field(description="A return address id, a facility code or a partner id.")


class RuleIn(In):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    conditions: ConditionsIn = Field(default_factory=ConditionsIn)
    destination: DestinationIn


class RoutingRulesIn(In):
    rules: Annotated[list[RuleIn], Field(max_length=200)] = Field(
        description="In order: the first rule that matches an item decides where it goes."
    )


class RulePublic(BaseModel):
    id: str
    position: int
    name: str
    conditions: dict[str, object]
    destination: dict[str, str]
    explanation: str

    @classmethod
    def of(cls, rule: RoutingRule) -> RulePublic:
        return cls(
            id=rule.id,
            position=rule.position,
            name=rule.name,
            conditions=rule.conditions.as_dict(),
            destination={"kind": str(rule.destination.kind), "ref": rule.destination.ref},
            explanation=rule.conditions.explain(),
        )


class RoutingRulesPublic(BaseModel):
    data: list[RulePublic]


class PartnerKeyCreate(In):
    name: Annotated[str, StringConstraints(max_length=200)] = ""


class SupplierRmaPublic(BaseModel):
    id: str
    return_id: str
    partner_id: str
    status: SupplierRmaStatus
    supplier_rma_number: str | None
    supplier_address: AddressPublic | None
    refusal_reason: str
    outcome: SupplierOutcome | None
    credit_memo: str
    currency: str
    remedy: Remedy
    expected_credit: int
    received_credit: int
    open_balance: int
    requested_at: datetime
    answered_at: datetime | None
    reminded_at: datetime | None
    escalated_at: datetime | None

    @classmethod
    def of(cls, rma: SupplierRma) -> SupplierRmaPublic:
        return cls(
            id=rma.id,
            return_id=rma.return_id,
            partner_id=rma.partner_id,
            status=rma.status,
            supplier_rma_number=rma.supplier_rma_number,
            supplier_address=AddressPublic.of(rma.supplier_address)
            if rma.supplier_address
            else None,
            refusal_reason=rma.refusal_reason,
            outcome=rma.outcome,
            credit_memo=rma.credit_memo,
            currency=rma.currency,
            remedy=rma.remedy,
            expected_credit=rma.expected_credit,
            received_credit=rma.received_credit,
            open_balance=rma.open_balance,
            requested_at=rma.requested_at,
            answered_at=rma.answered_at,
            reminded_at=rma.reminded_at,
            escalated_at=rma.escalated_at,
        )


class SupplierRmasPublic(BaseModel):
    data: list[SupplierRmaPublic]


class SupplierCreditIn(In):
    amount: Annotated[int, Field(ge=1, le=10**12)] = Field(description="Minor units received.")
    memo: Annotated[str, StringConstraints(max_length=100)] = ""


class SupplierBalancePublic(BaseModel):
    partner_id: str
    partner_name: str
    currency: str
    expected: int
    received: int
    open: int
    supplier_rmas: int

    @classmethod
    def of(cls, balance: SupplierBalance) -> SupplierBalancePublic:
        return cls(
            partner_id=balance.partner.id,
            partner_name=balance.partner.name,
            currency=balance.currency,
            expected=balance.expected,
            received=balance.received,
            open=balance.open,
            supplier_rmas=len(balance.rmas),
        )


class SupplierBalancesPublic(BaseModel):
    data: list[SupplierBalancePublic]


# -- what a partner sees of a return: no customer contact, only what the work needs --------


class PartnerItemPublic(BaseModel):
    id: str
    sku: str
    reason_code: str
    authorized_quantity: int
    requested_quantity: int
    received_quantity: int
    accepted_quantity: int
    rejected_quantity: int
    condition: Condition | None
    disposition: Disposition | None


class PartnerReturnPublic(BaseModel):
    id: str
    rma_number: str | None
    status: ReturnStatus
    order_number: str
    return_address: AddressPublic | None
    routing: RoutingPublic | None
    items: list[PartnerItemPublic]
    history: list[HistoryEntryPublic]
    supplier_rma: SupplierRmaPublic | None = None
    updated_at: datetime

    @classmethod
    def of(cls, ret: Return, rma: SupplierRma | None = None) -> PartnerReturnPublic:
        return cls(
            id=ret.id,
            rma_number=ret.rma_number,
            status=ret.status,
            order_number=ret.order_number,
            return_address=AddressPublic.of(ret.return_address) if ret.return_address else None,
            routing=RoutingPublic.of(ret.routing) if ret.routing else None,
            items=[held(item, _ITEM_FIELDS) for item in ret.items],
            history=[held(entry, _ENTRY_FIELDS) for entry in ret.history],
            supplier_rma=SupplierRmaPublic.of(rma) if rma else None,
            updated_at=ret.updated_at,
        )


_ITEM_FIELDS = frozenset(PartnerItemPublic.model_fields)
_ENTRY_FIELDS = frozenset(HistoryEntryPublic.model_fields)


class PartnerReturnsPublic(BaseModel):
    data: list[PartnerReturnPublic]


class PartnerReceiveIn(In):
    items: Annotated[list[ReceiptIn], Field(min_length=1, max_length=500)]


class PartnerInspectIn(In):
    items: Annotated[list[InspectionIn], Field(min_length=1, max_length=500)]


class SupplierAnswerIn(In):
    accept: bool
    rma_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] = Field(
        default="", description="Accepting: the supplier's own RMA number (A-Z, 0-9, '-')."
    )
    address: AddressIn | None = Field(
        default=None, description="Accepting: where the customer sends it; else the partner's."
    )
    reason: Note = Field(default="", description="Refusing: why.")


class SupplierResolveIn(In):
    outcome: SupplierOutcome
    credit_memo: Annotated[str, StringConstraints(max_length=100)] = ""
    note: Note = ""
