"""returns intelligence: measures, alerts, scheduled reports

Products gain Amazon's ``asin`` and ``fnsku``; indexes serve the measures' period scans;
raised alerts and report schedules get their tables.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

# Keep returned_units_daily in step with returns and items, in the same transaction, on
# PostgreSQL (SQLite reads the returns themselves): an item counts while its return is not
# denied, cancelled or expired, on the local day its return was requested.
ROLLUP_TRIGGERS = """
CREATE FUNCTION rma_returned_units_apply(
    p_seller text, p_created timestamptz, p_order text, p_sku text, p_reason text, p_units bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
BEGIN
    IF p_units = 0 THEN
        RETURN;
    END IF;
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    chan := CASE WHEN EXISTS (
        SELECT 1 FROM fulfillment_order_details f
        WHERE f.seller_id = p_seller AND f.order_id = p_order
    ) THEN 'amazon' ELSE 'direct' END;
    INSERT INTO returned_units_daily AS d (seller_id, day, sku, reason_code, channel, units)
    VALUES (p_seller, (p_created AT TIME ZONE coalesce(zone, 'UTC'))::date, p_sku, p_reason,
            chan, p_units)
    ON CONFLICT (seller_id, day, sku, reason_code, channel)
    DO UPDATE SET units = d.units + EXCLUDED.units;
END $$;

CREATE FUNCTION rma_return_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ret record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT created_at, order_id, status INTO ret FROM returns
        WHERE seller_id = OLD.seller_id AND id = OLD.return_id;
        IF FOUND AND ret.status NOT IN ('denied', 'cancelled', 'expired') THEN
            PERFORM rma_returned_units_apply(OLD.seller_id, ret.created_at, ret.order_id,
                                             OLD.sku, OLD.reason_code, -OLD.requested_quantity);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT created_at, order_id, status INTO ret FROM returns
        WHERE seller_id = NEW.seller_id AND id = NEW.return_id;
        IF FOUND AND ret.status NOT IN ('denied', 'cancelled', 'expired') THEN
            PERFORM rma_returned_units_apply(NEW.seller_id, ret.created_at, ret.order_id,
                                             NEW.sku, NEW.reason_code, NEW.requested_quantity);
        END IF;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_return_items_rollup
AFTER INSERT OR DELETE OR UPDATE OF requested_quantity, sku, reason_code, return_id
ON return_items FOR EACH ROW EXECUTE FUNCTION rma_return_items_rollup();

CREATE FUNCTION rma_returns_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := OLD.status NOT IN ('denied', 'cancelled', 'expired');
    now_counted boolean := NEW.status NOT IN ('denied', 'cancelled', 'expired');
    it record;
BEGIN
    IF was = now_counted AND OLD.created_at = NEW.created_at AND OLD.order_id = NEW.order_id THEN
        RETURN NULL;
    END IF;
    FOR it IN SELECT sku, reason_code, requested_quantity FROM return_items
              WHERE seller_id = NEW.seller_id AND return_id = NEW.id LOOP
        IF was THEN
            PERFORM rma_returned_units_apply(OLD.seller_id, OLD.created_at, OLD.order_id,
                                             it.sku, it.reason_code, -it.requested_quantity);
        END IF;
        IF now_counted THEN
            PERFORM rma_returned_units_apply(NEW.seller_id, NEW.created_at, NEW.order_id,
                                             it.sku, it.reason_code, it.requested_quantity);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_returns_rollup
AFTER UPDATE OF status, created_at, order_id ON returns
FOR EACH ROW EXECUTE FUNCTION rma_returns_rollup();

CREATE FUNCTION rma_rebuild_returned_units(p_seller text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM returned_units_daily WHERE seller_id = p_seller;
    INSERT INTO returned_units_daily (seller_id, day, sku, reason_code, channel, units)
    SELECT r.seller_id, (r.created_at AT TIME ZONE s.timezone)::date, ri.sku, ri.reason_code,
           CASE WHEN f.order_id IS NULL THEN 'direct' ELSE 'amazon' END,
           sum(ri.requested_quantity)
    FROM returns r
    JOIN sellers s ON s.id = r.seller_id
    JOIN return_items ri ON ri.seller_id = r.seller_id AND ri.return_id = r.id
    LEFT JOIN fulfillment_order_details f
           ON f.seller_id = r.seller_id AND f.order_id = r.order_id
    WHERE r.seller_id = p_seller AND r.status NOT IN ('denied', 'cancelled', 'expired')
    GROUP BY 1, 2, 3, 4, 5;
END $$;

CREATE FUNCTION rma_sellers_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_rebuild_returned_units(NEW.id);
    RETURN NULL;
END $$;

CREATE TRIGGER rma_sellers_rollup
AFTER UPDATE OF timezone ON sellers
FOR EACH ROW WHEN (OLD.timezone IS DISTINCT FROM NEW.timezone)
EXECUTE FUNCTION rma_sellers_rollup();
"""

DROP_ROLLUP_TRIGGERS = """
DROP TRIGGER IF EXISTS rma_sellers_rollup ON sellers;
DROP TRIGGER IF EXISTS rma_returns_rollup ON returns;
DROP TRIGGER IF EXISTS rma_return_items_rollup ON return_items;
DROP FUNCTION IF EXISTS rma_sellers_rollup();
DROP FUNCTION IF EXISTS rma_rebuild_returned_units(text);
DROP FUNCTION IF EXISTS rma_returns_rollup();
DROP FUNCTION IF EXISTS rma_return_items_rollup();
DROP FUNCTION IF EXISTS rma_returned_units_apply(text, timestamptz, text, text, text, bigint);
"""

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
    for table, column in (
        ("refunds", "updated_at"),
        ("credit_entries", "created_at"),
        ("inventory_movements", "created_at"),
        ("return_items", "inspected_at"),
    ):
        op.create_index(f"ix_{table}_seller_id_{column}", table, ["seller_id", column])
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
        "returned_units_daily",
        sa.Column("seller_id", sa.String(length=40), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "day",
            "sku",
            "reason_code",
            "channel",
            name=op.f("pk_returned_units_daily"),
        ),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ROLLUP_TRIGGERS)
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
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_ROLLUP_TRIGGERS)
    op.drop_table("returned_units_daily")
    op.drop_table("shipped_units_daily")
    op.drop_index("ix_report_schedules_seller_id", table_name="report_schedules")
    op.drop_table("report_schedules")
    op.drop_index("ix_analytics_alerts_seller_id_created_at", table_name="analytics_alerts")
    op.drop_table("analytics_alerts")
    op.drop_index("ix_returns_seller_id_created_at", table_name="returns")
    for table, column in (
        ("refunds", "updated_at"),
        ("credit_entries", "created_at"),
        ("inventory_movements", "created_at"),
        ("return_items", "inspected_at"),
    ):
        op.drop_index(f"ix_{table}_seller_id_{column}", table_name=table)
    op.drop_index("ix_shipments_seller_id_shipped_at", table_name="shipments")
    op.drop_index("ix_order_lines_seller_id_sku", table_name="order_lines")
    with op.batch_alter_table("products", schema=None) as batch_op:
        batch_op.drop_column("fnsku")
        batch_op.drop_column("asin")
