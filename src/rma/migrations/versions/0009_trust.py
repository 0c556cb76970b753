"""abuse signals, holds, and the tamper-evident audit trail

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_ID = sa.String(length=40)
_AT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_entries",
        sa.Column("id", _ID, nullable=False),
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("actor", sa.String(length=160), nullable=False),
        sa.Column("occurred_at", _AT, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=True),
        sa.Column("hash", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
    )
    op.create_index("ix_audit_entries_seller_id_seq", "audit_entries", ["seller_id", "seq"])
    op.create_index(
        "ix_audit_entries_seller_id_entity_entity_id",
        "audit_entries",
        ["seller_id", "entity", "entity_id"],
    )
    op.create_index(
        "ix_audit_entries_seller_id_occurred_at", "audit_entries", ["seller_id", "occurred_at"]
    )
    op.create_table(
        "audit_heads",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("sealed_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_audit_heads")),
    )
    op.create_table(
        "audit_checkpoints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signed_at", _AT, nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_checkpoints")),
    )
    op.create_index("ix_audit_checkpoints_seller_id_seq", "audit_checkpoints", ["seller_id", "seq"])
    op.create_table(
        "risk_settings",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("rules", sa.JSON(), nullable=False),
        sa.Column("allow", sa.JSON(), nullable=False),
        sa.Column("block", sa.JSON(), nullable=False),
        sa.Column("updated_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_risk_settings")),
    )
    op.create_table(
        "return_risk",
        sa.Column("return_id", _ID, nullable=False),
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("customer", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=400), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("effect", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reason_codes", sa.String(length=400), nullable=False),
        sa.Column("decided_at", _AT, nullable=False),
        sa.PrimaryKeyConstraint("return_id", name=op.f("pk_return_risk")),
    )
    op.create_index(
        "ix_return_risk_seller_id_reason_codes", "return_risk", ["seller_id", "reason_codes"]
    )
    op.create_index("ix_return_risk_seller_id_address", "return_risk", ["seller_id", "address"])
    op.create_index(
        "ix_returns_seller_id_customer_email_created_at",
        "returns",
        ["seller_id", "customer_email", "created_at"],
    )
    op.create_index("ix_orders_seller_id_customer_email", "orders", ["seller_id", "customer_email"])


def downgrade() -> None:
    op.drop_index("ix_orders_seller_id_customer_email", table_name="orders")
    op.drop_index("ix_returns_seller_id_customer_email_created_at", table_name="returns")
    for table in (
        "return_risk",
        "risk_settings",
        "audit_checkpoints",
        "audit_heads",
        "audit_entries",
    ):
        op.drop_table(table)
