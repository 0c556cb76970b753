"""indexes for reads at scale: trigram search, and the filtered queue

Revision ID: 0011
Revises: 0009 (to be re-chained after 0010 when the analytics rollups land)
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Trigram indexes, PostgreSQL only (see rma.adapters.orm_reads). IF NOT EXISTS: on a big
# database an operator may build them beforehand with CREATE INDEX CONCURRENTLY under the
# same names, without blocking writes, and the upgrade then leaves them be.
TRIGRAM = (
    ("ix_returns_rma_number_trgm", "returns", "rma_number"),
    ("ix_returns_order_number_trgm", "returns", "order_number"),
    ("ix_returns_tracking_number_trgm", "returns", "tracking_number"),
    ("ix_returns_customer_email_trgm", "returns", "customer_email"),
    ("ix_orders_customer_name_trgm", "orders", "customer_name"),
)


# The filtered queue's, on both backends (see rma.adapters.orm_reads for which serves what).
QUEUE = (
    ("ix_returns_seller_id_status_created_at", "returns", ["seller_id", "status", "created_at"]),
    ("ix_returns_seller_id_updated_at", "returns", ["seller_id", "updated_at"]),
    ("ix_return_items_seller_id_sku_return_id", "return_items", ["seller_id", "sku", "return_id"]),
    (
        "ix_return_items_seller_id_reason_code_return_id",
        "return_items",
        ["seller_id", "reason_code", "return_id"],
    ),
)


def upgrade() -> None:
    for name, table, columns in QUEUE:
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, column in TRIGRAM:
            op.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {table}"
                f" USING gin (lower({column}) gin_trgm_ops)"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _column in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    for name, table, _columns in QUEUE:
        op.drop_index(name, table_name=table)
