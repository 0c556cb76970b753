"""analytics: outcomes per local month; each return's timings, kept behind a watermark;
the daily units rollups indexed by SKU

Revision ID: 0013
Revises: 0012
"""

import importlib.util
import re
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_ID = sa.String(length=40)

# A page of SKUs (an answer split by SKU) reads its SKUs' days, not every SKU's days of the
# period. The returned units' index is kept by the upsert a request's items already make:
# 4,500 item rows inserted cost the same with it as without (best of 3, within the noise).
SKU_INDEXES = (
    ("ix_returned_units_daily_seller_id_sku_day", "returned_units_daily"),
    ("ix_shipped_units_daily_seller_id_sku_day", "shipped_units_daily"),
)

# An inspection now also upserts its month (without reason and carrier): outcomes over a
# year read 12 rows per SKU and condition, not one per inspected item. Inspections are not
# on the path of a request or an authorization; nothing new fires there.
TRIGGERS = """
CREATE OR REPLACE FUNCTION rma_inspected_units_apply(
    p_seller text, p_at timestamptz, p_order text, p_carrier text, p_sku text, p_reason text,
    p_condition text, p_disposition text, p_sign integer,
    p_received bigint, p_accepted bigint, p_rejected bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
    local_day date;
BEGIN
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    chan := CASE WHEN EXISTS (
        SELECT 1 FROM fulfillment_order_details f
        WHERE f.seller_id = p_seller AND f.order_id = p_order
    ) THEN 'amazon' ELSE 'direct' END;
    local_day := (p_at AT TIME ZONE coalesce(zone, 'UTC'))::date;
    INSERT INTO inspected_units_daily AS d (seller_id, day, sku, reason_code, channel, carrier,
                                            condition, disposition, items, received_units,
                                            accepted_units, rejected_units)
    VALUES (p_seller, local_day, p_sku, p_reason, chan,
            coalesce(p_carrier, '(unknown)'), p_condition, coalesce(p_disposition, 'none'),
            p_sign, p_sign * p_received, p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, day, sku, reason_code, channel, carrier, condition, disposition)
    DO UPDATE SET items = d.items + EXCLUDED.items,
                  received_units = d.received_units + EXCLUDED.received_units,
                  accepted_units = d.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = d.rejected_units + EXCLUDED.rejected_units;
    INSERT INTO inspected_units_monthly AS m (seller_id, month, sku, channel, condition,
                                              disposition, items, received_units,
                                              accepted_units, rejected_units)
    VALUES (p_seller, date_trunc('month', local_day)::date, p_sku, chan, p_condition,
            coalesce(p_disposition, 'none'), p_sign, p_sign * p_received,
            p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, month, sku, channel, condition, disposition)
    DO UPDATE SET items = m.items + EXCLUDED.items,
                  received_units = m.received_units + EXCLUDED.received_units,
                  accepted_units = m.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = m.rejected_units + EXCLUDED.rejected_units;
END $$;

CREATE OR REPLACE FUNCTION rma_rebuild_inspected_months(p_seller text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inspected_units_monthly WHERE seller_id = p_seller;
    INSERT INTO inspected_units_monthly (seller_id, month, sku, channel, condition, disposition,
                                         items, received_units, accepted_units, rejected_units)
    SELECT seller_id, date_trunc('month', day)::date, sku, channel, condition, disposition,
           sum(items), sum(received_units), sum(accepted_units), sum(rejected_units)
    FROM inspected_units_daily WHERE seller_id = p_seller
    GROUP BY 1, 2, 3, 4, 5, 6;
END $$;

-- A zone change rebuilds the days (0010), then their months.
CREATE OR REPLACE FUNCTION rma_sellers_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_rebuild_returned_units(NEW.id);
    PERFORM rma_rebuild_operations(NEW.id);
    PERFORM rma_rebuild_inspected_months(NEW.id);
    RETURN NULL;
END $$;

-- A refund that succeeds (or stops having succeeded) moves its return's refund time. Returns
-- whose history the due job has not read yet have no row: it is made from the facts then.
CREATE OR REPLACE FUNCTION rma_refund_timings() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ret text := coalesce(NEW.return_id, OLD.return_id);
    seller text := coalesce(NEW.seller_id, OLD.seller_id);
BEGIN
    UPDATE return_timings t SET refunded_at = (
        SELECT min(rf.updated_at) FROM refunds rf
        WHERE rf.seller_id = seller AND rf.return_id = ret AND rf.status = 'succeeded')
    WHERE t.seller_id = seller AND t.return_id = ret;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_refund_timings_insert AFTER INSERT ON refunds FOR EACH ROW
WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION rma_refund_timings();
CREATE TRIGGER rma_refund_timings_update AFTER UPDATE ON refunds FOR EACH ROW
WHEN (OLD.status = 'succeeded' OR NEW.status = 'succeeded')
EXECUTE FUNCTION rma_refund_timings();
CREATE TRIGGER rma_refund_timings_delete AFTER DELETE ON refunds FOR EACH ROW
WHEN (OLD.status = 'succeeded') EXECUTE FUNCTION rma_refund_timings();

-- A return whose request time moves moves its timings (the app never does; the facts may).
CREATE OR REPLACE FUNCTION rma_return_timings_requested() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE return_timings SET requested_at = NEW.created_at
    WHERE seller_id = NEW.seller_id AND return_id = NEW.id;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_return_timings_requested AFTER UPDATE OF created_at ON returns
FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at)
EXECUTE FUNCTION rma_return_timings_requested();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS rma_return_timings_requested ON returns;
DROP TRIGGER IF EXISTS rma_refund_timings_insert ON refunds;
DROP TRIGGER IF EXISTS rma_refund_timings_update ON refunds;
DROP TRIGGER IF EXISTS rma_refund_timings_delete ON refunds;
DROP FUNCTION IF EXISTS rma_return_timings_requested();
DROP FUNCTION IF EXISTS rma_refund_timings();
DROP FUNCTION IF EXISTS rma_rebuild_inspected_months(text);
"""


