"""Sellers, their return settings, category policies and reason codes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

T = TypeVar("T")


class SellerKind(StrEnum):
    PROFESSIONAL = "professional"  # in-policy requests are always authorized automatically
    INDIVIDUAL = "individual"  # chooses manual or automatic authorization


class AuthorizationMode(StrEnum):
    AUTOMATIC = "automatic"  # the policy decides; in-policy requests are authorized at once
    MANUAL = "manual"  # every request waits for a person (individual sellers only)


class OutOfPolicyHandling(StrEnum):
    REVIEW = "review"  # out-of-policy requests wait in the review queue
    AUTHORIZE = "authorize"  # they are authorized anyway; the violations are still recorded


class LabelDefault(StrEnum):
    UNPAID = "unpaid"  # rma generates a label; the customer pays postage
    PREPAID = "prepaid"  # the seller uploads a prepaid label


class LabelPayer(StrEnum):
    BY_FAULT = "by_fault"  # the buyer for buyer-fault reasons, the seller otherwise
    BUYER = "buyer"  # the customer always pays the return postage
    SELLER = "seller"  # the seller always pays


class ResolutionTrigger(StrEnum):
    FIRST_SCAN = "first_scan"  # the carrier's first scan of the package
    RECEIPT = "receipt"  # every authorized unit arrived at the facility
    INSPECTION = "inspection"  # every received unit was inspected


class PaymentGatewayKind(StrEnum):
    MANUAL = "manual"  # rma records the refund; the seller pays and confirms it
    WEBHOOK = "webhook"  # rma asks the seller's system over signed HTTP


class Fault(StrEnum):
    BUYER = "buyer"  # the customer changed their mind or ordered wrong
    SELLER = "seller"  # wrong, defective or not as described
    CARRIER = "carrier"  # damaged or lost in transit


DEFAULT_WINDOW_DAYS = 30
DEFAULT_TRANSIT_DAYS = 15


@dataclass(eq=False)
class Seller:
    """A tenant: one shop, or one seller of a marketplace."""

    id: str
    name: str
    kind: SellerKind
    created_at: datetime
    authorization_mode: AuthorizationMode = AuthorizationMode.AUTOMATIC
    out_of_policy: OutOfPolicyHandling = OutOfPolicyHandling.REVIEW
    window_days: int = DEFAULT_WINDOW_DAYS
    transit_days: int = DEFAULT_TRANSIT_DAYS
    timezone: str = "UTC"
    label_default: LabelDefault = LabelDefault.UNPAID
    default_return_address_id: str | None = None
    notification_email: str | None = None  # where the seller's own emails go; None: none sent
    email_preferences: list[str] = field(
        default_factory=lambda: ["return.pending_review", "return.received"]
    )  # the event types the seller is emailed about
    resolution_trigger: ResolutionTrigger = ResolutionTrigger.INSPECTION
    keep_item_max_value: int = 0  # minor units; items worth at most this may be kept
    store_credit_bonus_percent: int = 0  # extra credit for choosing credit over a refund
    payment_gateway: PaymentGatewayKind = PaymentGatewayKind.MANUAL
    payment_webhook_url: str | None = None
    payment_webhook_secret: str = ""  # signs refund requests to payment_webhook_url

    @property
    def authorization_mode_in_force(self) -> AuthorizationMode:
        """Professional sellers are always automatic; individual sellers choose."""
        if self.kind is SellerKind.PROFESSIONAL:
            return AuthorizationMode.AUTOMATIC
        return self.authorization_mode


@dataclass(eq=False)
class CategoryPolicy:
    """How returns of one product category are treated by one seller."""

    seller_id: str
    category: str
    window_days: int = DEFAULT_WINDOW_DAYS
    returnable: bool = True
    restocking_fee_percent: int = 0
    label_paid_by: LabelPayer = LabelPayer.BY_FAULT


@dataclass(eq=False)
class SkuPolicy:
    """Overrides for one SKU; ``None`` keeps what the SKU's category says."""

    seller_id: str
    sku: str
    window_days: int | None = None
    returnable: bool | None = None
    restocking_fee_percent: int | None = None
    label_paid_by: LabelPayer | None = None
    # Outside the prepaid-label programme: such requests are authorized the way the seller
    # chose for these SKUs, whatever the seller's general mode.
    prepaid_label_exempt: bool = False
    exempt_authorization: AuthorizationMode = AuthorizationMode.MANUAL


