"""What the use cases ask of storage: repositories inside one transaction.

The unit of work rolls back unless told to commit, and on commit it writes the events the
touched returns recorded to the outbox, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Any, Protocol, Self

from rma.domain.access import ApiKey, CustomerSession, StaffSession
from rma.domain.addresses import Facility, ReturnAddress
from rma.domain.amazon import AmazonAccessToken, AmazonCredential, FulfillmentOrderDetails
from rma.domain.authorization import Authorization
from rma.domain.orders import Order, Product
from rma.domain.returns import Resolution, Return
from rma.domain.sellers import CategoryPolicy, LabelDefault, ReasonCode, Seller, SkuPolicy
from rma.domain.statuses import ReturnStatus
from rma.services.analytics_ports import (
    AlertRepository,
    AnalyticsQueries,
    ExportQueries,
    ReportScheduleRepository,
)
from rma.services.customer_ports import PortalSettingsRepository
from rma.services.event_ports import (
    ActionTokenRepository,
    DeliveryRepository,
    EmailRepository,
    OutboxRepository,
    WebhookEndpointRepository,
)
from rma.services.integration_ports import BrokerOutboxRepository, StoreSourceRepository
from rma.services.money_repositories import (
    OutboundOrderRepository,
    RefundRepository,
    RepairOrderRepository,
    StoreCreditRepository,
)
from rma.services.partner_ports import (
    PartnerRepository,
    PartnerReturnQueries,
    RoutingRuleRepository,
    SupplierRmaRepository,
)
from rma.services.physical_ports import (
    CarrierSourceRepository,
    FlagRepository,
    InventoryRepository,
    PhotoRepository,
    PhysicalReturnQueries,
    ReceiptRepository,
    TrackingEventRepository,
)
from rma.services.risk_ports import RiskRepository

# A customer as the risk rules know one: the order's email and its normalized form, and the
# normalized shipping address ("" unknown); see ``risk.customer_keys``.
CustomerKeys = tuple[Sequence[str], str]


class ReturnSort(StrEnum):
    NEWEST = "-created_at"  # newest requests first (the default)
    OLDEST = "created_at"  # oldest first: the review queue in arrival order
    RECENTLY_UPDATED = "-updated_at"  # most recently moved first
    LEAST_RECENTLY_UPDATED = "updated_at"  # stalest first

    @property
    def field(self) -> str:
        return self.value.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.value.startswith("-")


@dataclass(frozen=True)
class ReturnFilter:
    """Which returns a list shows."""

    status: Sequence[ReturnStatus] = ()
    order_id: str | None = None
    order_number: str | None = None
    customer_email: str | None = None
    in_policy: bool | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    search: str | None = None  # part of the RMA/order/tracking number, email or name; any case
    violation: str | None = None  # a violation code the return's items broke
    reason_code: str | None = None
    sku: str | None = None
    sort: ReturnSort = ReturnSort.NEWEST


@dataclass(frozen=True)
class Cursor:
    """Where a page ended: the sort value and the id of its last return."""

    value: datetime
    id: str


@dataclass(frozen=True, slots=True)
class ItemToAuthorize:
    """An item of a return about to be authorized, as bulk authorization reads it."""

    id: str
    requested_quantity: int
    unit_price: int


@dataclass(frozen=True, slots=True)
class ReturnToAuthorize:
    """A return about to be authorized in bulk: plain values, not a tracked aggregate.

    It is what ``decide_authorization`` and the automatic resolutions need to know, read
    (and locked) in one query for thousands of returns.
    """

    id: str
    seller_id: str
    status: ReturnStatus
    resolution: Resolution
    label_type: LabelDefault | None
    window_closes_at: datetime | None
    items: tuple[ItemToAuthorize, ...]


@dataclass(frozen=True)
class IdempotencyRecord:
    """The first answer given to a request carrying an ``Idempotency-Key``."""

    scope: str
    key: str
    request_hash: str
    status_code: int | None
    body: Any
    created_at: datetime


class SellerRepository(Protocol):
    def add(self, seller: Seller) -> None: ...
    def get(self, seller_id: str) -> Seller | None: ...
    def settings(self, seller_id: str) -> Seller | None:
        """The seller as read now, not tracked: for a use case that changes nothing of it."""


class ReturnAddressRepository(Protocol):
    def add(self, address: ReturnAddress) -> None: ...
    def get(self, seller_id: str, address_id: str) -> ReturnAddress | None: ...
    def all(self, seller_id: str) -> list[ReturnAddress]: ...
    def remove(self, address: ReturnAddress) -> None: ...


class FacilityRepository(Protocol):
    def add(self, facility: Facility) -> None: ...
    def get(self, seller_id: str, code: str) -> Facility | None: ...
    def all(self, seller_id: str) -> list[Facility]: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def by_hash(self, secret_hash: str) -> ApiKey | None: ...
    def get(self, key_id: str) -> ApiKey | None: ...
    def listed(self, seller_id: str | None) -> list[ApiKey]:
        """A seller's keys, oldest first; ``None``: every key of the platform."""
        ...

    def of_seller(self, seller_id: str, key_ids: Iterable[str]) -> list[ApiKey]: ...