def _functions_of_0010(*names: str) -> str:
    """The definitions of ``names`` as migration 0010 made them, to put back on downgrade."""
    path = Path(__file__).with_name("0010_analytics_rollups.py")
    spec = importlib.util.spec_from_file_location("rma_migration_0010", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    found = []
    for name in names:
        pattern = rf"CREATE (?:OR REPLACE )?FUNCTION {name}\(.*?END \$\$;"
        match = re.search(pattern, module.ROLLUP_TRIGGERS, re.DOTALL)
        assert match is not None
        found.append(match.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION"))
    return "\n".join(found)


def upgrade() -> None:
    for name, table in SKU_INDEXES:
        op.create_index(name, table, ["seller_id", "sku", "day"])
    op.create_table(
        "inspected_units_monthly",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("received_units", sa.BigInteger(), nullable=False),
        sa.Column("accepted_units", sa.BigInteger(), nullable=False),
        sa.Column("rejected_units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "month",
            "sku",
            "channel",
            "condition",
            "disposition",
            name=op.f("pk_inspected_units_monthly"),
        ),
    )
    op.create_table(
        "return_timings",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("return_id", _ID, nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("authorized_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("refunded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seller_id", "return_id", name=op.f("pk_return_timings")),
    )
    op.create_index(
        "ix_return_timings_seller_id_requested_at",
        "return_timings",
        ["seller_id", "requested_at"],
    )
    op.create_table(
        "return_timing_watermarks",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("history_pk", sa.BigInteger(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_return_timing_watermarks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGERS)
        op.execute("SELECT rma_rebuild_inspected_months(id) FROM sellers")
        # The timings are made by the due job's next run, from the whole history.


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_TRIGGERS)
        op.execute(_functions_of_0010("rma_inspected_units_apply", "rma_sellers_rollup"))
    op.drop_table("return_timing_watermarks")
    op.drop_index("ix_return_timings_seller_id_requested_at", table_name="return_timings")
    op.drop_table("return_timings")
    op.drop_table("inspected_units_monthly")
    for name, table in SKU_INDEXES:
        op.drop_index(name, table_name=table)
