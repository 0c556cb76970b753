"""analytics rollups: units per local month; inspected units and money per day; alert checks

Revision ID: 0010
Revises: 0009
"""

import importlib.util
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ID = sa.String(length=40)

# PostgreSQL keeps both rollups in step with the facts in the same transaction; SQLite reads
# the facts. Each changed row fires at most one trigger, whose WHEN clause skips the rows the
# rollups do not count (an item not inspected yet, a refund that has not succeeded), and that
# trigger writes one upsert per rollup it touches. A return request (items inserted, not
# inspected) costs exactly what it cost before this migration.
ROLLUP_TRIGGERS = """
-- 0006's returned units, now also per local month: a year is read from 12 rows per key,
-- not 365. One more upsert per item row asked back (the only cost a request gains).
CREATE OR REPLACE FUNCTION rma_returned_units_apply(
    p_seller text, p_created timestamptz, p_order text, p_sku text, p_reason text, p_units bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
    local_day date;
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
    INSERT INTO returned_units_daily AS d (seller_id, day, sku, reason_code, channel, units)
    VALUES (p_seller, local_day, p_sku, p_reason, chan, p_units)
    ON CONFLICT (seller_id, day, sku, reason_code, channel)
    DO UPDATE SET units = d.units + EXCLUDED.units;
    INSERT INTO returned_units_monthly AS m (seller_id, month, sku, reason_code, channel, units)
    VALUES (p_seller, date_trunc('month', local_day)::date, p_sku, p_reason, chan, p_units)
    ON CONFLICT (seller_id, month, sku, reason_code, channel)
    DO UPDATE SET units = m.units + EXCLUDED.units;
END $$;

CREATE OR REPLACE FUNCTION rma_rebuild_returned_units(p_seller text)
RETURNS void LANGUAGE plpgsql AS $$
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
    DELETE FROM returned_units_monthly WHERE seller_id = p_seller;
    INSERT INTO returned_units_monthly (seller_id, month, sku, reason_code, channel, units)
    SELECT seller_id, date_trunc('month', day)::date, sku, reason_code, channel, sum(units)
    FROM returned_units_daily WHERE seller_id = p_seller
    GROUP BY 1, 2, 3, 4, 5;
END $$;

CREATE FUNCTION rma_inspected_units_apply(
    p_seller text, p_at timestamptz, p_order text, p_carrier text, p_sku text, p_reason text,
    p_condition text, p_disposition text, p_sign integer,
    p_received bigint, p_accepted bigint, p_rejected bigint
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    chan text;
BEGIN
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    chan := CASE WHEN EXISTS (
        SELECT 1 FROM fulfillment_order_details f
        WHERE f.seller_id = p_seller AND f.order_id = p_order
    ) THEN 'amazon' ELSE 'direct' END;
    INSERT INTO inspected_units_daily AS d (seller_id, day, sku, reason_code, channel, carrier,
                                            condition, disposition, items, received_units,
                                            accepted_units, rejected_units)
    VALUES (p_seller, (p_at AT TIME ZONE coalesce(zone, 'UTC'))::date, p_sku, p_reason, chan,
            coalesce(p_carrier, '(unknown)'), p_condition, coalesce(p_disposition, 'none'),
            p_sign, p_sign * p_received, p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, day, sku, reason_code, channel, carrier, condition, disposition)
    DO UPDATE SET items = d.items + EXCLUDED.items,
                  received_units = d.received_units + EXCLUDED.received_units,
                  accepted_units = d.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = d.rejected_units + EXCLUDED.rejected_units;
END $$;

CREATE FUNCTION rma_money_apply(
    p_seller text, p_at timestamptz[], p_currency text[], p_measure text[], p_amount bigint[],
    p_facts integer[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
BEGIN
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    -- One statement for the old and the new side: grouped first, since one upsert may not
    -- touch the same rollup row twice.
    INSERT INTO money_daily AS d (seller_id, day, currency, measure, amount, facts)
    SELECT p_seller, (x.at AT TIME ZONE coalesce(zone, 'UTC'))::date, x.currency, x.measure,
           sum(x.amount), sum(x.facts)
    FROM unnest(p_at, p_currency, p_measure, p_amount, p_facts)
         AS x(at, currency, measure, amount, facts)
    GROUP BY 2, 3, 4
    ON CONFLICT (seller_id, day, currency, measure)
    DO UPDATE SET amount = d.amount + EXCLUDED.amount, facts = d.facts + EXCLUDED.facts;
END $$;

-- Items: units asked back (0006's rollup) and, once inspected, units inspected.
CREATE OR REPLACE FUNCTION rma_return_items_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ret record;
    asked_moved boolean := TG_OP <> 'UPDATE' OR (
        OLD.requested_quantity, OLD.sku, OLD.reason_code, OLD.return_id
    ) IS DISTINCT FROM (NEW.requested_quantity, NEW.sku, NEW.reason_code, NEW.return_id);
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT created_at, order_id, status, carrier INTO ret FROM returns
        WHERE seller_id = OLD.seller_id AND id = OLD.return_id;
        IF FOUND AND asked_moved AND ret.status NOT IN ('denied', 'cancelled', 'expired') THEN
            PERFORM rma_returned_units_apply(OLD.seller_id, ret.created_at, ret.order_id,
                                             OLD.sku, OLD.reason_code, -OLD.requested_quantity);
        END IF;
        IF FOUND AND OLD.inspected_at IS NOT NULL AND OLD.condition IS NOT NULL THEN
            PERFORM rma_inspected_units_apply(
                OLD.seller_id, OLD.inspected_at, ret.order_id, ret.carrier, OLD.sku,
                OLD.reason_code, OLD.condition, OLD.disposition, -1, OLD.received_quantity,
                OLD.accepted_quantity, OLD.rejected_quantity);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT created_at, order_id, status, carrier INTO ret FROM returns
        WHERE seller_id = NEW.seller_id AND id = NEW.return_id;
        IF FOUND AND asked_moved AND ret.status NOT IN ('denied', 'cancelled', 'expired') THEN
            PERFORM rma_returned_units_apply(NEW.seller_id, ret.created_at, ret.order_id,
                                             NEW.sku, NEW.reason_code, NEW.requested_quantity);
        END IF;
        IF FOUND AND NEW.inspected_at IS NOT NULL AND NEW.condition IS NOT NULL THEN
            PERFORM rma_inspected_units_apply(
                NEW.seller_id, NEW.inspected_at, ret.order_id, ret.carrier, NEW.sku,
                NEW.reason_code, NEW.condition, NEW.disposition, 1, NEW.received_quantity,
                NEW.accepted_quantity, NEW.rejected_quantity);
        END IF;
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER rma_return_items_rollup ON return_items;
CREATE TRIGGER rma_return_items_rollup
AFTER INSERT OR DELETE ON return_items
FOR EACH ROW EXECUTE FUNCTION rma_return_items_rollup();
-- Receiving an item that is not inspected yet changes nothing either rollup counts.
CREATE TRIGGER rma_return_items_rollup_update
AFTER UPDATE ON return_items FOR EACH ROW
WHEN ((OLD.requested_quantity, OLD.sku, OLD.reason_code, OLD.return_id)
          IS DISTINCT FROM (NEW.requested_quantity, NEW.sku, NEW.reason_code, NEW.return_id)
      OR ((OLD.inspected_at IS NOT NULL OR NEW.inspected_at IS NOT NULL)
          AND (OLD.inspected_at, OLD.condition, OLD.disposition, OLD.received_quantity,
               OLD.accepted_quantity, OLD.rejected_quantity)
              IS DISTINCT FROM (NEW.inspected_at, NEW.condition, NEW.disposition,
                                NEW.received_quantity, NEW.accepted_quantity,
                                NEW.rejected_quantity)))
EXECUTE FUNCTION rma_return_items_rollup();

-- Returns: whether their items count (0006), and the carrier and channel of inspected items.
CREATE OR REPLACE FUNCTION rma_returns_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    was boolean := OLD.status NOT IN ('denied', 'cancelled', 'expired');
    now_counted boolean := NEW.status NOT IN ('denied', 'cancelled', 'expired');
    asked_moved boolean := was <> now_counted OR OLD.created_at <> NEW.created_at
                           OR OLD.order_id <> NEW.order_id;
    inspected_moved boolean := OLD.order_id <> NEW.order_id
                               OR OLD.carrier IS DISTINCT FROM NEW.carrier;
    it record;
BEGIN
    IF NOT asked_moved AND NOT inspected_moved THEN
        RETURN NULL;
    END IF;
    FOR it IN SELECT * FROM return_items
              WHERE seller_id = NEW.seller_id AND return_id = NEW.id LOOP
        IF asked_moved AND was THEN
            PERFORM rma_returned_units_apply(OLD.seller_id, OLD.created_at, OLD.order_id,
                                             it.sku, it.reason_code, -it.requested_quantity);
        END IF;
        IF asked_moved AND now_counted THEN
            PERFORM rma_returned_units_apply(NEW.seller_id, NEW.created_at, NEW.order_id,
                                             it.sku, it.reason_code, it.requested_quantity);
        END IF;
        IF inspected_moved AND it.inspected_at IS NOT NULL AND it.condition IS NOT NULL THEN
            PERFORM rma_inspected_units_apply(
                OLD.seller_id, it.inspected_at, OLD.order_id, OLD.carrier, it.sku,
                it.reason_code, it.condition, it.disposition, -1, it.received_quantity,
                it.accepted_quantity, it.rejected_quantity);
            PERFORM rma_inspected_units_apply(
                NEW.seller_id, it.inspected_at, NEW.order_id, NEW.carrier, it.sku,
                it.reason_code, it.condition, it.disposition, 1, it.received_quantity,
                it.accepted_quantity, it.rejected_quantity);
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

DROP TRIGGER rma_returns_rollup ON returns;
CREATE TRIGGER rma_returns_rollup
AFTER UPDATE OF status, created_at, order_id, carrier ON returns
FOR EACH ROW EXECUTE FUNCTION rma_returns_rollup();

-- Succeeded refunds: refunded, and the restocking fees and buyer-paid labels taken off.
CREATE FUNCTION rma_refunds_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := '{}';
    currencies text[] := '{}';
    measures text[] := '{}';
    amounts bigint[] := '{}';
    facts integer[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'succeeded' THEN
        ats := ats || ARRAY[OLD.updated_at, OLD.updated_at, OLD.updated_at];
        currencies := currencies || ARRAY[OLD.currency::text, OLD.currency, OLD.currency];
        measures := measures || ARRAY['refunded', 'restocking_fees', 'label_costs_recovered'];
        amounts := amounts || ARRAY[-OLD.amount,
                                    -coalesce((OLD.breakdown ->> 'restocking_fee')::bigint, 0),
                                    -coalesce((OLD.breakdown ->> 'label_cost')::bigint, 0)];
        facts := facts || ARRAY[-1, -1, -1];
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'succeeded' THEN
        ats := ats || ARRAY[NEW.updated_at, NEW.updated_at, NEW.updated_at];
        currencies := currencies || ARRAY[NEW.currency::text, NEW.currency, NEW.currency];
        measures := measures || ARRAY['refunded', 'restocking_fees', 'label_costs_recovered'];
        amounts := amounts || ARRAY[NEW.amount,
                                    coalesce((NEW.breakdown ->> 'restocking_fee')::bigint, 0),
                                    coalesce((NEW.breakdown ->> 'label_cost')::bigint, 0)];
        facts := facts || ARRAY[1, 1, 1];
    END IF;
    PERFORM rma_money_apply(coalesce(NEW.seller_id, OLD.seller_id), ats, currencies,
                            measures, amounts, facts);
    RETURN NULL;
END $$;

CREATE TRIGGER rma_refunds_rollup_insert AFTER INSERT ON refunds FOR EACH ROW
WHEN (NEW.status = 'succeeded') EXECUTE FUNCTION rma_refunds_rollup();
CREATE TRIGGER rma_refunds_rollup_update AFTER UPDATE ON refunds FOR EACH ROW
WHEN (OLD.status = 'succeeded' OR NEW.status = 'succeeded')
EXECUTE FUNCTION rma_refunds_rollup();
CREATE TRIGGER rma_refunds_rollup_delete AFTER DELETE ON refunds FOR EACH ROW
WHEN (OLD.status = 'succeeded') EXECUTE FUNCTION rma_refunds_rollup();

-- Store credit issued (the ledger's other kinds are not counted).
CREATE FUNCTION rma_credit_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := '{}';
    currencies text[] := '{}';
    amounts bigint[] := '{}';
    facts integer[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'issued' THEN
        ats := ats || OLD.created_at;
        currencies := currencies || OLD.currency::text;
        amounts := amounts || -OLD.amount;
        facts := facts || -1;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.kind = 'issued' THEN
        ats := ats || NEW.created_at;
        currencies := currencies || NEW.currency::text;
        amounts := amounts || NEW.amount;
        facts := facts || 1;
    END IF;
    PERFORM rma_money_apply(coalesce(NEW.seller_id, OLD.seller_id), ats, currencies,
                            array_fill('store_credit_issued'::text, ARRAY[cardinality(ats)]),
                            amounts, facts);
    RETURN NULL;
END $$;

CREATE TRIGGER rma_credit_rollup_insert AFTER INSERT ON credit_entries FOR EACH ROW
WHEN (NEW.kind = 'issued') EXECUTE FUNCTION rma_credit_rollup();
CREATE TRIGGER rma_credit_rollup_update AFTER UPDATE ON credit_entries FOR EACH ROW
WHEN (OLD.kind = 'issued' OR NEW.kind = 'issued') EXECUTE FUNCTION rma_credit_rollup();
CREATE TRIGGER rma_credit_rollup_delete AFTER DELETE ON credit_entries FOR EACH ROW
WHEN (OLD.kind = 'issued') EXECUTE FUNCTION rma_credit_rollup();

-- Stock booked to available (restocked) or to liquidate/dispose (written off), at the
-- item's unit price in its return's currency (both fixed when the return is requested).
CREATE FUNCTION rma_movements_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ats timestamptz[] := '{}';
    currencies text[] := '{}';
    measures text[] := '{}';
    amounts bigint[] := '{}';
    facts integer[] := '{}';
    found_row record;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.bucket IN ('available', 'liquidate', 'dispose')
    THEN
        SELECT ri.unit_price, r.currency INTO found_row
        FROM return_items ri JOIN returns r ON r.seller_id = ri.seller_id AND r.id = ri.return_id
        WHERE ri.seller_id = OLD.seller_id AND ri.id = OLD.item_id;
        IF FOUND THEN
            ats := ats || OLD.created_at;
            currencies := currencies || found_row.currency::text;
            measures := measures || CASE WHEN OLD.bucket = 'available' THEN 'value_restocked'
                                         ELSE 'value_written_off' END;
            amounts := amounts || -(OLD.quantity * found_row.unit_price);
            facts := facts || -1;
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.bucket IN ('available', 'liquidate', 'dispose')
    THEN
        SELECT ri.unit_price, r.currency INTO found_row
        FROM return_items ri JOIN returns r ON r.seller_id = ri.seller_id AND r.id = ri.return_id
        WHERE ri.seller_id = NEW.seller_id AND ri.id = NEW.item_id;
        IF FOUND THEN
            ats := ats || NEW.created_at;
            currencies := currencies || found_row.currency::text;
            measures := measures || CASE WHEN NEW.bucket = 'available' THEN 'value_restocked'
                                         ELSE 'value_written_off' END;
            amounts := amounts || NEW.quantity * found_row.unit_price;
            facts := facts || 1;
        END IF;
    END IF;
    PERFORM rma_money_apply(coalesce(NEW.seller_id, OLD.seller_id), ats, currencies,
                            measures, amounts, facts);
    RETURN NULL;
END $$;

CREATE TRIGGER rma_movements_rollup_insert AFTER INSERT ON inventory_movements FOR EACH ROW
WHEN (NEW.bucket IN ('available', 'liquidate', 'dispose'))
EXECUTE FUNCTION rma_movements_rollup();
CREATE TRIGGER rma_movements_rollup_update AFTER UPDATE ON inventory_movements FOR EACH ROW
WHEN (OLD.bucket IN ('available', 'liquidate', 'dispose')
      OR NEW.bucket IN ('available', 'liquidate', 'dispose'))
EXECUTE FUNCTION rma_movements_rollup();
CREATE TRIGGER rma_movements_rollup_delete AFTER DELETE ON inventory_movements FOR EACH ROW
WHEN (OLD.bucket IN ('available', 'liquidate', 'dispose'))
EXECUTE FUNCTION rma_movements_rollup();

-- Built from nothing: after a bulk load, and when the seller's zone changes.
CREATE FUNCTION rma_rebuild_operations(p_seller text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inspected_units_daily WHERE seller_id = p_seller;
    INSERT INTO inspected_units_daily (seller_id, day, sku, reason_code, channel, carrier,
                                       condition, disposition, items, received_units,
                                       accepted_units, rejected_units)
    SELECT ri.seller_id, (ri.inspected_at AT TIME ZONE s.timezone)::date, ri.sku,
           ri.reason_code, CASE WHEN f.order_id IS NULL THEN 'direct' ELSE 'amazon' END,
           coalesce(r.carrier, '(unknown)'), ri.condition, coalesce(ri.disposition, 'none'),
           count(*), sum(ri.received_quantity), sum(ri.accepted_quantity),
           sum(ri.rejected_quantity)
    FROM return_items ri
    JOIN returns r ON r.seller_id = ri.seller_id AND r.id = ri.return_id
    JOIN sellers s ON s.id = ri.seller_id
    LEFT JOIN fulfillment_order_details f ON f.seller_id = r.seller_id AND f.order_id = r.order_id
    WHERE ri.seller_id = p_seller AND ri.inspected_at IS NOT NULL AND ri.condition IS NOT NULL
    GROUP BY 1, 2, 3, 4, 5, 6, 7, 8;

    DELETE FROM money_daily WHERE seller_id = p_seller;
    INSERT INTO money_daily (seller_id, day, currency, measure, amount, facts)
    SELECT p_seller, x.day, x.currency, x.measure, sum(x.amount), sum(x.facts)
    FROM (
        SELECT (rf.updated_at AT TIME ZONE s.timezone)::date AS day, rf.currency,
               m.measure, m.amount, 1 AS facts
        FROM refunds rf
        JOIN sellers s ON s.id = rf.seller_id
        CROSS JOIN LATERAL (VALUES
            ('refunded', rf.amount),
            ('restocking_fees', coalesce((rf.breakdown ->> 'restocking_fee')::bigint, 0)),
            ('label_costs_recovered', coalesce((rf.breakdown ->> 'label_cost')::bigint, 0))
        ) AS m(measure, amount)
        WHERE rf.seller_id = p_seller AND rf.status = 'succeeded'
        UNION ALL
        SELECT (ce.created_at AT TIME ZONE s.timezone)::date, ce.currency,
               'store_credit_issued', ce.amount, 1
        FROM credit_entries ce JOIN sellers s ON s.id = ce.seller_id
        WHERE ce.seller_id = p_seller AND ce.kind = 'issued'
        UNION ALL
        SELECT (im.created_at AT TIME ZONE s.timezone)::date, r.currency,
               CASE WHEN im.bucket = 'available' THEN 'value_restocked'
                    ELSE 'value_written_off' END,
               im.quantity * ri.unit_price, 1
        FROM inventory_movements im
        JOIN return_items ri ON ri.seller_id = im.seller_id AND ri.id = im.item_id
        JOIN returns r ON r.seller_id = ri.seller_id AND r.id = ri.return_id
        JOIN sellers s ON s.id = im.seller_id
        WHERE im.seller_id = p_seller AND im.bucket IN ('available', 'liquidate', 'dispose')
    ) AS x
    GROUP BY 2, 3, 4;
END $$;

CREATE OR REPLACE FUNCTION rma_sellers_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_rebuild_returned_units(NEW.id);
    PERFORM rma_rebuild_operations(NEW.id);
    RETURN NULL;
END $$;
"""

