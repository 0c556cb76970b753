"""physical return flow: carrier sources and scans, receipts, flags, photos, stock

Revision ID: 0002_physical
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_physical"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "carrier_sources",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "easypost", "shippo", "native", name="sourcekind", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_sources")),
    )
    with op.batch_alter_table("carrier_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_carrier_sources_seller_id"), ["seller_id"], unique=False
        )

    op.create_table(
        "inspection_photos",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=300), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inspection_photos")),
    )
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inspection_photos_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "inventory_movements",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("location", sa.String(length=40), nullable=False),
        sa.Column(
            "bucket",
            sa.Enum(
                "available",
                "refurbish",
                "return_to_vendor",
                "liquidate",
                "dispose",
                "rejected",
                "damaged",
                name="bucket",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_inventory_movements")),
        sa.UniqueConstraint(
            "seller_id",
            "item_id",
            "bucket",
            name=op.f("uq_inventory_movements_seller_id_item_id_bucket"),
        ),
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_movements_seller_id_sku", ["seller_id", "sku"], unique=False
        )

    op.create_table(
        "package_receipts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("scan", sa.String(length=200), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "matched",
                "unannounced",
                "matched_by_hand",
                name="receiptstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("flags", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_package_receipts")),
    )
    with op.batch_alter_table("package_receipts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_package_receipts_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )
        batch_op.create_index(
            "ix_package_receipts_seller_id_status_id", ["seller_id", "status", "id"], unique=False
        )

    op.create_table(
        "return_flags",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.String(length=40), nullable=True),
        sa.Column(
            "code",
            sa.Enum(
                "partial_receipt",
                "over_receipt",
                "unexpected_receipt",
                "reason_mismatch",
                "sku_mismatch",
                "carrier_exception",
                "return_to_sender",
                "lost_package",
                name="flagcode",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_return_flags")),
    )
    with op.batch_alter_table("return_flags", schema=None) as batch_op:
        batch_op.create_index("ix_return_flags_seller_id_code", ["seller_id", "code"], unique=False)
        batch_op.create_index(
            "ix_return_flags_seller_id_return_id", ["seller_id", "return_id"], unique=False
        )

    op.create_table(
        "tracking_events",
        sa.Column("pk", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("source_id", sa.String(length=40), nullable=False),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("tracking_number", sa.String(length=100), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("message", sa.String(length=500), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("pk", name=op.f("pk_tracking_events")),
        sa.UniqueConstraint(
            "seller_id",
            "source_id",
            "event_id",
            name=op.f("uq_tracking_events_seller_id_source_id_event_id"),
        ),
    )
    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tracking_events_seller_id_tracking_number",
            ["seller_id", "tracking_number"],
            unique=False,
        )

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ship_from", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "label_type",
                sa.Enum("unpaid", "prepaid", name="labeldefault", native_enum=False, length=32),
                nullable=True,
            )
        )
        batch_op.add_column(sa.Column("label_cost", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("label_file", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("tracking_status", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("tracking_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("lost_flagged_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_returns_status_tracking_at", ["status", "tracking_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_status_tracking_at")
        batch_op.drop_column("lost_flagged_at")
        batch_op.drop_column("delivered_at")
        batch_op.drop_column("tracking_at")
        batch_op.drop_column("tracking_status")
        batch_op.drop_column("label_file")
        batch_op.drop_column("label_cost")
        batch_op.drop_column("label_type")
        batch_op.drop_column("ship_from")

    with op.batch_alter_table("tracking_events", schema=None) as batch_op:
        batch_op.drop_index("ix_tracking_events_seller_id_tracking_number")

    op.drop_table("tracking_events")
    with op.batch_alter_table("return_flags", schema=None) as batch_op:
        batch_op.drop_index("ix_return_flags_seller_id_return_id")
        batch_op.drop_index("ix_return_flags_seller_id_code")

    op.drop_table("return_flags")
    with op.batch_alter_table("package_receipts", schema=None) as batch_op:
        batch_op.drop_index("ix_package_receipts_seller_id_status_id")
        batch_op.drop_index("ix_package_receipts_seller_id_return_id")

    op.drop_table("package_receipts")
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_movements_seller_id_sku")

    op.drop_table("inventory_movements")
    with op.batch_alter_table("inspection_photos", schema=None) as batch_op:
        batch_op.drop_index("ix_inspection_photos_seller_id_return_id")

    op.drop_table("inspection_photos")
    with op.batch_alter_table("carrier_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_carrier_sources_seller_id"))

    op.drop_table("carrier_sources")
