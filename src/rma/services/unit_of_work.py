"""What the use cases ask of storage: repositories inside one transaction.

The unit of work rolls back unless told to commit, and on commit it writes the events the
touched returns recorded to the outbox, in the same transaction as the change.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from rma.domain.access import ApiKey, CustomerSession
from rma.domain.addresses import Facility, ReturnAddress
from rma.domain.orders import Order, Product
from rma.domain.returns import Return
from rma.domain.sellers import CategoryPolicy, ReasonCode, Seller
from rma.domain.statuses import ReturnStatus
from rma.services.physical_ports import (
    CarrierSourceRepository,
    FlagRepository,
    InventoryRepository,
    PhotoRepository,
    PhysicalReturnQueries,
    ReceiptRepository,
    TrackingEventRepository,
)


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
    search: str | None = None  # RMA number, order number or tracking number


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


class ReturnAddressRepository(Protocol):
    def add(self, address: ReturnAddress) -> None: ...
    def get(self, seller_id: str, address_id: str) -> ReturnAddress | None: ...
    def all(self, seller_id: str) -> list[ReturnAddress]: ...


class FacilityRepository(Protocol):
    def add(self, facility: Facility) -> None: ...
    def get(self, seller_id: str, code: str) -> Facility | None: ...
    def all(self, seller_id: str) -> list[Facility]: ...


class ApiKeyRepository(Protocol):
    def add(self, key: ApiKey) -> None: ...
    def by_hash(self, secret_hash: str) -> ApiKey | None: ...


class CustomerSessionRepository(Protocol):
    def add(self, session: CustomerSession) -> None: ...
    def by_hash(self, token_hash: str) -> CustomerSession | None: ...


class PolicyRepository(Protocol):
    def all(self, seller_id: str) -> list[CategoryPolicy]: ...
    def get(self, seller_id: str, category: str) -> CategoryPolicy | None: ...
    def add(self, policy: CategoryPolicy) -> None: ...


class ReasonCodeRepository(Protocol):
    def all(self, seller_id: str) -> list[ReasonCode]: ...
    def add_all(self, codes: Iterable[ReasonCode]) -> None: ...


class ProductRepository(Protocol):
    def add(self, product: Product) -> None: ...
    def get(self, seller_id: str, sku: str) -> Product | None: ...
    def categories(self, seller_id: str, skus: Iterable[str]) -> dict[str, str | None]: ...


class OrderRepository(Protocol):
    def add(self, order: Order) -> None: ...
    def get(self, seller_id: str, order_id: str) -> Order | None: ...
    def by_number(self, seller_id: str, number: str, *, lock: bool = False) -> Order | None: ...
    def by_number_any_seller(self, number: str) -> list[Order]: ...


class ReturnRepository(Protocol):
    def add(self, ret: Return) -> None: ...
    def get(self, seller_id: str, return_id: str) -> Return | None: ...
    def by_rma_number(self, seller_id: str, rma_number: str) -> Return | None: ...
    def for_order(self, seller_id: str, order_id: str) -> list[Return]: ...
    def rma_number_taken(self, seller_id: str, rma_number: str) -> bool: ...
    def page(
        self, seller_id: str, where: ReturnFilter, *, after: str | None, limit: int
    ) -> list[Return]: ...
    def count_by_status(self, seller_id: str) -> dict[str, int]: ...
    def due_for_expiry(self, now: datetime) -> list[Return]: ...


class IdempotencyRepository(Protocol):
    def get(self, scope: str, key: str) -> IdempotencyRecord | None: ...
    def save_response(self, scope: str, key: str, status_code: int, body: Any) -> None: ...


class UnitOfWork(Protocol):
    """One transaction's worth of repositories."""

    sellers: SellerRepository
    return_addresses: ReturnAddressRepository
    facilities: FacilityRepository
    api_keys: ApiKeyRepository
    customer_sessions: CustomerSessionRepository
    policies: PolicyRepository
    reason_codes: ReasonCodeRepository
    products: ProductRepository
    orders: OrderRepository
    returns: ReturnRepository
    idempotency: IdempotencyRepository
    carrier_sources: CarrierSourceRepository
    tracking_events: TrackingEventRepository
    physical: PhysicalReturnQueries
    receipts: ReceiptRepository
    flags: FlagRepository
    photos: PhotoRepository
    inventory: InventoryRepository

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def claim_idempotency_key(self, scope: str, key: str, request_hash: str) -> None:
        """Make the next commit also record this key, so a second commit of it fails."""

    def commit(self) -> None: ...

    def rollback(self) -> None: ...
