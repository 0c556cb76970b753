"""live rows held to the audit trail from now on

A return's history rows now each have an entry keyed by the return, and bulk
authorizations record their columns: verification holds the returns and their history to
their entries. Rows and entries written before this upgrade have the earlier form, so the
moment of the upgrade is kept, and only what is written after it is held.

Revision ID: 0014
Revises: 0013
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    holds = op.create_table(
        "audit_holds",
        sa.Column("what", sa.String(length=32), nullable=False),
        sa.Column("since", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("what", name=op.f("pk_audit_holds")),
    )
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":  # kept as naive UTC there, like every time
        now = now.replace(tzinfo=None)
    op.bulk_insert(holds, [{"what": "rows", "since": now}])


def downgrade() -> None:
    op.drop_table("audit_holds")
