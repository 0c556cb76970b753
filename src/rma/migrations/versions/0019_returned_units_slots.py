"""returned units spread each day's (and month's) cell over slots, as money_daily (0018)

Every return request adds its items' units to the rollup rows of its seller, day, SKU,
reason and channel (and the month's), and holds them to its commit: requests for one
popular SKU took turns on those rows. Each backend now adds to a slot of its own
(``rma.migrations.slots``).

Revision ID: 0019
Revises: 0018
"""

from rma.migrations.slots import gather, spread

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_TABLES = {
    "returned_units_daily": ["seller_id", "day", "sku", "reason_code", "channel"],
    "returned_units_monthly": ["seller_id", "month", "sku", "reason_code", "channel"],
}

_APPLY = """
CREATE OR REPLACE FUNCTION rma_returned_units_apply(
    p_seller text, p_created timestamptz, p_order text, p_sku text, p_reason text, p_units bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
    local_day date;
    v_slot smallint := pg_backend_pid() % {slots};
BEGIN
    IF p_units = 0 THEN
        RETURN;
    END IF;
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    chan := CASE WHEN EXISTS (
        SELECT 1 FROM fulfillment_order_details f
        WHERE f.seller_id = p_seller AND f.order_id = p_order
    ) THEN 'amazon' ELSE 'direct' END;
    local_day := (p_created AT TIME ZONE coalesce(zone, 'UTC'))::date;
    INSERT INTO returned_units_daily AS d (seller_id, day, sku, reason_code, channel, {slot}units)
    VALUES (p_seller, local_day, p_sku, p_reason, chan, {v_slot}p_units)
    ON CONFLICT (seller_id, day, sku, reason_code, channel{key})
    DO UPDATE SET units = d.units + EXCLUDED.units;
    INSERT INTO returned_units_monthly AS m (seller_id, month, sku, reason_code, channel,
                                             {slot}units)
    VALUES (p_seller, date_trunc('month', local_day)::date, p_sku, p_reason, chan,
            {v_slot}p_units)
    ON CONFLICT (seller_id, month, sku, reason_code, channel{key})
    DO UPDATE SET units = m.units + EXCLUDED.units;
END $$;
"""


def upgrade() -> None:
    spread(_TABLES, _APPLY)


def downgrade() -> None:
    gather(_TABLES, _APPLY, ["units"])
