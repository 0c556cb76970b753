"""secrets encrypted at rest

Also: ``leased_until`` on the webhook and email queues, so `rma worker --drain` can tell a
row held by a (perhaps dead) worker from one waiting for its retry.

Signing secrets, the payment webhook secret, email bodies and stored idempotent answers
become ciphertext (Fernet, see rma.adapters.crypto): their columns turn to TEXT, wide enough
for it, and the values already stored in clear are encrypted here, with the newest key of
the engine that runs the migration (``rma migrate`` reads RMA_ENCRYPTION_KEY or
data_dir/encryption_key).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from rma.adapters.crypto import decrypt_values, encrypt_clear_values, keyring_of

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, type before, nullable)
_WIDENED = [
    ("sellers", "payment_webhook_secret", sa.String(length=100), False),
    ("webhook_endpoints", "secret", sa.String(length=100), False),
    ("webhook_endpoints", "previous_secret", sa.String(length=100), True),
    ("carrier_sources", "secret", sa.String(length=200), False),
]

_LEASED = ["webhook_deliveries", "email_messages"]


def upgrade() -> None:
    for table, column, before, nullable in _WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column, type_=sa.Text(), existing_type=before, existing_nullable=nullable
            )
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column(
            "body",
            type_=sa.Text(),
            existing_type=sa.JSON(),
            existing_nullable=True,
            postgresql_using="body::text",
        )
    bind = op.get_bind()
    encrypt_clear_values(bind, lambda: keyring_of(bind.dialect))
    # Whether a pending row is held by a worker, or waiting for its retry: drain waits for
    # the former only.
    for table in _LEASED:
        op.add_column(table, sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in _LEASED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("leased_until")
    bind = op.get_bind()
    decrypt_values(bind, lambda: keyring_of(bind.dialect))
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.alter_column(
            "body",
            type_=sa.JSON(),
            existing_type=sa.Text(),
            existing_nullable=True,
            postgresql_using="body::json",
        )
    for table, column, before, nullable in _WIDENED:
        with op.batch_alter_table(table) as batch:
            batch.alter_column(
                column, type_=before, existing_type=sa.Text(), existing_nullable=nullable
            )
