"""The SQLAlchemy unit of work: one session, rolled back unless told to commit."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rma.adapters import orm, repositories, repositories_physical
from rma.domain.errors import ConcurrentUpdate, Conflict
from rma.domain.ids import new_id
from rma.domain.returns import Return
from rma.services.clock import utcnow
from rma.services.physical_ports import (
    CarrierSourceRepository,
    FlagRepository,
    InventoryRepository,
    PhotoRepository,
    PhysicalReturnQueries,
    ReceiptRepository,
    TrackingEventRepository,
)
from rma.services.unit_of_work import (
    ApiKeyRepository,
    CustomerSessionRepository,
    FacilityRepository,
    IdempotencyRepository,
    OrderRepository,
    PolicyRepository,
    ProductRepository,
    ReasonCodeRepository,
    ReturnAddressRepository,
    ReturnRepository,
    SellerRepository,
)


class IdempotencyKeyTaken(Conflict):
    """Another request committed with the same ``Idempotency-Key`` first."""

    code = "idempotency_key_in_use"


class SqlUnitOfWork:
    """Repositories over one session; commit also writes the outbox and any idempotency key."""

    def __init__(self, session_factory: Callable[[], Session]):
        self._session_factory = session_factory
        self._claim: tuple[str, str, str] | None = None

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

    def __enter__(self) -> Self:
        self.session = self._session_factory()
        self.sellers = repositories.SqlSellers(self.session)
        self.return_addresses = repositories.SqlReturnAddresses(self.session)
        self.facilities = repositories.SqlFacilities(self.session)
        self.api_keys = repositories.SqlApiKeys(self.session)
        self.customer_sessions = repositories.SqlCustomerSessions(self.session)
        self.policies = repositories.SqlPolicies(self.session)
        self.reason_codes = repositories.SqlReasonCodes(self.session)
        self.products = repositories.SqlProducts(self.session)
        self.orders = repositories.SqlOrders(self.session)
        self.returns = repositories.SqlReturns(self.session)
        self.idempotency = repositories.SqlIdempotency(self.session)
        self.carrier_sources = repositories_physical.SqlCarrierSources(self.session)
        self.tracking_events = repositories_physical.SqlTrackingEvents(self.session)
        self.physical = repositories_physical.SqlPhysicalReturns(self.session)
        self.receipts = repositories_physical.SqlReceipts(self.session)
        self.flags = repositories_physical.SqlFlags(self.session)
        self.photos = repositories_physical.SqlPhotos(self.session)
        self.inventory = repositories_physical.SqlInventory(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Closing rolls back what was not committed; unlike rollback() it leaves loaded
        # objects readable, so entrypoints can render what a use case returned.
        self.session.close()

    def claim_idempotency_key(self, scope: str, key: str, request_hash: str) -> None:
        self._claim = (scope, key, request_hash)

    def commit(self) -> None:
        touched = [
            obj
            for obj in (*self.session.new, *self.session.identity_map.values())
            if isinstance(obj, Return) and obj.events
        ]
        try:
            self.session.flush()
        except StaleDataError as error:
            self.session.rollback()
            raise ConcurrentUpdate(
                "the return changed while this request was handled; read it again"
            ) from error
        except IntegrityError as error:
            self.session.rollback()
            raise Conflict("the change clashes with another one; try again") from error
        self._write_outbox(touched)
        self._write_claim()
        self.session.commit()
        for ret in touched:
            ret.events.clear()

    def rollback(self) -> None:
        self.session.rollback()

    def _write_outbox(self, touched: list[Return]) -> None:
        rows = [
            {
                "id": new_id("evt"),
                "seller_id": event.seller_id,
                "event_type": event.type,
                "aggregate_id": event.return_id,
                "payload": event.payload(),
                "occurred_at": event.occurred_at,
            }
            for ret in touched
            for event in ret.events
        ]
        if rows:
            self.session.execute(insert(orm.outbox), rows)

    def _write_claim(self) -> None:
        if self._claim is None:
            return
        scope, key, request_hash = self._claim
        self._claim = None
        try:
            self.session.execute(
                insert(orm.idempotency_keys).values(
                    scope=scope, key=key, request_hash=request_hash, created_at=utcnow()
                )
            )
        except IntegrityError as error:
            self.session.rollback()
            raise IdempotencyKeyTaken(
                "a request with this Idempotency-Key was just made"
            ) from error
