"""Alembic environment: runs on the connection ``rma.adapters.migrate`` hands it."""

from alembic import context

from rma.adapters.migrate import tables_not_partitions
from rma.adapters.orm import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    include_name=tables_not_partitions(connection),
)
with context.begin_transaction():
    context.run_migrations()