@dataclass(frozen=True)
class EffectivePolicy:
    """What applies to one SKU once its category and its own overrides are combined."""

    window_days: int
    returnable: bool
    restocking_fee_percent: int
    label_paid_by: LabelPayer
    authorization_override: AuthorizationMode | None  # set for prepaid-label-exempt SKUs

    @classmethod
    def of(
        cls, seller: Seller, category: CategoryPolicy | None, sku: SkuPolicy | None
    ) -> EffectivePolicy:
        base = cls(
            window_days=category.window_days if category else seller.window_days,
            returnable=category.returnable if category else True,
            restocking_fee_percent=category.restocking_fee_percent if category else 0,
            label_paid_by=category.label_paid_by if category else LabelPayer.BY_FAULT,
            authorization_override=None,
        )
        if sku is None:
            return base
        return cls(
            window_days=_first(sku.window_days, base.window_days),
            returnable=_first(sku.returnable, base.returnable),
            restocking_fee_percent=_first(sku.restocking_fee_percent, base.restocking_fee_percent),
            label_paid_by=_first(sku.label_paid_by, base.label_paid_by),
            authorization_override=sku.exempt_authorization if sku.prepaid_label_exempt else None,
        )


def label_payer(rules: Iterable[tuple[LabelPayer, Fault]]) -> LabelPayer:
    """Who pays a return's label, from each item's label rule and its reason's fault.

    ``by_fault`` puts the label on the buyer for a buyer-fault reason, on the seller
    otherwise. One box travels on one label, so the buyer pays only when every item's rule
    says so.
    """

    def buyer_pays(rule: LabelPayer, fault: Fault) -> bool:
        return rule is LabelPayer.BUYER or (rule is LabelPayer.BY_FAULT and fault is Fault.BUYER)

    said = [buyer_pays(rule, fault) for rule, fault in rules]
    return LabelPayer.BUYER if said and all(said) else LabelPayer.SELLER


def _first(override: T | None, default: T) -> T:
    return default if override is None else override


@dataclass(eq=False)
class ReasonCode:
    """Why a customer returns something, and whose fault that is."""

    seller_id: str
    code: str
    description: str
    fault: Fault
    categories: list[str] | None = None  # None: valid for every category
    active: bool = True  # retired codes stay on old returns but cannot be chosen

    def applies_to(self, category: str | None) -> bool:
        """Whether this reason may be given for an item of ``category``."""
        if not self.active:
            return False
        return self.categories is None or (category is not None and category in self.categories)


DEFAULT_REASON_CODES: tuple[tuple[str, str, Fault], ...] = (
    ("CR-UNWANTED_ITEM", "No longer needed/wanted", Fault.BUYER),
    ("CR-ORDERED_WRONG_ITEM", "Accidental order", Fault.BUYER),
    ("CR-FOUND_BETTER_PRICE", "Better price available", Fault.BUYER),
    ("CR-UNAUTHORIZED_PURCHASE", "Unauthorized purchase", Fault.BUYER),
    ("CR-DEFECTIVE", "Defective/Does not work properly", Fault.SELLER),
    ("AMZ-PG-BAD-DESC", "Different from website description", Fault.SELLER),
    ("CR-MISSING_PARTS", "Missing parts or accessories", Fault.SELLER),
    ("CR-SWITCHEROO", "Different from what was ordered", Fault.SELLER),
    ("CR-EXTRA_ITEM", "Arrived in addition to what was ordered", Fault.SELLER),
    ("CR-DAMAGED_BY_FC", "Damaged due to inappropriate packaging", Fault.SELLER),
    ("CR-DAMAGED_BY_CARRIER", "Damaged during shipping", Fault.CARRIER),
    ("CR-MISSED_ESTIMATED_DELIVERY", "Missed estimated delivery date", Fault.CARRIER),
)


def default_reason_codes(seller_id: str) -> list[ReasonCode]:
    """The catalogue every new seller starts with."""
    return [ReasonCode(seller_id, code, text, fault) for code, text, fault in DEFAULT_REASON_CODES]
