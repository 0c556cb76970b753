"""Secrets at rest: the tables hold ciphertext only, and the encryption key can be rotated."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import text

from rma.adapters.crypto import EncryptionKeyError, Keyring, new_key, reencrypt
from rma.bootstrap import Container, bootstrap
from rma.domain.tracking import SourceKind
from rma.services import sellers, tracking, webhooks
from rma.worker import EventWorker
from tests.support import ADMIN_KEY, Shop, ok, open_shop

RMA = str(Path(sys.executable).with_name("rma"))
CARRIER_SECRET = "carrier-secret-given-at-the-carrier-0001"
# Every column that holds a secret, and the tables to search whole for any secret.
SECRET_COLUMNS = {
    "sellers": ["payment_webhook_secret"],
    "webhook_endpoints": ["secret", "previous_secret"],
    "carrier_sources": ["secret"],
    "email_messages": ["text_body", "html_body"],
    "idempotency_keys": ["body"],
}


@dataclass
class Secrets:
    shop: Shop
    values: list[str]  # every secret the API showed once


def raw_rows(container: Container, table: str) -> list[dict[str, Any]]:
    """The rows as stored, read with plain SQL (no encrypted column types in the way)."""
    with container.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(text(f"SELECT * FROM {table}"))]


def stored_values(container: Container) -> list[str]:
    """Every non-empty value of the secret columns, as stored."""
    return [
        str(row[name])
        for table, names in SECRET_COLUMNS.items()
        for row in raw_rows(container, table)
        for name in names
        if row[name]
    ]


def opens_with(key: str, token: str) -> bool:
    try:
        Fernet(key.encode()).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


@pytest.fixture(autouse=True)
def _local_webhooks(container: Container, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)


def leave_secrets(http: httpx.Client, container: Container) -> Secrets:
    """A seller with each kind of secret: webhook (rotated), carrier, payment, emails, keys."""
    shop = open_shop(http, kind="individual")
    new_key = ok(
        http.post(
            "/v1/api-keys",
            json={"role": "seller", "seller_id": shop.seller_id},
            headers={"Authorization": f"Bearer {ADMIN_KEY}", "Idempotency-Key": "key-1"},
        ),
        201,
    )["key"]
    settings = ok(
        shop.call(
            "PUT",
            "/v1/settings",
            json={
                "authorization_mode": "manual",
                "notification_email": "desk@shop.example",
                "email_preferences": ["return.pending_review"],
            },
        )
    )
    endpoint = ok(
        shop.call("POST", "/v1/webhook-endpoints", json={"url": "http://127.0.0.1:8443/hooks"}), 201
    )
    rotated = ok(shop.call("POST", f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret"))
    ok(
        shop.call(
            "POST",
            "/v1/carrier-sources",
            json={"kind": "native", "name": "ups", "secret": CARRIER_SECRET},
        ),
        201,
    )
    shop.order("1001")
    ok(shop.request_return("1001", [("1", 1)]), 201)
    worker = EventWorker(container)
    try:
        worker.run_once()  # composes the emails (with action links); sending is not needed
    finally:
        worker.close()
    return Secrets(
        shop,
        [
            new_key,
            settings["payment_webhook_secret"],
            endpoint["secret"],
            rotated["secret"],
            CARRIER_SECRET,
            "/actions/",  # any working action link
        ],
    )


def test_no_secret_can_be_read_from_the_tables(http: httpx.Client, container: Container) -> None:
    left = leave_secrets(http, container)
    assert len(raw_rows(container, "email_messages")) >= 1

    for table in SECRET_COLUMNS:
        for row in raw_rows(container, table):
            for secret in left.values:
                assert all(secret not in str(value) for value in row.values()), (table, secret)
    assert all(value.startswith("gAAAAA") for value in stored_values(container))

    # ...while the service reads them in clear.
    endpoint = webhooks.list_webhook_endpoints(left.shop.seller_id, container.uow())[0]
    assert endpoint.secret in left.values
    assert endpoint.previous_secret in left.values
    source = tracking.list_carrier_sources(left.shop.seller_id, container.uow())[0]
    assert source.secret == CARRIER_SECRET


@pytest.fixture
def old_key(container: Container) -> str:
    """The key the backend encrypts with: the one it made in its data directory."""
    assert container.settings.encryption_key is None
    return (container.settings.data_dir / "encryption_key").read_text().split()[0]


@pytest.fixture
def rotated(container: Container, old_key: str) -> Iterator[tuple[Container, str]]:
    """The same database opened with a new key first and the old one after it."""
    key = Fernet.generate_key().decode()
    settings = container.settings.model_copy(update={"encryption_key": f"{key},{old_key}"})
    opened = bootstrap(settings)
    yield opened, key
    opened.engine.dispose()


def test_after_a_new_key_old_rows_still_open_and_new_rows_use_it(
    http: httpx.Client, container: Container, old_key: str, rotated: tuple[Container, str]
) -> None:
    left = leave_secrets(http, container)
    opened, new_key = rotated

    endpoint = webhooks.list_webhook_endpoints(left.shop.seller_id, opened.uow())[0]
    assert endpoint.secret in left.values
    assert sellers.get_seller(left.shop.seller_id, opened.uow()).payment_webhook_secret
    tracking.add_carrier_source(
        tracking.AddCarrierSource(
            left.shop.seller_id, SourceKind.NATIVE, "dhl", "a-newer-secret-of-dhl"
        ),
        opened.uow(),
    )

    stored = {row["name"]: row["secret"] for row in raw_rows(container, "carrier_sources")}
    assert opens_with(new_key, stored["dhl"])
    assert not opens_with(old_key, stored["dhl"])
    assert opens_with(old_key, stored["ups"])
    assert not opens_with(new_key, stored["ups"])

    counts = reencrypt(opened.engine, batch=2)

    assert counts["carrier_sources.secret"] == 2
    assert all(opens_with(new_key, value) for value in stored_values(container))
    only_new = bootstrap(container.settings.model_copy(update={"encryption_key": new_key}))
    try:
        sources = tracking.list_carrier_sources(left.shop.seller_id, only_new.uow())
        assert {s.secret for s in sources} == {CARRIER_SECRET, "a-newer-secret-of-dhl"}
    finally:
        only_new.engine.dispose()


def test_the_operator_rotates_the_key_kept_in_the_data_directory(
    http: httpx.Client, container: Container, old_key: str, tmp_path: Path
) -> None:
    leave_secrets(http, container)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "encryption_key").write_text(f"{old_key}\n")
    env = {
        **os.environ,
        "RMA_DATABASE_URL": container.engine.url.render_as_string(hide_password=False),
        "RMA_DATA_DIR": str(data_dir),
    }
    env.pop("RMA_ENCRYPTION_KEY", None)

    def rma(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [RMA, "secrets", *args], env=env, capture_output=True, text=True, timeout=120
        )

    added = rma("new-key")
    assert added.returncode == 0, added.stderr
    keys = (data_dir / "encryption_key").read_text().split()
    assert keys[1:] == [old_key]
    assert keys[0] != old_key
    assert keys[0] not in added.stdout  # the key stays in its file, not in a terminal log

    done = rma("rotate", "--forget-old-keys")

    assert done.returncode == 0, done.stderr
    assert (data_dir / "encryption_key").read_text().split() == [keys[0]]
    assert stored_values(container)
    assert all(opens_with(keys[0], value) for value in stored_values(container))


def test_a_secret_opened_again_is_the_same_and_a_foreign_one_never_opens() -> None:
    ours, theirs = Keyring([new_key()]), Keyring([new_key()])
    token = ours.encrypt("whsec_payment")
    assert ours.decrypt(token) == ours.decrypt(token) == "whsec_payment"
    for _ in range(2):  # kept or not, a ciphertext of another key is refused every time
        with pytest.raises(EncryptionKeyError):
            theirs.decrypt(token)
    document = ours.encrypt("x" * 2_000)  # too long to keep: opened each time, the same
    assert ours.decrypt(document) == ours.decrypt(document) == "x" * 2_000
