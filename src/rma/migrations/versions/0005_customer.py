"""the customer's journey: shipping addresses, shops, languages

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Where the order went: the sender block of the return label.
    with op.batch_alter_table("orders") as batch:
        batch.add_column(sa.Column("shipping_address", sa.JSON(), nullable=True))
    # The language the customer asked in: the one their emails are written in.
    with op.batch_alter_table("returns") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))
    # The variant a customer asked for when choosing an exchange.
    with op.batch_alter_table("return_items") as batch:
        batch.add_column(sa.Column("exchange_sku", sa.String(length=100), nullable=True))
    # Exchanges and replacements go to the customer's address.
    with op.batch_alter_table("outbound_orders") as batch:
        batch.add_column(sa.Column("ship_to", sa.JSON(), nullable=True))
    # Emails leave under the seller's name, answered to the seller's own address.
    with op.batch_alter_table("email_messages") as batch:
        batch.add_column(
            sa.Column("sender_name", sa.String(length=200), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("reply_to", sa.String(length=320), nullable=False, server_default="")
        )
    op.create_table(
        "portal_settings",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("shop_handle", sa.String(length=40), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("reply_to", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_portal_settings")),
        sa.UniqueConstraint("shop_handle", name=op.f("uq_portal_settings_shop_handle")),
    )


def downgrade() -> None:
    op.drop_table("portal_settings")
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_column("reply_to")
        batch.drop_column("sender_name")
    with op.batch_alter_table("outbound_orders") as batch:
        batch.drop_column("ship_to")
    with op.batch_alter_table("return_items") as batch:
        batch.drop_column("exchange_sku")
    with op.batch_alter_table("returns") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("shipping_address")