DROP_ROLLUP_TRIGGERS = """
DROP TRIGGER IF EXISTS rma_movements_rollup_insert ON inventory_movements;
DROP TRIGGER IF EXISTS rma_movements_rollup_update ON inventory_movements;
DROP TRIGGER IF EXISTS rma_movements_rollup_delete ON inventory_movements;
DROP TRIGGER IF EXISTS rma_credit_rollup_insert ON credit_entries;
DROP TRIGGER IF EXISTS rma_credit_rollup_update ON credit_entries;
DROP TRIGGER IF EXISTS rma_credit_rollup_delete ON credit_entries;
DROP TRIGGER IF EXISTS rma_refunds_rollup_insert ON refunds;
DROP TRIGGER IF EXISTS rma_refunds_rollup_update ON refunds;
DROP TRIGGER IF EXISTS rma_refunds_rollup_delete ON refunds;
DROP TRIGGER IF EXISTS rma_return_items_rollup_update ON return_items;
DROP FUNCTION IF EXISTS rma_movements_rollup();
DROP FUNCTION IF EXISTS rma_credit_rollup();
DROP FUNCTION IF EXISTS rma_refunds_rollup();
DROP FUNCTION IF EXISTS rma_rebuild_operations(text);
DROP FUNCTION IF EXISTS rma_money_apply(text, timestamptz[], text[], text[], bigint[], integer[]);
DROP FUNCTION IF EXISTS rma_inspected_units_apply(text, timestamptz, text, text, text, text,
                                                   text, text, integer, bigint, bigint, bigint);
"""


