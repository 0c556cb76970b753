"""Amazon-compatible API: fulfillment order details, LWA credentials and tokens, return item ids

Revision ID: 0002_amazon
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_amazon"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fulfillment_order_details",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("order_id", sa.String(length=40), nullable=False),
        sa.Column("marketplace_id", sa.String(length=40), nullable=False),
        sa.Column("displayable_order_id", sa.String(length=40), nullable=False),
        sa.Column("displayable_order_date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("displayable_order_comment", sa.String(length=750), nullable=False),
        sa.Column("shipping_speed_category", sa.String(length=32), nullable=False),
        sa.Column("destination_address", sa.JSON(), nullable=False),
        sa.Column("fulfillment_action", sa.String(length=16), nullable=True),
        sa.Column("fulfillment_policy", sa.String(length=32), nullable=True),
        sa.Column("notification_emails", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "order_id"],
            ["orders.seller_id", "orders.id"],
            name=op.f("fk_fulfillment_order_details_seller_id_order_id_orders"),
        ),
        sa.PrimaryKeyConstraint("seller_id", "order_id", name=op.f("pk_fulfillment_order_details")),
    )
    op.create_table(
        "amazon_credentials",
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("client_secret_hash", sa.String(length=64), nullable=False),
        sa.Column("refresh_token_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_amazon_credentials")),
        sa.UniqueConstraint(
            "refresh_token_hash", name=op.f("uq_amazon_credentials_refresh_token_hash")
        ),
    )
    op.create_index(
        op.f("ix_amazon_credentials_seller_id"), "amazon_credentials", ["seller_id"], unique=False
    )
    op.create_table(
        "amazon_access_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("client_id", sa.String(length=80), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_amazon_access_tokens")),
    )
    op.create_index(
        "ix_amazon_access_tokens_client_id_expires_at",
        "amazon_access_tokens",
        ["client_id", "expires_at"],
        unique=False,
    )
    with op.batch_alter_table("return_items") as batch:
        batch.add_column(sa.Column("inspected_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("shipment_id", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("seller_return_item_id", sa.String(length=80), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_items") as batch:
        batch.drop_column("seller_return_item_id")
        batch.drop_column("shipment_id")
        batch.drop_column("inspected_at")
    op.drop_index("ix_amazon_access_tokens_client_id_expires_at", table_name="amazon_access_tokens")
    op.drop_table("amazon_access_tokens")
    op.drop_index(op.f("ix_amazon_credentials_seller_id"), table_name="amazon_credentials")
    op.drop_table("amazon_credentials")
    op.drop_table("fulfillment_order_details")
