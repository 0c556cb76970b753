"""Tables of the physical flow: carrier sources and scans, receipts, flags, photos, stock."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import registry

from rma.adapters.crypto import EncryptedText
from rma.adapters.orm import ID, UtcDateTime, _enum, metadata
from rma.domain.flags import Flag, FlagCode
from rma.domain.inventory import Bucket
from rma.domain.receiving import PackageReceipt, ReceiptStatus
from rma.domain.tracking import CarrierSource, SourceKind

PK = BigInteger().with_variant(Integer, "sqlite")

carrier_sources = Table(
    "carrier_sources",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True, index=True),
    Column("kind", _enum(SourceKind), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret", EncryptedText, nullable=False),  # needed as given to check HMACs
    Column("created_at", UtcDateTime, nullable=False),
)

tracking_events = Table(
    "tracking_events",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("seller_id", ID, primary_key=True),
    Column("source_id", ID, nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("tracking_number", String(100), nullable=False),
    Column("carrier", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    Column("occurred_at", UtcDateTime, primary_key=True),  # the partition key
    Column("received_at", UtcDateTime, nullable=False),
    Column("message", String(500), nullable=False),
    Column("location", String(200), nullable=False),
    # A carrier sends the same event with the same time, so the partition key (which a unique
    # key of a partitioned table must hold) still finds every copy.
    UniqueConstraint("seller_id", "source_id", "event_id", "occurred_at"),
    Index("ix_tracking_events_seller_id_tracking_number", "seller_id", "tracking_number"),
    # 0010: carrier exceptions per period, for the carrier-damage measure.
    Index("ix_tracking_events_seller_id_status_occurred_at", "seller_id", "status", "occurred_at"),
)

package_receipts = Table(
    "package_receipts",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("scan", String(200), nullable=False),
    Column("status", _enum(ReceiptStatus), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("facility_code", String(40)),
    Column("return_id", ID),
    Column("lines", JSON, nullable=False),
    Column("flags", JSON, nullable=False),
    Column("notes", Text, nullable=False),
    Column("matched_at", UtcDateTime),
    Index("ix_package_receipts_seller_id_status_id", "seller_id", "status", "id"),
    Index("ix_package_receipts_seller_id_return_id", "seller_id", "return_id"),
)

return_flags = Table(
    "return_flags",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("item_id", ID),
    Column("code", _enum(FlagCode), nullable=False),
    Column("message", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_return_flags_seller_id_return_id", "seller_id", "return_id"),
    Index("ix_return_flags_seller_id_code", "seller_id", "code"),
)

inspection_photos = Table(
    "inspection_photos",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("return_id", ID, nullable=False),
    Column("item_id", ID, nullable=False),
    Column("file_name", String(300), nullable=False),
    Column("content_type", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index("ix_inspection_photos_seller_id_return_id", "seller_id", "return_id"),
)

inventory_movements = Table(
    "inventory_movements",
    metadata,
    Column("pk", PK, primary_key=True, autoincrement=True),
    Column("seller_id", ID, primary_key=True),
    Column("sku", String(100), nullable=False),
    Column("location", String(40), nullable=False),
    Column("bucket", _enum(Bucket), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("return_id", ID, nullable=False),
    Column("item_id", ID, nullable=False),
    Column("created_at", UtcDateTime, primary_key=True),  # the partition key
    # An item is booked once: the return's version guards the inspection that books it; this
    # key (which must hold the partition key on PostgreSQL) refuses a copy of the same booking.
    UniqueConstraint("seller_id", "item_id", "bucket", "created_at"),
    Index("ix_inventory_movements_seller_id_sku", "seller_id", "sku"),
    Index("ix_inventory_movements_seller_id_created_at", "seller_id", "created_at"),
)


def map_physical(mapper_registry: registry) -> None:
    """Map the physical flow's domain classes (called once by ``start_mappers``)."""
    mapper_registry.map_imperatively(
        CarrierSource, carrier_sources, primary_key=[carrier_sources.c.id]
    )
    mapper_registry.map_imperatively(
        PackageReceipt, package_receipts, primary_key=[package_receipts.c.id]
    )
    mapper_registry.map_imperatively(Flag, return_flags, primary_key=[return_flags.c.pk])
