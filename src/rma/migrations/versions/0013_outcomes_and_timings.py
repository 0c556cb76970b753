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

# An inspection now also upserts its month (without reason): outcomes and carrier damage over
# a year read 12 rows per SKU, carrier and condition, not one per inspected item. Inspections are not
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
    INSERT INTO inspected_units_monthly AS m (seller_id, month, sku, channel, carrier,
                                              condition, disposition, items, received_units,
                                              accepted_units, rejected_units)
    VALUES (p_seller, date_trunc('month', local_day)::date, p_sku, chan,
            coalesce(p_carrier, '(unknown)'), p_condition, coalesce(p_disposition, 'none'),
            p_sign, p_sign * p_received, p_sign * p_accepted, p_sign * p_rejected)
    ON CONFLICT (seller_id, month, sku, channel, carrier, condition, disposition)
    DO UPDATE SET items = m.items + EXCLUDED.items,
                  received_units = m.received_units + EXCLUDED.received_units,
                  accepted_units = m.accepted_units + EXCLUDED.accepted_units,
                  rejected_units = m.rejected_units + EXCLUDED.rejected_units;
END $$;

CREATE OR REPLACE FUNCTION rma_rebuild_inspected_months(p_seller text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM inspected_units_monthly WHERE seller_id = p_seller;
    INSERT INTO inspected_units_monthly (seller_id, month, sku, channel, carrier, condition,
                                         disposition, items, received_units, accepted_units,
                                         rejected_units)
    SELECT seller_id, date_trunc('month', day)::date, sku, channel, carrier, condition,
           disposition, sum(items), sum(received_units), sum(accepted_units),
           sum(rejected_units)
    FROM inspected_units_daily WHERE seller_id = p_seller
    GROUP BY 1, 2, 3, 4, 5, 6, 7;
END $$;

-- A duration's bin: 8 per doubling of seconds, found by comparisons alone (width_bucket), so
-- a longer duration is never in a lower bin; 0 for none or less, 201 past 2^25 s (a year).
CREATE OR REPLACE FUNCTION rma_stage_bin(p_seconds double precision) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT width_bucket(p_seconds, ARRAY[1.000000, 1.090508, 1.189207, 1.296840, 1.414214, 1.542211, 1.681793, 1.834008, 2.000000, 2.181015, 2.378414, 2.593679, 2.828427, 3.084422, 3.363586, 3.668016, 4.000000, 4.362031, 4.756828, 5.187358, 5.656854, 6.168843, 6.727171, 7.336032, 8.000000, 8.724062, 9.513657, 10.374716, 11.313708, 12.337687, 13.454343, 14.672065, 16.000000, 17.448124, 19.027314, 20.749433, 22.627417, 24.675373, 26.908685, 29.344129, 32.000000, 34.896247, 38.054628, 41.498866, 45.254834, 49.350746, 53.817371, 58.688259, 64.000000, 69.792495, 76.109255, 82.997731, 90.509668, 98.701493, 107.634741, 117.376518, 128.000000, 139.584990, 152.218511, 165.995463, 181.019336, 197.402986, 215.269482, 234.753035, 256.000000, 279.169980, 304.437021, 331.990926, 362.038672, 394.805971, 430.538965, 469.506070, 512.000000, 558.339959, 608.874043, 663.981852, 724.077344, 789.611943, 861.077929, 939.012140, 1024.000000, 1116.679918, 1217.748086, 1327.963704, 1448.154688, 1579.223885, 1722.155858, 1878.024280, 2048.000000, 2233.359836, 2435.496172, 2655.927408, 2896.309376, 3158.447770, 3444.311717, 3756.048561, 4096.000000, 4466.719673, 4870.992343, 5311.854816, 5792.618751, 6316.895541, 6888.623434, 7512.097122, 8192.000000, 8933.439346, 9741.984686, 10623.709632, 11585.237503, 12633.791082, 13777.246868, 15024.194244, 16384.000000, 17866.878692, 19483.969372, 21247.419263, 23170.475006, 25267.582163, 27554.493735, 30048.388488, 32768.000000, 35733.757384, 38967.938744, 42494.838527, 46340.950012, 50535.164327, 55108.987470, 60096.776975, 65536.000000, 71467.514768, 77935.877489, 84989.677054, 92681.900024, 101070.328654, 110217.974940, 120193.553951, 131072.000000, 142935.029536, 155871.754978, 169979.354107, 185363.800047, 202140.657308, 220435.949880, 240387.107902, 262144.000000, 285870.059072, 311743.509955, 339958.708214, 370727.600095, 404281.314616, 440871.899761, 480774.215804, 524288.000000, 571740.118144, 623487.019911, 679917.416429, 741455.200189, 808562.629231, 881743.799521, 961548.431607, 1048576.000000, 1143480.236287, 1246974.039821, 1359834.832858, 1482910.400379, 1617125.258463, 1763487.599042, 1923096.863215, 2097152.000000, 2286960.472574, 2493948.079642, 2719669.665715, 2965820.800758, 3234250.516926, 3526975.198084, 3846193.726430, 4194304.000000, 4573920.945149, 4987896.159284, 5439339.331431, 5931641.601516, 6468501.033852, 7053950.396169, 7692387.452859, 8388608.000000, 9147841.890298, 9975792.318569, 10878678.662862, 11863283.203031, 12937002.067704, 14107900.792337, 15384774.905718, 16777216.000000, 18295683.780595, 19951584.637137, 21757357.325724, 23726566.406063, 25874004.135407, 28215801.584675, 30769549.811436, 33554432.000000]::double precision[])::smallint
$$;

-- Each timed return's stages, and their count per local day of the request, stage and bin:
-- a percentile sums bin counts, then sorts only the bin that holds its rank. Per statement,
-- over its transition tables: the job times thousands of returns in one statement.
CREATE OR REPLACE FUNCTION rma_return_stages() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        WITH gone AS (
            DELETE FROM return_stage_times s USING old_rows o
            WHERE s.seller_id = o.seller_id AND s.return_id = o.return_id
            RETURNING s.seller_id, s.requested_at, s.stage, s.bin
        )
        INSERT INTO return_stage_bins AS b (seller_id, day, stage, bin, returns)
        SELECT g.seller_id, (g.requested_at AT TIME ZONE z.timezone)::date, g.stage, g.bin,
               -count(*)
        FROM gone g JOIN sellers z ON z.id = g.seller_id
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (seller_id, day, stage, bin)
        DO UPDATE SET returns = b.returns + EXCLUDED.returns;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        WITH made AS (
            INSERT INTO return_stage_times (seller_id, return_id, stage, bin, requested_at,
                                            seconds)
            SELECT n.seller_id, n.return_id, v.stage, rma_stage_bin(v.seconds), n.requested_at,
                   v.seconds
            FROM new_rows n
            CROSS JOIN LATERAL (VALUES
                (0::smallint,
                 extract(epoch FROM n.authorized_at - n.requested_at)::double precision),
                (1::smallint,
                 extract(epoch FROM n.received_at - n.authorized_at)::double precision),
                (2::smallint,
                 extract(epoch FROM n.refunded_at - n.received_at)::double precision)
            ) AS v(stage, seconds)
            WHERE v.seconds IS NOT NULL
            RETURNING seller_id, requested_at, stage, bin
        )
        INSERT INTO return_stage_bins AS b (seller_id, day, stage, bin, returns)
        SELECT m.seller_id, (m.requested_at AT TIME ZONE z.timezone)::date, m.stage, m.bin,
               count(*)
        FROM made m JOIN sellers z ON z.id = m.seller_id
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (seller_id, day, stage, bin)
        DO UPDATE SET returns = b.returns + EXCLUDED.returns;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_return_stages_insert AFTER INSERT ON return_timings
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION rma_return_stages();
CREATE TRIGGER rma_return_stages_update AFTER UPDATE ON return_timings
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
FOR EACH STATEMENT EXECUTE FUNCTION rma_return_stages();
CREATE TRIGGER rma_return_stages_delete AFTER DELETE ON return_timings
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION rma_return_stages();

-- Built from the timings: after a bulk load, and the counts' days when the zone changes.
CREATE OR REPLACE FUNCTION rma_rebuild_return_stages(p_seller text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM return_stage_times WHERE seller_id = p_seller;
    INSERT INTO return_stage_times (seller_id, return_id, stage, bin, requested_at, seconds)
    SELECT t.seller_id, t.return_id, v.stage, rma_stage_bin(v.seconds), t.requested_at,
           v.seconds
    FROM return_timings t
    CROSS JOIN LATERAL (VALUES
        (0::smallint, extract(epoch FROM t.authorized_at - t.requested_at)::double precision),
        (1::smallint, extract(epoch FROM t.received_at - t.authorized_at)::double precision),
        (2::smallint, extract(epoch FROM t.refunded_at - t.received_at)::double precision)
    ) AS v(stage, seconds)
    WHERE t.seller_id = p_seller AND v.seconds IS NOT NULL;
    PERFORM rma_rebuild_stage_bins(p_seller);
END $$;

CREATE OR REPLACE FUNCTION rma_rebuild_stage_bins(p_seller text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM return_stage_bins WHERE seller_id = p_seller;
    INSERT INTO return_stage_bins (seller_id, day, stage, bin, returns)
    SELECT st.seller_id, (st.requested_at AT TIME ZONE s.timezone)::date, st.stage, st.bin,
           count(*)
    FROM return_stage_times st JOIN sellers s ON s.id = st.seller_id
    WHERE st.seller_id = p_seller
    GROUP BY 1, 2, 3, 4;
END $$;

-- A zone change rebuilds the days (0010), then their months, and the stage counts' days.
CREATE OR REPLACE FUNCTION rma_sellers_rollup() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM rma_rebuild_returned_units(NEW.id);
    PERFORM rma_rebuild_operations(NEW.id);
    PERFORM rma_rebuild_inspected_months(NEW.id);
    PERFORM rma_rebuild_stage_bins(NEW.id);
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
DROP TRIGGER IF EXISTS rma_return_stages_insert ON return_timings;
DROP TRIGGER IF EXISTS rma_return_stages_update ON return_timings;
DROP TRIGGER IF EXISTS rma_return_stages_delete ON return_timings;
DROP FUNCTION IF EXISTS rma_return_stages();
DROP FUNCTION IF EXISTS rma_rebuild_return_stages(text);
DROP FUNCTION IF EXISTS rma_rebuild_stage_bins(text);
DROP FUNCTION IF EXISTS rma_stage_bin(double precision);
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
        sa.Column("carrier", sa.String(length=64), nullable=False),
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
            "carrier",
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
        "return_stage_times",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("return_id", _ID, nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "return_id", "stage", name=op.f("pk_return_stage_times")
        ),
    )
    op.create_index(
        "ix_return_stage_times_seller_id_stage_bin_requested_at",
        "return_stage_times",
        ["seller_id", "stage", "bin", "requested_at", "seconds", "return_id"],
    )
    op.create_table(
        "return_stage_bins",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("bin", sa.SmallInteger(), nullable=False),
        sa.Column("returns", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "day", "stage", "bin", name=op.f("pk_return_stage_bins")
        ),
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
    op.drop_table("return_stage_bins")
    op.drop_index(
        "ix_return_stage_times_seller_id_stage_bin_requested_at", table_name="return_stage_times"
    )
    op.drop_table("return_stage_times")
    op.drop_index("ix_return_timings_seller_id_requested_at", table_name="return_timings")
    op.drop_table("return_timings")
    op.drop_table("inspected_units_monthly")
    for name, table in SKU_INDEXES:
        op.drop_index(name, table_name=table)