class CustomerSessionRepository(Protocol):
    def add(self, session: CustomerSession) -> None: ...
    def by_hash(self, token_hash: str) -> CustomerSession | None: ...


class StaffSessionRepository(Protocol):
    def add(self, staff_session: StaffSession) -> None: ...
    def by_hash(self, token_hash: str) -> StaffSession | None: ...
    def remove(self, token_hash: str) -> None: ...


class PolicyRepository(Protocol):
    def all(self, seller_id: str) -> list[CategoryPolicy]: ...
    def for_categories(self, seller_id: str, categories: Iterable[str]) -> list[CategoryPolicy]: ...
    def get(self, seller_id: str, category: str) -> CategoryPolicy | None: ...
    def add(self, policy: CategoryPolicy) -> None: ...
    def remove(self, policy: CategoryPolicy) -> None: ...


class SkuPolicyRepository(Protocol):
    def all(self, seller_id: str) -> list[SkuPolicy]: ...
    def for_skus(self, seller_id: str, skus: Iterable[str]) -> list[SkuPolicy]: ...
    def get(self, seller_id: str, sku: str) -> SkuPolicy | None: ...
    def add(self, policy: SkuPolicy) -> None: ...
    def remove(self, policy: SkuPolicy) -> None: ...


class ReasonCodeRepository(Protocol):
    def all(self, seller_id: str) -> list[ReasonCode]: ...
    def among(self, seller_id: str, codes: Iterable[str]) -> list[ReasonCode]: ...
    def get(self, seller_id: str, code: str) -> ReasonCode | None: ...
    def add(self, code: ReasonCode) -> None: ...
    def add_all(self, codes: Iterable[ReasonCode]) -> None: ...


class ProductRepository(Protocol):
    def add(self, product: Product) -> None: ...
    def get(self, seller_id: str, sku: str) -> Product | None: ...
    def in_category(self, seller_id: str, category: str | None, limit: int) -> list[Product]: ...
    def categories(self, seller_id: str, skus: Iterable[str]) -> dict[str, str | None]: ...
    def in_categories(self, seller_id: str, categories: Iterable[str]) -> list[Product]: ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def get(self, seller_id: str, order_id: str) -> Order | None: ...
    def by_number(self, seller_id: str, number: str, *, lock: bool = False) -> Order | None: ...
    def to_return_from(self, seller_id: str, number: str) -> Order | None:
        """The order locked for a return request, as an untracked snapshot: never change it."""

    def by_number_any_seller(self, number: str) -> list[Order]: ...
    def by_numbers(self, seller_id: str, numbers: Sequence[str]) -> list[Order]:
        """The seller's orders among ``numbers``, with their lines and shipments."""


class ReturnRepository(Protocol):
    def add(self, ret: Return) -> None: ...
    def get(self, seller_id: str, return_id: str) -> Return | None: ...
    def by_rma_number(self, seller_id: str, rma_number: str) -> Return | None: ...
    def for_order(self, seller_id: str, order_id: str) -> list[Return]: ...
    def rma_number_taken(self, seller_id: str, rma_number: str) -> bool: ...
    def draw_rma_number(self, seller_id: str) -> None:
        """Draw the number the seller's next authorization tries first; the storage may ask
        whether it is taken with the reads it makes next."""

    def unused_rma_number(self, seller_id: str) -> str:
        """A number none of the seller's returns has: the one drawn, if it is free."""

    def ids_matching(self, seller_id: str, where: ReturnFilter, limit: int) -> list[str]: ...
    def count_matching(
        self, seller_id: str, where: ReturnFilter, *, up_to: int | None = None
    ) -> int:
        """How many returns the filter shows; counting stops at ``up_to``, when given."""

    def page(
        self, seller_id: str, where: ReturnFilter, *, after: Cursor | None, limit: int
    ) -> list[Return]: ...
    def to_authorize(self, seller_id: str, return_ids: Sequence[str]) -> list[ReturnToAuthorize]:
        """The seller's returns among ``return_ids``, locked until commit, as plain values."""

    def save_authorizations(self, authorizations: Sequence[Authorization]) -> None:
        """Write authorizations of returns read by ``to_authorize``, a few statements in all.

        ``ConcurrentUpdate`` if one of them changed since it was read; their events reach the
        outbox on commit like any other.
        """

    def rma_numbers_taken(self, seller_id: str, numbers: Sequence[str]) -> set[str]: ...
    def count_by_status(self, seller_id: str, *, up_to: int | None = None) -> dict[str, int]:
        """The seller's returns by status (none: left out); each at most ``up_to``, if given."""

    def count_by_reason(self, seller_id: str) -> dict[str, int]:
        """Returned items of each reason code, over all the seller's returns."""

    def due_for_expiry(self, now: datetime) -> list[Return]: ...


