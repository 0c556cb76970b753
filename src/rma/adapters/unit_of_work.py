"""The SQLAlchemy unit of work: one session, rolled back unless told to commit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cache
from types import TracebackType
from typing import Any, ClassVar, Generic, Self, TypeVar, overload

from sqlalchemy import Connection, Dialect, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from rma.adapters import (
    audit_log,
    orm,
    orm_events,
    repositories,
    repositories_customer,
    repositories_events,
    repositories_money,
    repositories_partners,
    repositories_physical,
    return_writes,
    session_loads,
)
from rma.adapters.alert_queries import SqlAlerts
from rma.adapters.analytics_queries import SqlAnalytics
from rma.adapters.driver_rows import Before, DriverStatement, ask_ahead, send_each
from rma.adapters.export_queries import SqlExports
from rma.adapters.orm_trust import audit_entries
from rma.adapters.repositories import SqlIdempotency, request_reads, term_reads
from rma.adapters.repositories_amazon import SqlAmazon
from rma.adapters.repositories_integrations import SqlBrokerOutbox, SqlStoreSources
from rma.adapters.risk_store import SqlRisk, context_reads
from rma.adapters.row_sets import document, execute_for_rows, insert_into, recordset
from rma.adapters.schedule_queries import SqlReportSchedules
from rma.domain.errors import ConcurrentUpdate, Conflict
from rma.domain.events import Event
from rma.domain.ids import new_id
from rma.domain.orders import Order
from rma.domain.returns import Return
from rma.services.acting import current_actor
from rma.services.analytics_ports import (
    AlertRepository,
    AnalyticsQueries,
    ExportQueries,
    ReportScheduleRepository,
)
from rma.services.clock import utcnow
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
from rma.services.unit_of_work import (
    AmazonRepository,
    ApiKeyRepository,
    CustomerKeys,
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
    SkuPolicyRepository,
    StaffSessionRepository,
)

R = TypeVar("R")


class IdempotencyKeyTaken(Conflict):
    """Another request committed with the same ``Idempotency-Key`` first."""

    code = "idempotency_key_in_use"


class ActionLinkUsed(Conflict):
    """Another request used the same single-use link first."""

    code = "action_link_used"


class _Repository(Generic[R]):
    """A repository of the unit of work's session, made the first time it is asked for.

    A request uses a few of the unit of work's 40-odd repositories; making them all at each
    ``with`` was 2% of an authorization (two units of work a request). Made, it is kept on
    the unit of work until its next ``with`` (``names`` lists what to forget then).
    """

    names: ClassVar[list[str]] = []

    def __init__(self, make: Callable[[Session], R]) -> None:
        self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        _Repository.names.append(name)

    @overload
    def __get__(self, uow: None, owner: type) -> Self: ...
    @overload
    def __get__(self, uow: SqlUnitOfWork, owner: type) -> R: ...
    def __get__(self, uow: SqlUnitOfWork | None, owner: type) -> R | Self:
        if uow is None:
            return self
        made = self.make(uow.session)
        uow.__dict__[self.name] = made  # found before this descriptor from now on
        return made


class SqlUnitOfWork:
    """Repositories over one session; commit also writes the outbox and any idempotency key.

    The commit that records an ``Idempotency-Key`` is held open: the change and the claim are
    written but not committed until ``commit_with_answer`` adds the answer, so the three
    commit together and a retry after any crash finds either nothing or the answer.
    """

    def __init__(
        self,
        session_factory: Callable[[], Session],
        *,
        read_only: bool = False,
        actor: str | None = None,
    ):
        self._session_factory = session_factory
        self._read_only = read_only
        self._actor = actor  # who the audit trail names; else whoever signed in to this request
        self._claim: tuple[str, str, str] | None = None
        self._spent_token: tuple[str, str] | None = None
        self._held: tuple[str, str] | None = None  # the claim waiting in an open transaction

    session: Session
    sellers = _Repository[SellerRepository](repositories.SqlSellers)
    return_addresses = _Repository[ReturnAddressRepository](repositories.SqlReturnAddresses)
    facilities = _Repository[FacilityRepository](repositories.SqlFacilities)
    api_keys = _Repository[ApiKeyRepository](repositories.SqlApiKeys)
    customer_sessions = _Repository[CustomerSessionRepository](repositories.SqlCustomerSessions)
    staff_sessions = _Repository[StaffSessionRepository](repositories.SqlStaffSessions)
    policies = _Repository[PolicyRepository](repositories.SqlPolicies)
    sku_policies = _Repository[SkuPolicyRepository](repositories.SqlSkuPolicies)
    reason_codes = _Repository[ReasonCodeRepository](repositories.SqlReasonCodes)
    products = _Repository[ProductRepository](repositories.SqlProducts)
    orders = _Repository[OrderRepository](repositories.SqlOrders)
    returns = _Repository[ReturnRepository](repositories.SqlReturns)
    idempotency = _Repository[IdempotencyRepository](repositories.SqlIdempotency)
    amazon = _Repository[AmazonRepository](SqlAmazon)
    outbox = _Repository[OutboxRepository](repositories_events.SqlOutbox)
    webhook_endpoints = _Repository[WebhookEndpointRepository](
        repositories_events.SqlWebhookEndpoints
    )
    deliveries = _Repository[DeliveryRepository](repositories_events.SqlDeliveries)
    emails = _Repository[EmailRepository](repositories_events.SqlEmails)
    action_tokens = _Repository[ActionTokenRepository](repositories_events.SqlActionTokens)
    refunds = _Repository[RefundRepository](repositories_money.SqlRefunds)
    store_credit = _Repository[StoreCreditRepository](repositories_money.SqlStoreCredit)
    outbound_orders = _Repository[OutboundOrderRepository](repositories_money.SqlOutboundOrders)
    repair_orders = _Repository[RepairOrderRepository](repositories_money.SqlRepairOrders)
    carrier_sources = _Repository[CarrierSourceRepository](repositories_physical.SqlCarrierSources)
    tracking_events = _Repository[TrackingEventRepository](repositories_physical.SqlTrackingEvents)
    physical = _Repository[PhysicalReturnQueries](repositories_physical.SqlPhysicalReturns)
    receipts = _Repository[ReceiptRepository](repositories_physical.SqlReceipts)
    flags = _Repository[FlagRepository](repositories_physical.SqlFlags)
    photos = _Repository[PhotoRepository](repositories_physical.SqlPhotos)
    inventory = _Repository[InventoryRepository](repositories_physical.SqlInventory)
    portal_settings = _Repository[PortalSettingsRepository](repositories_customer.SqlPortalSettings)
    partners = _Repository[PartnerRepository](repositories_partners.SqlPartners)
    routing_rules = _Repository[RoutingRuleRepository](repositories_partners.SqlRoutingRules)
    supplier_rmas = _Repository[SupplierRmaRepository](repositories_partners.SqlSupplierRmas)
    partner_returns = _Repository[PartnerReturnQueries](repositories_partners.SqlPartnerReturns)
    analytics = _Repository[AnalyticsQueries](SqlAnalytics)
    exports = _Repository[ExportQueries](SqlExports)
    alerts = _Repository[AlertRepository](SqlAlerts)
    report_schedules = _Repository[ReportScheduleRepository](SqlReportSchedules)
    risk = _Repository[RiskRepository](SqlRisk)
    store_sources = _Repository[StoreSourceRepository](SqlStoreSources)
    broker = _Repository[BrokerOutboxRepository](SqlBrokerOutbox)

    def __enter__(self) -> Self:
        if self._held is not None:
            # The use case runs a second transaction: the first cannot wait for the answer
            # any longer, and the answer will be saved after (``commit_with_answer`` says so).
            self._held = None
            self.session.commit()
            self.session.close()
        self.session = self._session_factory()
        # Each repository is made when the use case first asks for it (``_Repository``).
        for name in _Repository.names:
            self.__dict__.pop(name, None)
        if not self._read_only:
            audit_log.watch(self.session)
            return_writes.watch(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._held is not None and exc_type is None:
            return  # the transaction waits for its answer (``commit_with_answer``)
        self._held = None
        # Closing rolls back what was not committed; unlike rollback() it leaves loaded
        # objects readable, so entrypoints can render what a use case returned.
        self.session.close()

    def read_ahead_for_request(
        self, seller_id: str, order: Order, reason_codes: Iterable[str], customer: CustomerKeys
    ) -> None:
        """Its reads sent together (``driver_rows.ask_ahead``): one round trip, not one each."""
        skus = [line.sku for line in order.lines]
        reads = [
            *request_reads(seller_id, order.id, skus, reason_codes),
            *repositories_partners.routing_reads(seller_id),
            *context_reads(seller_id, *customer),
            *self._drawn_reads(),
        ]
        ask_ahead(self.session, reads)

    def read_ahead_for_resolution(self, ret: Return) -> None:
        """Its reads sent together (``driver_rows.ask_ahead``): one round trip, not five."""
        skus, codes = {i.sku for i in ret.items}, {i.reason_code for i in ret.items}
        reads = [
            *session_loads.order_reads(ret.seller_id, ret.order_id),
            *term_reads(ret.seller_id, skus, codes),
            *repositories_money.refunded_reads(ret.seller_id, ret.order_id, ret.id),
        ]
        ask_ahead(self.session, reads)

    def claim_idempotency_key(self, scope: str, key: str, request_hash: str) -> None:
        """Record the key with the next commit, and hold that commit for the answer."""
        self._claim = (scope, key, request_hash)

    def commit_with_answer(self, status_code: int, body: Any) -> bool:
        """Commit the held change with its answer; ``False`` if no commit is held.

        None is held when the use case failed, committed nothing, or ran more than one
        transaction; the caller then saves the answer on its own.
        """
        if self._held is None:
            return False
        scope, key = self._held
        self._held = None
        try:
            SqlIdempotency(self.session).save_response(scope, key, status_code, body)
            self.session.commit()
        finally:
            self.session.close()
        return True

    def abandon(self) -> None:
        """Roll back a held commit (the use case failed after it)."""
        if self._held is not None:
            self._held = None
            self.session.close()

    def spend_action_token(self, token_id: str, seller_id: str) -> None:
        self._spent_token = (token_id, seller_id)

    def commit(self) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        # Any aggregate with an ``events`` list (returns, refunds) has its events written, and
        # so have the returns written in bulk, which the session does not track.
        touched = [
            obj
            for obj in (*self.session.new, *self.session.identity_map.values())
            if isinstance(getattr(obj, "events", None), list) and obj.events
        ]
        try:
            # The moves go with the outbox's statement; the flush writes whatever else.
            riding = return_writes.ride(self.session)
            self.session.flush()
        except StaleDataError as error:
            raise self._lost_race(error) from error
        except IntegrityError as error:
            self.session.rollback()
            raise Conflict("the change clashes with another one; try again") from error
        recorded = [event for aggregate in touched for event in _events(aggregate)]
        actor = (self._actor, "") if self._actor else current_actor()
        trail = audit_log.entries(self.session, actor)
        last = self._claim is None and self._spent_token is None and self._held is None
        try:  # what rode with it too: the moves, new rows held for this round trip
            self._write_outbox([*recorded, *self._saved_events()], trail, riding, commit=last)
        except StaleDataError as error:
            raise self._lost_race(error) from error
        except IntegrityError as error:
            self.session.rollback()
            raise Conflict("the change clashes with another one; try again") from error
        claim = self._write_claim()
        self._write_spent_token()
        if claim is not None:
            self._held = claim
        if self._held is None:
            self.session.commit()  # on PostgreSQL often ended with the outbox's statement
        # Written to the outbox: a later commit in a held transaction must not write them again.
        for aggregate in touched:
            aggregate.events.clear()
        self._saved_events().clear()

    def rollback(self) -> None:
        self.session.rollback()

    def _lost_race(self, error: StaleDataError) -> ConcurrentUpdate:
        """A return moved by another request since this one read it: nothing is written."""
        self.session.rollback()
        return ConcurrentUpdate("the return changed while this request was handled; read it again")

    def _drawn_reads(self) -> list[Any]:
        """Whether the RMA numbers drawn ahead are taken (none if the returns' repository was
        not used): ``SqlReturns.drawn_reads``."""
        returns = self.__dict__.get("returns")
        return returns.drawn_reads() if returns is not None else []

    def _saved_events(self) -> list[Event]:
        """Events of returns the returns' repository wrote itself (none if it was not used)."""
        returns = self.__dict__.get("returns")
        return returns.saved_events if returns is not None else []

    def _write_outbox(
        self,
        recorded: list[Event],
        trail: list[dict[str, Any]],
        riding: list[Before],
        *,
        commit: bool,
    ) -> None:
        """Write the moves (``riding``), then insert the events and the audit entries.

        On PostgreSQL the events and entries go in one statement (the entries as a
        data-modifying CTE of the outbox INSERT), sent after the moves in their round trip:
        neither the moves nor the audit trail cost the request a round trip of their own.
        When nothing is written after it (``commit``), the ``COMMIT`` goes along too.
        """
        # Ids made in one millisecond differ in random bits only: sort them so the ids
        # follow the order the events happened in (the event log and the worker rely on it).
        ids = sorted(new_id("evt") for _ in recorded)
        rows = [
            {
                "id": event_id,
                "seller_id": event.seller_id,
                "event_type": event.type,
                "aggregate_id": event.return_id,
                "payload": event.payload(),
                "occurred_at": event.occurred_at,
            }
            for event_id, event in zip(ids, recorded, strict=True)
        ]
        connection = self.session.connection()
        if trail and rows and connection.dialect.name == "postgresql":
            documents = {
                "events": document(connection.dialect, orm.outbox, rows),
                "entries": document(connection.dialect, audit_entries, trail),
            }
            with return_writes.stale_as_the_orm_says():
                _outbox_with_trail().execute(connection, documents, commit=commit, before=riding)
            return
        with return_writes.stale_as_the_orm_says():  # each move alone, then what follows
            send_each(connection, riding)
        if trail and connection.dialect.name == "sqlite":
            _insert_entries(connection, trail)
        elif trail:  # PostgreSQL, a commit that recorded no event
            connection.execute(_AUDIT_INSERT, trail)
        # One statement for however many events: a bulk authorization records thousands.
        execute_for_rows(connection, orm.outbox, rows, insert_into(orm.outbox))

    def _write_claim(self) -> tuple[str, str] | None:
        if self._claim is None:
            return None
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
        return scope, key

    def _write_spent_token(self) -> None:
        if self._spent_token is None:
            return
        token_id, seller_id = self._spent_token
        self._spent_token = None
        try:
            self.session.execute(
                insert(orm_events.used_action_tokens).values(
                    token_id=token_id, seller_id=seller_id, used_at=utcnow()
                )
            )
        except IntegrityError as error:
            self.session.rollback()
            raise ActionLinkUsed("this link was used already") from error


