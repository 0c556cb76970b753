"""the seller desk runs every return to the end

- ``refunds.sequence``: a return may have more than one refund (a top-up after a partial
  one); the database still refuses two refunds with the same number for one return, so two
  concurrent top-ups cannot both be recorded.
- ``return_items.seen_sku``: the SKU the warehouse found in the box, kept so the stock is
  booked under it even when the items of a return are judged in several calls.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sequence", sa.Integer(), nullable=False, server_default="1"))
        batch_op.drop_constraint("uq_refunds_seller_id_return_id", type_="unique")
        batch_op.create_unique_constraint(
            "uq_refunds_seller_id_return_id_sequence", ["seller_id", "return_id", "sequence"]
        )
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.alter_column("sequence", server_default=None)
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seen_sku", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("return_items", schema=None) as batch_op:
        batch_op.drop_column("seen_sku")
    with op.batch_alter_table("refunds", schema=None) as batch_op:
        batch_op.drop_constraint("uq_refunds_seller_id_return_id_sequence", type_="unique")
        batch_op.create_unique_constraint(
            "uq_refunds_seller_id_return_id", ["seller_id", "return_id"]
        )
        batch_op.drop_column("sequence")
