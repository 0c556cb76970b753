"""Tables of resolutions: refunds, the store-credit ledger, outbound and repair orders.

A refund is unique per return and sequence (the first, then each top-up), a credit issue is
unique per return, an outbound order per return and kind, a repair order per return item: the
database itself refuses a second one, whatever races above it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
)

from rma.adapters.orm import ID, AddressType, UtcDateTime, _enum, mapper_registry, metadata
from rma.domain.fulfillment import (
    OutboundKind,
    OutboundOrder,
    OutboundStatus,
    RepairOrder,
    RepairStatus,
)
from rma.domain.refunds import Refund, RefundStatus
from rma.domain.sellers import PaymentGatewayKind
from rma.domain.store_credit import CreditAccount, CreditEntry, EntryKind

refunds = Table(
    "refunds",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("order_id", ID, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("sequence", Integer, nullable=False, default=1),
    Column("breakdown", JSON, nullable=False),
    Column("gateway", _enum(PaymentGatewayKind), nullable=False),
    Column("status", _enum(RefundStatus), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("asks", Integer, nullable=False),
    Column("idempotency_key", String(80), nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("reference", String(200), nullable=False),
    Column("failure_reason", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    UniqueConstraint("seller_id", "return_id", "sequence"),  # the 1st, then each top-up, once
    UniqueConstraint("seller_id", "idempotency_key"),
    Index("ix_refunds_seller_id_order_id", "seller_id", "order_id"),
    Index("ix_refunds_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_refunds_seller_id_updated_at", "seller_id", "updated_at"),  # analytics' periods
)

credit_accounts = Table(
    "credit_accounts",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("customer_email", String(320), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("issued", BigInteger, nullable=False),
    Column("redeemed", BigInteger, nullable=False),
)

credit_entries = Table(
    "credit_entries",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("customer_email", String(320), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("kind", _enum(EntryKind), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("bonus", BigInteger, nullable=False),
    Column("return_id", ID),
    Column("note", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("seller_id", "return_id"),  # credit is issued once per return
    Index("ix_credit_entries_seller_id_customer_email", "seller_id", "customer_email"),
    Index("ix_credit_entries_seller_id_created_at", "seller_id", "created_at"),
)

outbound_orders = Table(
    "outbound_orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("kind", _enum(OutboundKind), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("lines", JSON, nullable=False),
    Column("amount_due", BigInteger, nullable=False),
    Column("status", _enum(OutboundStatus), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("ship_to", AddressType),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    UniqueConstraint("seller_id", "return_id", "kind"),
    Index("ix_outbound_orders_seller_id_status", "seller_id", "status"),
)

repair_orders = Table(
    "repair_orders",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("return_item_id", ID, nullable=False),
    Column("sku", String(100), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("status", _enum(RepairStatus), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["seller_id", "return_id"], ["returns.seller_id", "returns.id"]),
    UniqueConstraint("seller_id", "return_item_id"),
    Index("ix_repair_orders_seller_id_status", "seller_id", "status"),
)


def map_money() -> None:
    """Map the resolution classes (called once, from ``start_mappers``)."""
    mapper_registry.map_imperatively(Refund, refunds, primary_key=[refunds.c.id])
    mapper_registry.map_imperatively(CreditAccount, credit_accounts)
    mapper_registry.map_imperatively(CreditEntry, credit_entries, primary_key=[credit_entries.c.id])
    mapper_registry.map_imperatively(
        OutboundOrder, outbound_orders, primary_key=[outbound_orders.c.id]
    )
    mapper_registry.map_imperatively(RepairOrder, repair_orders, primary_key=[repair_orders.c.id])
    event.listen(Refund, "load", _fresh_event_list)


def _fresh_event_list(refund: Refund, _context: object) -> None:
    # Loaded rows skip __init__, so the transient event list has to be made here.
    refund.events = []
