"""Migrations build the schema the tables describe, from an empty database, on both backends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from cryptography.fernet import Fernet
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from rma.adapters.crypto import Keyring, attach_keyring
from rma.adapters.database import make_engine
from rma.adapters.migrate import tables_not_partitions, upgrade
from rma.adapters.orm import metadata
from rma.adapters.orm_physical import carrier_sources
from tests.conftest import POSTGRES_URL, TEST_DATABASE


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with nothing in it, of each kind."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
        yield engine
        engine.dispose()
        return
    name = f"{TEST_DATABASE}_migrations"
    server = create_engine(make_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(
        make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    )
    yield engine
    engine.dispose()
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


def test_an_empty_database_upgrades_to_head_and_matches_the_tables(empty_engine: Engine) -> None:
    upgrade(empty_engine)

    tables = set(inspect(empty_engine).get_table_names())
    assert set(metadata.tables) <= tables
    with empty_engine.connect() as connection:
        # PostgreSQL's monthly partitions are left out: their parent is the table compared.
        options = {"include_name": tables_not_partitions(connection)}
        diff = compare_metadata(MigrationContext.configure(connection, opts=options), metadata)
    assert diff == []


def test_upgrading_twice_changes_nothing(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    with empty_engine.connect() as connection:
        heads = connection.execute(text("SELECT version_num FROM alembic_version")).scalars()
        assert len(list(heads)) == 1


def test_secrets_stored_in_clear_are_encrypted_by_the_upgrade(empty_engine: Engine) -> None:
    upgrade(empty_engine, "0002")
    now = datetime.now(UTC)
    with empty_engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO carrier_sources (id, seller_id, kind, name, secret, created_at)"
                " VALUES ('csrc_1', 'sel_1', 'native', 'ups', 'clear-carrier-secret', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, body,"
                " created_at) VALUES ('admin:x', 'k1', 'h', 201, :body, :now),"
                " ('admin:x', 'k2', 'h', NULL, NULL, :now)"
            ),
            {"body": json.dumps({"key": "rma_sk_clear"}), "now": now},
        )
    key = Fernet.generate_key()
    attach_keyring(empty_engine, Keyring([key]))

    upgrade(empty_engine)

    with empty_engine.connect() as connection:
        secret = connection.execute(text("SELECT secret FROM carrier_sources")).scalar_one()
        bodies = dict(connection.execute(text("SELECT key, body FROM idempotency_keys")).all())
        assert Fernet(key).decrypt(secret.encode()) == b"clear-carrier-secret"
        assert json.loads(Fernet(key).decrypt(bodies["k1"].encode())) == {"key": "rma_sk_clear"}
        assert bodies["k2"] is None
        # ...and the tables read them in clear.
        assert connection.execute(select(carrier_sources.c.secret)).scalar_one() == (
            "clear-carrier-secret"
        )
