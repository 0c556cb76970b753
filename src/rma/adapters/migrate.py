"""Schema migrations with Alembic, run from code (``rma migrate``, tests, ``make run``)."""

from __future__ import annotations

from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, text


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "rma:migrations")
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` up to ``revision``."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()


def autogenerate(engine: Engine, message: str) -> None:
    """Write a new revision from the difference between the tables and the database."""
    config = alembic_config()
    with engine.connect() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def tables_not_partitions(connection: Connection) -> Any:
    """Alembic's ``include_name`` leaving out PostgreSQL's partitions.

    A partitioned table is described once, as its parent; its monthly partitions (made by
    migration 0012 and the due job) carry the same columns and indexes, and are not tables
    of their own to compare or drop.
    """
    partitions: set[str] = set()
    if connection.dialect.name == "postgresql":
        partitions = set(
            connection.execute(
                text("SELECT relname FROM pg_class WHERE relispartition AND relkind = 'r'")
            ).scalars()
        )

    def include(name: str | None, type_: str, parent_names: Any) -> bool:
        return not (type_ == "table" and name in partitions)

    return include