class IdempotencyRepository(Protocol):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...
    def save_response(self, scope: str, key: str, status_code: int, body: Any) -> None: ...


class AmazonRepository(Protocol):
    """Fulfillment order details, LWA credentials and access tokens."""

    def add_details(self, details: FulfillmentOrderDetails) -> None: ...
    def details(self, seller_id: str, order_id: str) -> FulfillmentOrderDetails | None: ...
    def orders_page(
        self, seller_id: str, updated_from: datetime | None, *, after: str | None, limit: int
    ) -> list[Order]: ...
    def add_credential(self, credential: AmazonCredential) -> None: ...
    def credential(self, client_id: str) -> AmazonCredential | None: ...
    def add_access_token(self, token: AmazonAccessToken) -> None: ...
    def access_token(self, token_hash: str) -> AmazonAccessToken | None: ...
    def prune_access_tokens(self, client_id: str, now: datetime) -> None: ...


class UnitOfWork(Protocol):
    """One transaction's worth of repositories."""

    sellers: SellerRepository
    return_addresses: ReturnAddressRepository
    facilities: FacilityRepository
    api_keys: ApiKeyRepository
    customer_sessions: CustomerSessionRepository
    staff_sessions: StaffSessionRepository
    policies: PolicyRepository
    sku_policies: SkuPolicyRepository
    reason_codes: ReasonCodeRepository
    products: ProductRepository
    orders: OrderRepository
    returns: ReturnRepository
    idempotency: IdempotencyRepository
    amazon: AmazonRepository
    outbox: OutboxRepository
    webhook_endpoints: WebhookEndpointRepository
    deliveries: DeliveryRepository
    emails: EmailRepository
    action_tokens: ActionTokenRepository
    refunds: RefundRepository
    store_credit: StoreCreditRepository
    outbound_orders: OutboundOrderRepository
    repair_orders: RepairOrderRepository
    carrier_sources: CarrierSourceRepository
    tracking_events: TrackingEventRepository
    physical: PhysicalReturnQueries
    receipts: ReceiptRepository
    flags: FlagRepository
    photos: PhotoRepository
    inventory: InventoryRepository
    portal_settings: PortalSettingsRepository
    partners: PartnerRepository
    routing_rules: RoutingRuleRepository
    supplier_rmas: SupplierRmaRepository
    partner_returns: PartnerReturnQueries
    analytics: AnalyticsQueries
    exports: ExportQueries
    alerts: AlertRepository
    report_schedules: ReportScheduleRepository
    risk: RiskRepository
    store_sources: StoreSourceRepository
    broker: BrokerOutboxRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def claim_idempotency_key(self, scope: str, key: str, request_hash: str) -> None:
        """Make the next commit also record this key, so a second commit of it fails."""

    def read_ahead_for_request(
        self, seller_id: str, order: Order, reason_codes: Iterable[str], customer: CustomerKeys
    ) -> None:
        """Read at once, where the storage can, what a return request of ``order`` reads next:
        the reason codes, the products and SKU policies of its lines, its earlier returns,
        whether the seller routes returns, and the risk settings and history of ``customer``
        (``risk.customer_keys``)."""

    def read_ahead_for_resolution(self, ret: Return) -> None:
        """Read at once, where the storage can, what resolving ``ret`` reads next: its order,
        the reason codes, products and SKU policies of its items, and what the order's
        other returns refunded."""

    def spend_action_token(self, token_id: str, seller_id: str) -> None:
        """Make the next commit also record this single-use link as used (once only)."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
