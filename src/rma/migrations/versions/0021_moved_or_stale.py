"""a return's move fails in the database when the return changed since it was read

A move is one statement (``rma.adapters.return_writes``): the return's versioned ``UPDATE``,
its items' and its history entry. It answered how many returns it moved, and the API checked
for 0 before committing, so the commit waited for that answer: a round trip of its own. Now
the statement itself fails when it moved none (``rma_one_moved``, SQLSTATE ``RMA01``), so it
can be sent with the outbox's statement and the ``COMMIT`` in one pipeline: libpq skips what
follows a failed statement, and nothing commits. PostgreSQL only; SQLite checks the count.

Revision ID: 0021
Revises: 0020
"""

from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

_ONE_MOVED = """
CREATE OR REPLACE FUNCTION rma_one_moved(moved bigint) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
    IF moved <> 1 THEN
        RAISE EXCEPTION 'the return changed since it was read' USING ERRCODE = 'RMA01';
    END IF;
    RETURN moved;
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_ONE_MOVED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS rma_one_moved(bigint)")
