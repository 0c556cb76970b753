"""The SQLAlchemy unit of work: one session, rolled back unless told to commit."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from types import TracebackType
from typing import Any, Self

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
)
from rma.adapters.alert_queries import SqlAlerts
from rma.adapters.analytics_queries import SqlAnalytics
from rma.adapters.driver_rows import DriverStatement
from rma.adapters.export_queries import SqlExports
from rma.adapters.orm_trust import audit_entries
from rma.adapters.repositories import SqlIdempotency
from rma.adapters.repositories_amazon import SqlAmazon
from rma.adapters.repositories_integrations import SqlBrokerOutbox, SqlStoreSources
from rma.adapters.risk_store import SqlRisk
from rma.adapters.row_sets import document, execute_for_rows, insert_into, recordset
from rma.adapters.schedule_queries import SqlReportSchedules
from rma.domain.errors import ConcurrentUpdate, Conflict
from rma.domain.events import Event
from rma.domain.ids import new_id
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


class IdempotencyKeyTaken(Conflict):
    """Another request committed with the same ``Idempotency-Key`` first."""

    code = "idempotency_key_in_use"


class ActionLinkUsed(Conflict):
    """Another request used the same single-use link first."""

    code = "action_link_used"


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

    def __enter__(self) -> Self:
        if self._held is not None:
            # The use case runs a second transaction: the first cannot wait for the answer
            # any longer, and the answer will be saved after (``commit_with_answer`` says so).
            self._held = None
            self.session.commit()
            self.session.close()
        self.session = self._session_factory()
        self.sellers = repositories.SqlSellers(self.session)
        self.return_addresses = repositories.SqlReturnAddresses(self.session)
        self.facilities = repositories.SqlFacilities(self.session)
        self.api_keys = repositories.SqlApiKeys(self.session)
        self.customer_sessions = repositories.SqlCustomerSessions(self.session)
        self.staff_sessions = repositories.SqlStaffSessions(self.session)
        self.policies = repositories.SqlPolicies(self.session)
        self.sku_policies = repositories.SqlSkuPolicies(self.session)
        self.reason_codes = repositories.SqlReasonCodes(self.session)
        self.products = repositories.SqlProducts(self.session)
        self.orders = repositories.SqlOrders(self.session)
        self.returns = self._returns = repositories.SqlReturns(self.session)
        self.idempotency = repositories.SqlIdempotency(self.session)
        self.amazon = SqlAmazon(self.session)
        self.outbox = repositories_events.SqlOutbox(self.session)
        self.webhook_endpoints = repositories_events.SqlWebhookEndpoints(self.session)
        self.deliveries = repositories_events.SqlDeliveries(self.session)
        self.emails = repositories_events.SqlEmails(self.session)
        self.action_tokens = repositories_events.SqlActionTokens(self.session)
        self.refunds = repositories_money.SqlRefunds(self.session)
        self.store_credit = repositories_money.SqlStoreCredit(self.session)
        self.outbound_orders = repositories_money.SqlOutboundOrders(self.session)
        self.repair_orders = repositories_money.SqlRepairOrders(self.session)
        self.carrier_sources = repositories_physical.SqlCarrierSources(self.session)
        self.tracking_events = repositories_physical.SqlTrackingEvents(self.session)
        self.physical = repositories_physical.SqlPhysicalReturns(self.session)
        self.receipts = repositories_physical.SqlReceipts(self.session)
        self.flags = repositories_physical.SqlFlags(self.session)
        self.photos = repositories_physical.SqlPhotos(self.session)
        self.inventory = repositories_physical.SqlInventory(self.session)
        self.portal_settings = repositories_customer.SqlPortalSettings(self.session)
        self.partners = repositories_partners.SqlPartners(self.session)
        self.routing_rules = repositories_partners.SqlRoutingRules(self.session)
        self.supplier_rmas = repositories_partners.SqlSupplierRmas(self.session)
        self.partner_returns = repositories_partners.SqlPartnerReturns(self.session)
        self.analytics = SqlAnalytics(self.session)
        self.exports = SqlExports(self.session)
        self.alerts = SqlAlerts(self.session)
        self.report_schedules = SqlReportSchedules(self.session)
        self.risk = SqlRisk(self.session)
        if not self._read_only:
            audit_log.watch(self.session)
            return_writes.watch(self.session)
        self.store_sources = SqlStoreSources(self.session)
        self.broker = SqlBrokerOutbox(self.session)
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
            self.session.flush()
        except StaleDataError as error:
            self.session.rollback()
            raise ConcurrentUpdate(
                "the return changed while this request was handled; read it again"
            ) from error
        except IntegrityError as error:
            self.session.rollback()
            raise Conflict("the change clashes with another one; try again") from error
        recorded = [event for aggregate in touched for event in _events(aggregate)]
        actor = (self._actor, "") if self._actor else current_actor()
        trail = audit_log.entries(self.session, actor)
        self._write_outbox([*recorded, *self._returns.saved_events], trail)
        claim = self._write_claim()
        self._write_spent_token()
        if claim is not None:
            self._held = claim
        if self._held is None:
            self.session.commit()
        # Written to the outbox: a later commit in a held transaction must not write them again.
        for aggregate in touched:
            aggregate.events.clear()
        self._returns.saved_events.clear()

    def rollback(self) -> None:
        self.session.rollback()

    def _write_outbox(self, recorded: list[Event], trail: list[dict[str, Any]]) -> None:
        """Insert the events and the audit entries of this commit.

        On PostgreSQL both go in one statement (the entries as a data-modifying CTE of the
        outbox INSERT): the audit trail costs the request no round trip of its own.
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
            _outbox_with_trail().execute(connection, documents)
            return
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
