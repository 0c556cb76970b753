"""suppliers and 3PLs: partners, routing rules, supplier RMAs, partner keys

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("supplier", "3pl", name="partnerkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=320), nullable=False),
        sa.Column("address", sa.JSON(), nullable=True),
        sa.Column("facility_code", sa.String(length=40), nullable=True),
        sa.Column("skus", sa.JSON(), nullable=False),
        sa.Column("categories", sa.JSON(), nullable=False),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
        sa.UniqueConstraint("seller_id", "id", name=op.f("uq_partners_seller_id_id")),
    )
    op.create_index("ix_partners_seller_id_kind", "partners", ["seller_id", "kind"], unique=False)
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("destination", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
    )
    op.create_index(
        "ix_routing_rules_seller_id_position",
        "routing_rules",
        ["seller_id", "position"],
        unique=False,
    )
    op.create_table(
        "supplier_rmas",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("return_id", sa.String(length=40), nullable=False),
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "escalated",
                "accepted",
                "refused",
                "resolved",
                name="supplierrmastatus",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "remedy",
            sa.Enum("credit", "replacement", name="remedy", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("expected_credit", sa.BigInteger(), nullable=False),
        sa.Column("received_credit", sa.BigInteger(), nullable=False),
        sa.Column("supplier_rma_number", sa.String(length=32), nullable=True),
        sa.Column("supplier_address", sa.JSON(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "credit",
                "replacement",
                "refused",
                name="supplieroutcome",
                native_enum=False,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("credit_memo", sa.String(length=100), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["seller_id", "partner_id"],
            ["partners.seller_id", "partners.id"],
            name=op.f("fk_supplier_rmas_seller_id_partner_id_partners"),
        ),
        sa.ForeignKeyConstraint(
            ["seller_id", "return_id"],
            ["returns.seller_id", "returns.id"],
            name=op.f("fk_supplier_rmas_seller_id_return_id_returns"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_rmas")),
        sa.UniqueConstraint(
            "seller_id", "return_id", name=op.f("uq_supplier_rmas_seller_id_return_id")
        ),
    )
    op.create_index(
        "ix_supplier_rmas_seller_id_partner_id",
        "supplier_rmas",
        ["seller_id", "partner_id"],
        unique=False,
    )
    op.create_index(
        "ix_supplier_rmas_status_requested_at",
        "supplier_rmas",
        ["status", "requested_at"],
        unique=False,
    )
    op.add_column("api_keys", sa.Column("partner_id", sa.String(length=40), nullable=True))
    op.add_column("returns", sa.Column("routing", sa.JSON(), nullable=True))
    op.add_column("returns", sa.Column("partner_id", sa.String(length=40), nullable=True))
    op.add_column("returns", sa.Column("group_id", sa.String(length=40), nullable=True))
    op.create_index(
        "ix_returns_seller_id_group_id", "returns", ["seller_id", "group_id"], unique=False
    )
    op.create_index(
        "ix_returns_seller_id_partner_id", "returns", ["seller_id", "partner_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_returns_seller_id_partner_id", table_name="returns")
    op.drop_index("ix_returns_seller_id_group_id", table_name="returns")
    op.drop_column("returns", "group_id")
    op.drop_column("returns", "partner_id")
    op.drop_column("returns", "routing")
    op.drop_column("api_keys", "partner_id")
    op.drop_index("ix_supplier_rmas_status_requested_at", table_name="supplier_rmas")
    op.drop_index("ix_supplier_rmas_seller_id_partner_id", table_name="supplier_rmas")
    op.drop_table("supplier_rmas")
    op.drop_index("ix_routing_rules_seller_id_position", table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_index("ix_partners_seller_id_kind", table_name="partners")
    op.drop_table("partners")
