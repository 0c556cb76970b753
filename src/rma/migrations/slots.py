"""Rollup rows spread over slots (migrations 0018-0020).

Each trigger-kept rollup cell was one row, which every transaction adding to it held until
its commit: writers of a popular cell took turns. A ``slot`` column joins the primary key and
each database backend adds to the slot of its process id modulo ``SLOTS``, so two
transactions meet on a row only when their backends share a slot; the readers sum a cell's
rows, and a rebuild writes slot 0. On SQLite, which keeps no rollups (its reports read the
facts), batch mode rebuilds each table.
"""

from collections.abc import Mapping

import sqlalchemy as sa
from alembic import op

SLOTS = 16


def trigger_function(template: str, *, slotted: bool) -> str:
    """A rollup function's ``template`` with the slot or without (to undo it): it names the
    slot as ``{slot}`` among the inserted columns, ``{v_slot}`` among the values (the
    declared ``v_slot``, ``{slots}`` the modulus) and ``{key}`` at the end of the conflict
    target."""
    if slotted:
        return template.format(slots=SLOTS, slot="slot, ", v_slot="v_slot, ", key=", slot")
    return template.format(slots=SLOTS, slot="", v_slot="", key="")


def add_slots(table: str, key: list[str]) -> None:
    """``table``'s cells (primary key ``key``) get a slot each, 0 for the rows it holds."""
    with op.batch_alter_table(table, recreate="auto") as batch:
        batch.add_column(sa.Column("slot", sa.SmallInteger(), nullable=False, server_default="0"))
        batch.drop_constraint(f"pk_{table}", type_="primary")
        batch.create_primary_key(f"pk_{table}", [*key, "slot"])


def drop_slots(table: str, key: list[str], sums: list[str]) -> None:
    """Undo ``add_slots``: each cell's slots summed into one row (its ``sums`` columns)."""
    if op.get_bind().dialect.name == "postgresql":
        columns, summed = ", ".join(key), ", ".join(sums)
        totals = ", ".join(f"sum({c}) AS {c}" for c in sums)
        op.execute(f"""
            CREATE TEMPORARY TABLE {table}_summed ON COMMIT DROP AS
            SELECT {columns}, {totals} FROM {table} GROUP BY {columns};
            DELETE FROM {table};
            INSERT INTO {table} ({columns}, slot, {summed})
            SELECT {columns}, 0, {summed} FROM {table}_summed;
        """)
    with op.batch_alter_table(table, recreate="auto") as batch:
        batch.drop_constraint(f"pk_{table}", type_="primary")
        batch.create_primary_key(f"pk_{table}", key)
        batch.drop_column("slot")


def spread(tables: Mapping[str, list[str]], function: str) -> None:
    """Upgrade: each of ``tables`` (by its primary key) gets slots, and on PostgreSQL the
    rollup ``function`` (a ``trigger_function`` template) adds to its backend's slot."""
    for table, key in tables.items():
        add_slots(table, key)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(trigger_function(function, slotted=True))


def gather(tables: Mapping[str, list[str]], function: str, sums: list[str]) -> None:
    """Downgrade of ``spread``: ``function`` adds to one row a cell again, and each cell's
    slots are summed into it (its ``sums`` columns)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(trigger_function(function, slotted=False))
    for table, key in tables.items():
        drop_slots(table, key, sums)
