"""analytics: top customers from cumulative counts per customer and local month

``customer_returns`` (what was counted, per return), ``customer_months`` (cumulative returns
and units per customer up to each month's end), ``customer_return_moves`` (returns changed
since they were counted, listed by triggers) and ``customer_rollup_marks`` (the zone of the
months and the last month with rows). The due job builds and keeps them; until it has run
for a seller, top customers read the facts.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

_ID = sa.String(length=40)

# A return is listed when what top customers count of it may have changed: items inserted
# (once per statement: a request inserts its items in one), a requested quantity changed,
# an item moved or deleted, a return becoming counted or not counted, its request time or
# its customer changed, a return deleted. A request's items cost one statement trigger;
# authorizing, receiving and inspecting fire nothing (the WHEN clauses are false).
TRIGGERS = """
CREATE FUNCTION rma_customer_moves_items_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_return_moves (seller_id, return_id)
    SELECT DISTINCT seller_id, return_id FROM new_items
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_customer_moves_items_inserted
AFTER INSERT ON return_items REFERENCING NEW TABLE AS new_items
FOR EACH STATEMENT EXECUTE FUNCTION rma_customer_moves_items_inserted();

CREATE FUNCTION rma_customer_moves_items_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_return_moves (seller_id, return_id)
    SELECT DISTINCT seller_id, return_id FROM old_items
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_customer_moves_items_deleted
AFTER DELETE ON return_items REFERENCING OLD TABLE AS old_items
FOR EACH STATEMENT EXECUTE FUNCTION rma_customer_moves_items_deleted();

CREATE FUNCTION rma_customer_moves_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'returns' THEN
        INSERT INTO customer_return_moves (seller_id, return_id)
        VALUES (NEW.seller_id, NEW.id) ON CONFLICT DO NOTHING;
    ELSE
        INSERT INTO customer_return_moves (seller_id, return_id)
        VALUES (OLD.seller_id, OLD.return_id), (NEW.seller_id, NEW.return_id)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_customer_moves_item_changed
AFTER UPDATE OF requested_quantity, return_id ON return_items FOR EACH ROW
WHEN (OLD.requested_quantity IS DISTINCT FROM NEW.requested_quantity
      OR OLD.return_id IS DISTINCT FROM NEW.return_id)
EXECUTE FUNCTION rma_customer_moves_row();

CREATE TRIGGER rma_customer_moves_return_changed
AFTER UPDATE OF status, created_at, customer_email ON returns FOR EACH ROW
WHEN ((OLD.status IN ('denied', 'cancelled', 'expired'))
          IS DISTINCT FROM (NEW.status IN ('denied', 'cancelled', 'expired'))
      OR OLD.created_at IS DISTINCT FROM NEW.created_at
      OR OLD.customer_email IS DISTINCT FROM NEW.customer_email)
EXECUTE FUNCTION rma_customer_moves_row();

CREATE FUNCTION rma_customer_moves_returns_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO customer_return_moves (seller_id, return_id)
    SELECT seller_id, id FROM old_returns
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$;

CREATE TRIGGER rma_customer_moves_returns_deleted
AFTER DELETE ON returns REFERENCING OLD TABLE AS old_returns
FOR EACH STATEMENT EXECUTE FUNCTION rma_customer_moves_returns_deleted();
"""

DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS rma_customer_moves_returns_deleted ON returns;
DROP TRIGGER IF EXISTS rma_customer_moves_return_changed ON returns;
DROP TRIGGER IF EXISTS rma_customer_moves_item_changed ON return_items;
DROP TRIGGER IF EXISTS rma_customer_moves_items_deleted ON return_items;
DROP TRIGGER IF EXISTS rma_customer_moves_items_inserted ON return_items;
DROP FUNCTION IF EXISTS rma_customer_moves_returns_deleted();
DROP FUNCTION IF EXISTS rma_customer_moves_row();
DROP FUNCTION IF EXISTS rma_customer_moves_items_deleted();
DROP FUNCTION IF EXISTS rma_customer_moves_items_inserted();
"""


def upgrade() -> None:
    op.create_table(
        "customer_returns",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("return_id", _ID, nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "return_id", name=op.f("pk_customer_returns")),
    )
    op.create_index(
        "ix_customer_returns_seller_id_created_at",
        "customer_returns",
        ["seller_id", "created_at"],
        postgresql_include=["customer_email", "units"],
    )
    op.create_table(
        "customer_months",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=False),
        sa.Column("returns", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "seller_id", "month", "customer_email", name=op.f("pk_customer_months")
        ),
    )
    op.create_table(
        "customer_return_moves",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("return_id", _ID, nullable=False),
        sa.PrimaryKeyConstraint("seller_id", "return_id", name=op.f("pk_customer_return_moves")),
    )
    op.create_table(
        "customer_rollup_marks",
        sa.Column("seller_id", _ID, nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("last_month", sa.Date(), nullable=True),
        sa.Column("refreshed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seller_id", name=op.f("pk_customer_rollup_marks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(TRIGGERS)
        # The rollup is built by the due job's next run; reads take the facts until then.


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_TRIGGERS)
    op.drop_table("customer_rollup_marks")
    op.drop_table("customer_return_moves")
    op.drop_table("customer_months")
    op.drop_index("ix_customer_returns_seller_id_created_at", table_name="customer_returns")
    op.drop_table("customer_returns")
