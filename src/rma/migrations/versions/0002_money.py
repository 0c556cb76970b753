"""resolutions and money: refunds, store credit, outbound and repair orders

Revision ID: 0002_money
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_money"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_accounts",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("redeemed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "customer_email", "currency", name=op.f("pk_credit_accounts")
        ),
    )
    op.create_table(
        "credit_entries",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("issued", "redeemed", name="entrykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("bonus", sa.BigInteger(), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_entries")),
        sa.UniqueConstraint(
            "seller_id", "return_id", name=op.f("uq_credit_entries_seller_id_return_id")
        ),
    )
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_credit_entries_seller_id_customer_email",
            ["seller_id", "customer_email"],
            unique=False,
        )

    op.create_table(
        "outbound_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("exchange", "replacement", name="outboundkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("amount_due", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "submitted",
                "shipped",
                "cancelled",
                name="outboundstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_outbound_orders_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbound_orders")),
        sa.UniqueConstraint(
            "seller_id",
            "return_id",
            "kind",
            name=op.f("uq_outbound_orders_seller_id_return_id_kind"),
        ),
    )
    with op.batch_alter_table("outbound_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbound_orders_seller_id_status", ["seller_id", "status"], unique=False
        )

    op.create_table(
        "refunds",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("breakdown", sa.JSON(), nullable=False),
        sa.Column(
            "gateway",
            sa.Enum("manual", "webhook", name="paymentgatewaykind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "pending", "succeeded", "failed", name="refundstatus", native_enum=False, length=32
            ),
            nullable=False,
        ),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("asks", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=80), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_refunds_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refunds")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_refunds_idempotency_key")),
        sa.UniqueConstraint("seller_id", "return_id", name=op.f("uq_refunds_seller_id_return_id")),
    )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_refunds_seller_id_order_id", ["seller_id", "order_id"], unique=False
        )
        batch_op.create_index(
            "ix_refunds_status_next_attempt_at", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "repair_orders",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("return_item_id", sa.String(length=40), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "received_for_repair",
                "repaired",
                "shipped_back",
                name="repairstatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_repair_orders_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_repair_orders")),
        sa.UniqueConstraint(
            "seller_id", "return_item_id", name=op.f("uq_repair_orders_seller_id_return_item_id")
        ),
    )
    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_repair_orders_seller_id_status", ["seller_id", "status"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("shipping_amount", sa.BigInteger(), nullable=False, server_default="0")
        )

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("label_cost", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "label_paid_by", sa.String(length=16), nullable=False, server_default="seller"
            )
        )

    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "resolution_trigger",
                sa.Enum(
                    "first_scan",
                    "receipt",
                    "inspection",
                    name="resolutiontrigger",
                    native_enum=False,
                    length=32,
                ),
                nullable=False,
                server_default="inspection",
            )
        )
        batch_op.add_column(
            sa.Column("keep_item_max_value", sa.BigInteger(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "store_credit_bonus_percent", sa.Integer(), nullable=False, server_default="0"
            )
        )
        batch_op.add_column(
            sa.Column(
                "payment_gateway",
                sa.Enum(
                    "manual", "webhook", name="paymentgatewaykind", native_enum=False, length=32
                ),
                nullable=False,
                server_default="manual",
            )
        )
        batch_op.add_column(sa.Column("payment_webhook_url", sa.String(length=500), nullable=True))
        batch_op.add_column(
            sa.Column(
                "payment_webhook_secret", sa.String(length=100), nullable=False, server_default=""
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sellers", schema=None) as batch_op:
        batch_op.drop_column("payment_webhook_secret")
        batch_op.drop_column("payment_webhook_url")
        batch_op.drop_column("payment_gateway")
        batch_op.drop_column("store_credit_bonus_percent")
        batch_op.drop_column("keep_item_max_value")
        batch_op.drop_column("resolution_trigger")

    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_column("label_paid_by")
        batch_op.drop_column("label_cost")

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_column("shipping_amount")

    with op.batch_alter_table("repair_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_repair_orders_seller_id_status")

    op.drop_table("repair_orders")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_refunds_status_next_attempt_at")
        batch_op.drop_index("ix_refunds_seller_id_order_id")

    op.drop_table("refunds")
    with op.batch_alter_table("outbound_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_orders_seller_id_status")

    op.drop_table("outbound_orders")
    with op.batch_alter_table("credit_entries", schema=None) as batch_op:
        batch_op.drop_index("ix_credit_entries_seller_id_customer_email")

    op.drop_table("credit_entries")
    op.drop_table("credit_accounts")
