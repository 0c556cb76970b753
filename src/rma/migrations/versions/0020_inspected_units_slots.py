"""inspected units spread each day's (and month's) cell over slots, as money_daily (0018)

Every inspection adds its items to the rollup rows of its seller, day, SKU, reason, channel,
carrier, condition and disposition (and the month's), and holds them to its commit: a
warehouse inspecting many units of one SKU took turns on those rows. Each backend now adds
to the slot of its process id modulo 16 (``rma.migrations.slots``).

Revision ID: 0020
Revises: 0019
"""

from rma.migrations.slots import gather, spread

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

_TABLES = {  # each key's columns in their primary key's order
    "inspected_units_daily": [
        "seller_id",
        "day",
        "sku",
        "reason_code",
        "channel",
        "carrier",
        "condition",
        "disposition",
    ],
    "inspected_units_monthly": [
        "seller_id",
        "month",
        "sku",
        "channel",
        "carrier",
        "condition",
        "disposition",
    ],
}
_SUMS = ["items", "received_units", "accepted_units", "rejected_units"]

_APPLY = """
CREATE OR REPLACE FUNCTION rma_inspected_units_apply(
    p_seller text, p_at timestamptz, p_order text, p_carrier text, p_sku text, p_reason text,
    p_condition text, p_disposition text, p_sign integer,
    p_received bigint, p_accepted bigint, p_rejected bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
    local_day date;
    v_slot smallint := pg_backend_pid() % {slots};
BEGIN
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    chan := CASE WHEN EXISTS (
        SELECT 1 FROM fulfillment_order_details f
        WHERE f.seller_id = p_seller AND f.order_id = p_order
    ) THEN 'amazon' ELSE 'direct' END;
    local_day := (p_at AT TIME ZONE coalesce(zone, 'UTC'))::date;
    INSERT INTO inspected_units_daily AS d (seller_id, day, sku, reason_code, channel, carrier,
                                            condition, disposition, {slot}items, received_units,
                                            accepted_units, rejected_units)
    VALUES (p_seller, local_day, p_sku, p_reason, chan,
            coalesce(p_carrier, '(unknown)'), p_condition, coalesce(p_disposition, 'none'),
            {v_slot}p_sign, p_sign * p_received, p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, day, sku, reason_code, channel, carrier, condition,
                 disposition{key})
    DO UPDATE SET items = d.items + EXCLUDED.items,
                  received_units = d.received_units + EXCLUDED.received_units,
                  accepted_units = d.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = d.rejected_units + EXCLUDED.rejected_units;
    INSERT INTO inspected_units_monthly AS m (seller_id, month, sku, channel, carrier,
                                              condition, disposition, {slot}items,
                                              received_units, accepted_units, rejected_units)
    VALUES (p_seller, date_trunc('month', local_day)::date, p_sku, chan,
            coalesce(p_carrier, '(unknown)'), p_condition, coalesce(p_disposition, 'none'),
            {v_slot}p_sign, p_sign * p_received, p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, month, sku, channel, carrier, condition, disposition{key})
    DO UPDATE SET items = m.items + EXCLUDED.items,
                  received_units = m.received_units + EXCLUDED.received_units,
                  accepted_units = m.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = m.rejected_units + EXCLUDED.rejected_units;
END $$;
"""


def upgrade() -> None:
    spread(_TABLES, _APPLY)


def downgrade() -> None:
    gather(_TABLES, _APPLY, _SUMS)
