"""returns intelligence: measures, alerts, scheduled reports

Products gain Amazon's ``asin`` and ``fnsku``; indexes serve the measures' period scans;
raised alerts and report schedules get their tables.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.add_column(sa.Column("asin", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("fnsku", sa.String(length=20), nullable=True))
    op.create_index("ix_order_lines_seller_id_sku", "order_lines", ["seller_id", "sku"])
    op.create_index("ix_shipments_seller_id_shipped_at", "shipments", ["seller_id", "shipped_at"])
    op.create_index("ix_returns_seller_id_created_at", "returns", ["seller_id", "created_at"])
    op.create_table(
        "analytics_alerts",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("trials", sa.Integer(), nullable=False),
        sa.Column("baseline_rate", sa.Float(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=False),
        sa.Column("p_value", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_alerts")),
        sa.UniqueConstraint(
            "seller_id",
            "kind",
            "sku",
            "reason_code",
            "window_end",
            name=op.f("uq_analytics_alerts_seller_id_kind_sku_reason_code_window_end"),
        ),
    )
    op.create_index(
        "ix_analytics_alerts_seller_id_created_at",
        "analytics_alerts",
        ["seller_id", "created_at"],
    )
    op.create_table(
        "report_schedules",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("report", sa.String(length=40), nullable=False),
        sa.Column("frequency", sa.String(length=16), nullable=False),
        sa.Column("recipient", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sends", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_schedules")),
    )
    op.create_index("ix_report_schedules_seller_id", "report_schedules", ["seller_id"])
    op.create_table(
        "shipped_units_daily",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("facility_code", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "day",
            "sku",
            "facility_code",
            "channel",
            name=op.f("pk_shipped_units_daily"),
        ),
    )
    op.create_table(
        "analytics_watermarks",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("shipped_pk", sa.BigInteger(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_analytics_watermarks")),
    )


def downgrade() -> None:
    op.drop_table("analytics_watermarks")
    op.drop_table("shipped_units_daily")
    op.drop_index("ix_report_schedules_seller_id", table_name="report_schedules")
    op.drop_table("report_schedules")
    op.drop_index("ix_analytics_alerts_seller_id_created_at", table_name="analytics_alerts")
    op.drop_table("analytics_alerts")
    op.drop_index("ix_returns_seller_id_created_at", table_name="returns")
    op.drop_index("ix_shipments_seller_id_shipped_at", table_name="shipments")
    op.drop_index("ix_order_lines_seller_id_sku", table_name="order_lines")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("fnsku")
        batch_op.drop_column("asin")
