"""order intake, inbound email, broker publishing

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_sources",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("shopify", "woocommerce", name="storekind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_sources")),
    )
    with op.batch_alter_table("store_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_store_sources_seller_id"), ["seller_id"], unique=False)
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_outbox_published_at_id", ["published_at", "id"], unique=False)
    # Events from before the broker existed are not published when one is configured.
    op.execute("UPDATE outbox SET published_at = occurred_at")


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_published_at_id")
        batch_op.drop_column("published_at")
    with op.batch_alter_table("store_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_store_sources_seller_id"))
    op.drop_table("store_sources")
