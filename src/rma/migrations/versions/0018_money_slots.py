"""money_daily spreads each day's measure over slots, so its writers do not queue on one row

Each inspection that restocks, each refund that succeeds and each credit issued added to one
row of ``money_daily`` per seller, day, currency and measure, and held its lock from the
trigger to the commit: a seller's inspections and refunds of a day took turns on that row
(at 16 clients, inspection's p99 was 200-440 ms where an authorization's is 60-100). Each
backend now adds to a slot of its own (``rma.migrations.slots``).

Revision ID: 0018
Revises: 0017
"""

from rma.migrations.slots import gather, spread

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_KEY = ["seller_id", "day", "currency", "measure"]

_APPLY = """
CREATE OR REPLACE FUNCTION rma_money_apply(
    p_seller text, p_at timestamptz[], p_currency text[], p_measure text[], p_amount bigint[],
    p_facts integer[]
) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    zone text;
    v_slot smallint := pg_backend_pid() % {slots};
BEGIN
    SELECT timezone INTO zone FROM sellers WHERE id = p_seller;
    -- One statement for the old and the new side: grouped first, since one upsert may not
    -- touch the same rollup row twice.
    INSERT INTO money_daily AS d (seller_id, day, currency, measure, {slot}amount, facts)
    SELECT p_seller, (x.at AT TIME ZONE coalesce(zone, 'UTC'))::date, x.currency, x.measure,
           {v_slot}sum(x.amount), sum(x.facts)
    FROM unnest(p_at, p_currency, p_measure, p_amount, p_facts)
         AS x(at, currency, measure, amount, facts)
    GROUP BY 2, 3, 4
    ON CONFLICT (seller_id, day, currency, measure{key})
    DO UPDATE SET amount = d.amount + EXCLUDED.amount, facts = d.facts + EXCLUDED.facts;
END $$;
"""


def upgrade() -> None:
    spread({"money_daily": _KEY}, _APPLY)


def downgrade() -> None:
    gather({"money_daily": _KEY}, _APPLY, ["amount", "facts"])