def _analytics_0006() -> ModuleType:
    """Migration 0006, whose triggers a downgrade puts back as they were."""
    path = Path(__file__).with_name("0006_analytics.py")
    spec = importlib.util.spec_from_file_location("rma_migration_0006", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade() -> None:
    op.create_table(
        "inspected_units_daily",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("carrier", sa.String(length=64), nullable=False),
        sa.Column("condition", sa.String(length=32), nullable=False),
        sa.Column("disposition", sa.String(length=32), nullable=False),
        sa.Column("items", sa.BigInteger(), nullable=False),
        sa.Column("received_units", sa.BigInteger(), nullable=False),
        sa.Column("accepted_units", sa.BigInteger(), nullable=False),
        sa.Column("rejected_units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "day",
            "sku",
            "reason_code",
            "channel",
            "carrier",
            "condition",
            "disposition",
            name=op.f("pk_inspected_units_daily"),
        ),
    )
    op.create_table(
        "money_daily",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("measure", sa.String(length=32), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("facts", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "day", "currency", "measure", name=op.f("pk_money_daily")
        ),
    )
    op.create_table(
        "shipped_units_monthly",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("facility_code", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "month",
            "sku",
            "facility_code",
            "channel",
            name=op.f("pk_shipped_units_monthly"),
        ),
    )
    op.create_table(
        "returned_units_monthly",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("sku", sa.String(length=100), nullable=False),
        sa.Column("reason_code", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id",
            "month",
            "sku",
            "reason_code",
            "channel",
            name=op.f("pk_returned_units_monthly"),
        ),
    )
    # The shipped units' months are built by the next refresh: it starts again from nothing.
    op.execute("DELETE FROM analytics_watermarks")
    op.execute("DELETE FROM shipped_units_daily")
    op.create_table(
        "analytics_alert_checks",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("window_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_analytics_alert_checks")),
    )
    op.create_index(
        "ix_tracking_events_seller_id_status_occurred_at",
        "tracking_events",
        ["seller_id", "status", "occurred_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(ROLLUP_TRIGGERS)
        # Facts already there (an installed database) go into the new rollups once.
        op.execute("SELECT rma_rebuild_returned_units(id), rma_rebuild_operations(id) FROM sellers")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_ROLLUP_TRIGGERS)
        before = _analytics_0006()
        op.execute(before.DROP_ROLLUP_TRIGGERS)
        op.execute(before.ROLLUP_TRIGGERS)
    op.drop_index("ix_tracking_events_seller_id_status_occurred_at", table_name="tracking_events")
    op.drop_table("analytics_alert_checks")
    op.drop_table("returned_units_monthly")
    op.drop_table("shipped_units_monthly")
    op.drop_table("money_daily")
    op.drop_table("inspected_units_daily")
