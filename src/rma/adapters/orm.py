"""Tables, and the mapping of the domain's plain classes onto them.

Every seller-owned table carries ``seller_id`` in its primary key, its unique keys and its
foreign keys, and children reference their parent through ``(seller_id, parent_id)``, so the
schema can be distributed by seller (docs/operations.md) and no join can cross sellers;
``tests/integration/test_distribution_keys.py`` reads the migrated schema to hold this.
``start_mappers()`` maps the domain classes once; nothing happens at import time.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Enum,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import registry, relationship

from rma.adapters.crypto import EncryptedJSON, EncryptedText
from rma.domain.access import ApiKey, CustomerSession, Role, StaffSession
from rma.domain.addresses import Address, Facility, ReturnAddress
from rma.domain.orders import Order, OrderLine, Product, Shipment, ShipmentItem
from rma.domain.returns import (
    Condition,
    DenyReason,
    Disposition,
    HistoryEntry,
    Resolution,
    Return,
    ReturnItem,
)
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
from rma.domain.statuses import ReturnStatus


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class AddressType(TypeDecorator[Address]):
    """An ``Address`` kept as a JSON object."""

    impl = JSON
    cache_ok = True

    def process_bind_param(self, value: Address | None, dialect: Dialect) -> Any:
        return value.as_dict() if value is not None else None

    def process_result_value(self, value: Any, dialect: Dialect) -> Address | None:
        return Address(**value) if value is not None else None


def _enum(kind: type[StrEnum]) -> Enum:
    return Enum(
        kind,
        native_enum=False,
        create_constraint=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
    )


metadata: MetaData = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID: String = String(40)

sellers = Table(
    "sellers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("kind", _enum(SellerKind), nullable=False),
    Column("authorization_mode", _enum(AuthorizationMode), nullable=False),
    Column("out_of_policy", _enum(OutOfPolicyHandling), nullable=False),
    Column("window_days", Integer, nullable=False),
    Column("transit_days", Integer, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("label_default", _enum(LabelDefault), nullable=False),
    Column("default_return_address_id", ID),
    Column("resolution_trigger", _enum(ResolutionTrigger), nullable=False, default="inspection"),
    Column("keep_item_max_value", BigInteger, nullable=False, default=0),
    Column("store_credit_bonus_percent", Integer, nullable=False, default=0),
    Column("payment_gateway", _enum(PaymentGatewayKind), nullable=False, default="manual"),
    Column("payment_webhook_url", String(500)),
    Column("payment_webhook_secret", EncryptedText, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("notification_email", String(320)),
    Column("email_preferences", JSON, nullable=False, default=list),
)

return_addresses = Table(
    "return_addresses",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True, index=True),
    Column("label", String(100), nullable=False),
    Column("address", AddressType, nullable=False),
)

facilities = Table(
    "facilities",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("address", AddressType, nullable=False),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, index=True),
    Column("role", _enum(Role), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("partner_id", ID),  # a partner key's supplier or 3PL (0007)
)

customer_sessions = Table(
    "customer_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("seller_id", ID, nullable=False),
    Column("order_id", ID, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("key_id", ID, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
)

category_policies = Table(
    "category_policies",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("category", String(100), primary_key=True),
    Column("window_days", Integer, nullable=False),
    Column("returnable", Boolean, nullable=False),
    Column("restocking_fee_percent", Integer, nullable=False),
    Column("label_paid_by", _enum(LabelPayer), nullable=False),
)

sku_policies = Table(
    "sku_policies",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("window_days", Integer),
    Column("returnable", Boolean),
    Column("restocking_fee_percent", Integer),
    Column("label_paid_by", _enum(LabelPayer)),
    Column("prepaid_label_exempt", Boolean, nullable=False),
    Column("exempt_authorization", _enum(AuthorizationMode), nullable=False),
)

reason_codes = Table(
    "reason_codes",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("fault", _enum(Fault), nullable=False),
    Column("categories", JSON),
    Column("active", Boolean, nullable=False),
)

products = Table(
    "products",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("sku", String(100), primary_key=True),
    Column("name", String(300), nullable=False),
    Column("category", String(100)),
    Column("asin", String(20)),  # Amazon's product id, for the Amazon return reports
    Column("fnsku", String(20)),  # Amazon's fulfillment SKU, likewise
)

orders = Table(
    "orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("number", String(100), nullable=False, index=True),
    Column("customer_email", String(320), nullable=False),
    Column("customer_name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("ordered_at", UtcDateTime, nullable=False),
    Column("shipping_amount", BigInteger, nullable=False, default=0),
    Column("shipping_address", AddressType),
    UniqueConstraint("seller_id", "number"),
    UniqueConstraint("seller_id", "id"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seller_id", ID, primary_key=True),
    Column("order_id", ID, nullable=False),
    Column("line_id", String(100), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("name", String(300), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("tax_per_unit", BigInteger, nullable=False),
    ForeignKeyConstraint(["seller_id", "order_id"], ["orders.seller_id", "orders.id"]),
    UniqueConstraint("seller_id", "order_id", "line_id"),
    Index("ix_order_lines_seller_id_sku", "seller_id", "sku"),
)

shipments = Table(
    "shipments",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("id", ID, primary_key=True),  # the seller's own shipment id, or a generated one
    Column("order_id", ID, nullable=False),
    Column("shipped_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Column("carrier", String(64)),
    Column("tracking_number", String(100)),
    Column("facility_code", String(40)),
    ForeignKeyConstraint(["seller_id", "order_id"], ["orders.seller_id", "orders.id"]),
    Index("ix_shipments_seller_id_order_id", "seller_id", "order_id"),
    Index("ix_shipments_seller_id_shipped_at", "seller_id", "shipped_at"),
)

shipment_items = Table(
    "shipment_items",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seller_id", ID, primary_key=True),
    Column("shipment_id", ID, nullable=False),
    Column("line_id", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    ForeignKeyConstraint(["seller_id", "shipment_id"], ["shipments.seller_id", "shipments.id"]),
    Index("ix_shipment_items_seller_id_shipment_id", "seller_id", "shipment_id"),
)

returns = Table(
    "returns",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("order_id", ID, nullable=False),
    Column("order_number", String(100), nullable=False),
    Column("customer_email", String(320), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("status", _enum(ReturnStatus), nullable=False),
    Column("resolution", _enum(Resolution), nullable=False),
    Column("rma_number", String(32)),
    Column("in_policy", Boolean, nullable=False),
    Column("violations", JSON, nullable=False),
    Column("violation_codes", String(400), nullable=False),
    Column("window_closes_at", UtcDateTime),
    Column("deadline", UtcDateTime),
    Column("return_address_id", ID),
    Column("return_address", AddressType),
    Column("deny_reason", _enum(DenyReason)),
    Column("customer_note", Text, nullable=False),
    Column("carrier", String(64)),
    Column("tracking_number", String(100)),
    Column("tracking_trusted", Boolean, nullable=False, default=False),
    Column("label_cost", BigInteger, nullable=False, default=0),
    Column("label_paid_by", String(16), nullable=False, default="seller"),
    Column("ship_from", AddressType),
    Column("label_type", _enum(LabelDefault)),
    Column("label_file", String(300)),
    Column("tracking_status", String(32)),
    Column("tracking_at", UtcDateTime),
    Column("delivered_at", UtcDateTime),
    Column("lost_flagged_at", UtcDateTime),
    Column("language", String(8)),
    Column("routing", JSON(none_as_null=True)),  # 0007: where the routing rules sent it, and why
    Column("partner_id", ID),  # 0007: the supplier or 3PL it is routed to
    Column("group_id", ID),  # 0007: the request it was split from
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("version", Integer, nullable=False),
    ForeignKeyConstraint(["seller_id", "order_id"], ["orders.seller_id", "orders.id"]),
    UniqueConstraint("seller_id", "id"),
    UniqueConstraint("seller_id", "rma_number"),
    Index("ix_returns_seller_id_status_id", "seller_id", "status", "id"),
    Index("ix_returns_seller_id_order_id", "seller_id", "order_id"),
    Index("ix_returns_seller_id_tracking_number", "seller_id", "tracking_number"),
    Index("ix_returns_status_deadline", "status", "deadline"),
    Index("ix_returns_status_tracking_at", "status", "tracking_at"),
    Index("ix_returns_seller_id_partner_id", "seller_id", "partner_id"),
    Index("ix_returns_seller_id_group_id", "seller_id", "group_id"),
    Index("ix_returns_seller_id_created_at", "seller_id", "created_at"),
)

return_items = Table(
    "return_items",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("line_id", String(100), nullable=False),
    Column("sku", String(100), nullable=False),
    Column("unit_price", BigInteger, nullable=False),
    Column("requested_quantity", Integer, nullable=False),
    Column("authorized_quantity", Integer, nullable=False),
    Column("received_quantity", Integer, nullable=False),
    Column("accepted_quantity", Integer, nullable=False),
    Column("rejected_quantity", Integer, nullable=False),
    Column("reason_code", String(64), nullable=False),
    Column("comment", Text, nullable=False),
    Column("condition", _enum(Condition)),
    Column("disposition", _enum(Disposition)),
    Column("inspection_note", Text, nullable=False),
    Column("resolution", _enum(Resolution)),
    Column("inspected_at", UtcDateTime),
    Column("shipment_id", ID),
    Column("seller_return_item_id", String(80)),
    Column("exchange_sku", String(100)),
    Column("seen_sku", String(100)),
    # 0016: its return's created_at, never changed, so the SKU and reason indexes
    # (rma.adapters.orm_reads) list returns newest first and a filtered page stops when full.
    Column("return_created_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    Index("ix_return_items_seller_id_return_id", "seller_id", "return_id"),
    Index("ix_return_items_seller_id_inspected_at", "seller_id", "inspected_at"),
)

return_history = Table(
    "return_history",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("at", UtcDateTime, primary_key=True),  # the partition key
    Column("actor", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("from_status", _enum(ReturnStatus)),
    Column("to_status", _enum(ReturnStatus), nullable=False),
    Column("note", Text, nullable=False),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    Index("ix_return_history_seller_id_return_id", "seller_id", "return_id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("scope", String(80), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("request_hash", String(64), nullable=False),
    Column("status_code", Integer),
    Column("body", EncryptedJSON),  # may show a secret made by the request (a new API key)
    Column("created_at", UtcDateTime, nullable=False),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("event_type", String(64), nullable=False),
    Column("aggregate_id", ID, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("occurred_at", UtcDateTime, primary_key=True),  # the partition key
    Column("processed_at", UtcDateTime),
    # When the event reached the message broker (RMA_AMQP_URL); NULL: not yet.
    Column("published_at", UtcDateTime),
    Index("ix_outbox_processed_at_id", "processed_at", "id"),
    Index("ix_outbox_published_at_id", "published_at", "id"),
)

mapper_registry = registry(metadata=metadata)
_mapped = False


def start_mappers() -> None:
    """Map the domain classes onto the tables (once per process).

    A table whose key is its own id (or row number) and ``seller_id`` (and, when partitioned,
    its time) is mapped with that id alone as the identity: ids are unique across sellers,
    and repositories look rows up by them.
    """
    global _mapped
    if _mapped:
        return
    _mapped = True
    mapper_registry.map_imperatively(Seller, sellers)
    mapper_registry.map_imperatively(
        ReturnAddress, return_addresses, primary_key=[return_addresses.c.id]
    )
    mapper_registry.map_imperatively(Facility, facilities)
    mapper_registry.map_imperatively(ApiKey, api_keys)
    mapper_registry.map_imperatively(CustomerSession, customer_sessions)
    mapper_registry.map_imperatively(StaffSession, staff_sessions)
    mapper_registry.map_imperatively(CategoryPolicy, category_policies)
    mapper_registry.map_imperatively(SkuPolicy, sku_policies)
    mapper_registry.map_imperatively(ReasonCode, reason_codes)
    mapper_registry.map_imperatively(Product, products)
    mapper_registry.map_imperatively(OrderLine, order_lines, primary_key=[order_lines.c.pk])
    mapper_registry.map_imperatively(
        ShipmentItem, shipment_items, primary_key=[shipment_items.c.pk]
    )
    mapper_registry.map_imperatively(
        Shipment,
        shipments,
        properties={"items": _children(ShipmentItem, shipment_items.c.pk)},
    )
    mapper_registry.map_imperatively(
        Order,
        orders,
        primary_key=[orders.c.id],
        properties={
            "lines": _children(OrderLine, order_lines.c.pk),
            "shipments": _children(Shipment, shipments.c.shipped_at),
        },
    )
    mapper_registry.map_imperatively(ReturnItem, return_items, primary_key=[return_items.c.id])
    mapper_registry.map_imperatively(
        HistoryEntry, return_history, primary_key=[return_history.c.pk]
    )
    mapper_registry.map_imperatively(
        Return,
        returns,
        primary_key=[returns.c.id],
        properties={
            "items": _children(ReturnItem, return_items.c.id),
            "history": _children(HistoryEntry, return_history.c.pk),
        },
        version_id_col=returns.c.version,
    )
    event.listen(Return, "load", _fresh_event_list)
    map_amazon(mapper_registry)
    orm_events.map_event_tables(mapper_registry)
    orm_money.map_money()
    orm_physical.map_physical(mapper_registry)
    orm_customer.map_customer(mapper_registry)
    orm_partners.map_partners(mapper_registry)
    orm_analytics.map_analytics(mapper_registry)
    orm_trust.map_trust(mapper_registry)
    orm_integrations.map_integrations(mapper_registry)


def _children(kind: type, order_by: Any) -> Any:
    return relationship(kind, cascade="all, delete-orphan", order_by=order_by, lazy="selectin")


def _fresh_event_list(ret: Return, _context: object) -> None:
    # Loaded rows skip __init__, so the transient event list has to be made here.
    ret.events = []


# Last, so that these modules find this one's names: importing them registers the tables of
# the Amazon API, of events, webhooks and email, of money and of the physical flow on the
# same metadata.
from rma.adapters import (  # noqa: E402
    orm_analytics,
    orm_customer,
    orm_events,
    orm_integrations,
    orm_money,
    orm_partners,
    orm_physical,
    orm_reads,  # noqa: F401  # adds the read indexes to the tables
    orm_trust,
)
from rma.adapters.orm_amazon import map_amazon  # noqa: E402