_EVENT_COLUMNS = ("id", "seller_id", "event_type", "aggregate_id", "payload", "occurred_at")
_ENTRY_COLUMNS = (
    "id",
    "seller_id",
    "entity",
    "entity_id",
    "action",
    "actor",
    "occurred_at",
    "body",
)

_AUDIT_INSERT = insert(audit_entries)  # built once: built per commit, it is keyed each time
# SQLite: the driver's own statement (see ``_insert_entries``).
_INSERT_ENTRIES = (
    f"INSERT INTO audit_entries ({', '.join(_ENTRY_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _ENTRY_COLUMNS)})"
)


def _insert_entries(connection: Connection, trail: list[dict[str, Any]]) -> None:
    """SQLite: the entries straight to the driver, in the transaction of the change.

    Through SQLAlchemy's executemany the statement cost about twice what SQLite takes to run
    it. Every value is text but the time, which the column's own type converts.
    """
    as_stored = _time_as_stored(connection.dialect)
    rows = [
        tuple(
            as_stored(entry[name]) if name == "occurred_at" else entry[name]
            for name in _ENTRY_COLUMNS
        )
        for entry in trail
    ]
    connection.exec_driver_sql(_INSERT_ENTRIES, rows)


@cache
def _time_as_stored(dialect: Dialect) -> Callable[[Any], Any]:
    convert = audit_entries.c.occurred_at.type.bind_processor(dialect)
    assert convert is not None
    return convert


@cache
def _outbox_with_trail() -> DriverStatement:
    """PostgreSQL: the events and the audit entries of a commit, in one statement."""
    entries = insert(audit_entries).from_select(
        _ENTRY_COLUMNS, recordset(audit_entries, _ENTRY_COLUMNS, "entries")
    )
    return DriverStatement(
        insert(orm.outbox)
        .from_select(_EVENT_COLUMNS, recordset(orm.outbox, _EVENT_COLUMNS, "events"))
        .add_cte(entries.cte("audit_written"))
    )


def _events(aggregate: Any) -> list[Event]:
    events: list[Event] = aggregate.events
    return events
