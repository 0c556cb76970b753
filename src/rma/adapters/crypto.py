"""Secrets encrypted at rest with Fernet, where rows meet the database.

Columns holding what rma must use as given (signing secrets, the payment webhook secret,
emails with working links, stored idempotent answers that may show a new API key) are of an
``Encrypted*`` type: values are encrypted as they are written and decrypted as they are read,
so the domain only ever sees clear text and the tables only ever hold ciphertext.

The keys come from ``RMA_ENCRYPTION_KEY`` (comma-separated Fernet keys, newest first), else
from ``data_dir/encryption_key`` (one a line, newest first; made on first use). The newest key
encrypts; every key listed decrypts, so a key is rotated by putting a new one first, then
running ``rma secrets rotate`` (``reencrypt``), then dropping the old one.

The keyring belongs to an engine, not to the process: ``attach_keyring`` ties it to the
engine's dialect, which every connection, session and migration of that engine shares, so
two databases with two keys can live in one process, and nothing is read at import time.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from weakref import WeakKeyDictionary

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import (
    Connection,
    Dialect,
    Engine,
    Text,
    TypeDecorator,
    bindparam,
    column,
    select,
    table,
    tuple_,
)

from rma.adapters.private_files import create_private, write_private

KEY_FILE = "encryption_key"
# Secrets opened lately, by ciphertext (a ciphertext opens to one text for good): a seller's
# settings hold their payment webhook secret, read by every request, and opening it was 2%
# of an authorization. Only short values are kept (secrets, not documents), so many.
_KEPT_OPENED = 1024
_KEPT_LENGTH = 512


class EncryptionKeyError(Exception):
    """The configured keys are unusable, or a stored value opens with none of them."""


class Keyring:
    """Fernet keys, newest first: the newest encrypts, any of them decrypts."""

    def __init__(self, keys: Sequence[str | bytes]):
        if not keys:
            raise EncryptionKeyError("at least one encryption key is needed")
        try:
            fernets = [Fernet(key) for key in keys]
        except (ValueError, TypeError) as error:
            raise EncryptionKeyError(
                "an encryption key is not a Fernet key (32 url-safe base64-encoded bytes;"
                " `rma secrets new-key` makes one)"
            ) from error
        self._newest = fernets[0]
        self._all = MultiFernet(fernets)
        self._opened: dict[str, str] = {}

    def encrypt(self, text: str) -> str:
        return self._newest.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        opened = self._opened.get(token)
        if opened is None:
            opened = self._open(token)
            if len(token) <= _KEPT_LENGTH:
                if len(self._opened) >= _KEPT_OPENED:
                    self._opened.clear()
                self._opened[token] = opened
        return opened

    def _open(self, token: str) -> str:
        try:
            return self._all.decrypt(token.encode()).decode()
        except InvalidToken as error:
            raise EncryptionKeyError(
                "a stored secret opens with none of the encryption keys: is the key that"
                " encrypted it still listed in RMA_ENCRYPTION_KEY?"
            ) from error

    def rotate(self, token: str) -> str:
        """``token`` encrypted again with the newest key."""
        try:
            return self._all.rotate(token.encode()).decode()
        except InvalidToken as error:
            raise EncryptionKeyError("a stored secret opens with none of the keys") from error


def new_key() -> str:
    return Fernet.generate_key().decode()


def load_keyring(configured: str | None, data_dir: Path) -> Keyring:
    """The configured keys, else those kept in ``data_dir/encryption_key`` (made on first use)."""
    if configured:
        return Keyring(_split(configured.replace(",", "\n")))
    path = data_dir / KEY_FILE
    if not path.exists():
        create_private(path, f"{new_key()}\n".encode())
    return Keyring(_split(path.read_text()))


def add_key_to_file(data_dir: Path) -> str:
    """Put a new key first in ``data_dir/encryption_key``; the older ones still decrypt."""
    path = data_dir / KEY_FILE
    old = _split(path.read_text()) if path.exists() else []
    key = new_key()
    write_private(path, "".join(f"{k}\n" for k in [key, *old]).encode())
    return key


def drop_old_keys_from_file(data_dir: Path) -> int:
    """Keep only the newest key in ``data_dir/encryption_key``; answer how many were dropped."""
    path = data_dir / KEY_FILE
    keys = _split(path.read_text())
    write_private(path, f"{keys[0]}\n".encode())
    return len(keys) - 1


def _split(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


_KEYRINGS: WeakKeyDictionary[Dialect, Keyring] = WeakKeyDictionary()


def attach_keyring(engine: Engine, keyring: Keyring) -> None:
    """Encrypt and decrypt the ``Encrypted*`` columns of ``engine``'s rows with ``keyring``."""
    _KEYRINGS[engine.dialect] = keyring


def keyring_of(dialect: Dialect) -> Keyring:
    try:
        return _KEYRINGS[dialect]
    except KeyError:
        raise EncryptionKeyError(
            "this database engine has no encryption key: make it with rma.bootstrap"
        ) from None


class EncryptedText(TypeDecorator[str]):
    """Text stored encrypted; ``None`` and ``""`` are stored as they are (nothing to hide)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return keyring_of(dialect).encrypt(value) if value else value

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return keyring_of(dialect).decrypt(value) if value else value


class EncryptedJSON(TypeDecorator[Any]):
    """A JSON document stored encrypted; ``None`` is stored as SQL NULL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return keyring_of(dialect).encrypt(json.dumps(value, separators=(",", ":")))

    def process_result_value(self, value: str | None, dialect: Dialect) -> Any:
        return json.loads(keyring_of(dialect).decrypt(value)) if value else None


@dataclass(frozen=True)
class EncryptedColumn:
    """Where ciphertext lives: a table, its key columns, and the encrypted column."""

    table: str
    keys: tuple[str, ...]
    name: str


ENCRYPTED_COLUMNS = (
    EncryptedColumn("sellers", ("id",), "payment_webhook_secret"),
    EncryptedColumn("webhook_endpoints", ("id",), "secret"),
    EncryptedColumn("webhook_endpoints", ("id",), "previous_secret"),
    EncryptedColumn("carrier_sources", ("id",), "secret"),
    EncryptedColumn("email_messages", ("id",), "text_body"),
    EncryptedColumn("email_messages", ("id",), "html_body"),
    EncryptedColumn("idempotency_keys", ("scope", "key"), "body"),
)


def reencrypt(engine: Engine, *, batch: int = 500) -> dict[str, int]:
    """Encrypt every stored secret again with the newest key; answer how many per column.

    Runs a transaction per batch, so a large email table does not hold one long lock, and
    can be run again after an interruption (a value already on the newest key is rewritten
    with it once more).
    """
    keyring = keyring_of(engine.dialect)
    counts = {}
    for target in ENCRYPTED_COLUMNS:
        done = 0
        for rows in _batches(engine, target, batch):
            with engine.begin() as connection:
                _rewrite(connection, target, rows, keyring.rotate)
            done += len(rows)
        counts[f"{target.table}.{target.name}"] = done
    return counts


def encrypt_clear_values(connection: Connection, keyring: Callable[[], Keyring]) -> None:
    """Encrypt the values stored in clear before encryption existed (the 0003 migration).

    ``keyring`` is asked for only when there is something to encrypt: an empty database
    migrates without one.
    """
    for target in ENCRYPTED_COLUMNS:
        rows = _all_rows(connection, target)
        if target.name == "body":  # idempotent answers were JSON; JSON null means none
            rows = [(keys, value) for keys, value in rows if value != "null"]
        if rows:
            _rewrite(connection, target, rows, keyring().encrypt)


def decrypt_values(connection: Connection, keyring: Callable[[], Keyring]) -> None:
    """Store every encrypted value in clear again (undoing the 0003 migration)."""
    for target in ENCRYPTED_COLUMNS:
        rows = _all_rows(connection, target)
        if rows:
            _rewrite(connection, target, rows, keyring().decrypt)


Row = tuple[tuple[Any, ...], str]


def _raw(target: EncryptedColumn) -> Any:
    # Untyped columns: the values pass as stored, not through the Encrypted* types.
    return table(target.table, *(column(name) for name in (*target.keys, target.name)))


def _all_rows(connection: Connection, target: EncryptedColumn) -> list[Row]:
    raw = _raw(target)
    value = raw.c[target.name]
    query = select(*(raw.c[k] for k in target.keys), value).where(value.is_not(None), value != "")
    return [(tuple(row[:-1]), row[-1]) for row in connection.execute(query)]


def _batches(engine: Engine, target: EncryptedColumn, size: int) -> Iterator[list[Row]]:
    raw = _raw(target)
    value = raw.c[target.name]
    keys = [raw.c[k] for k in target.keys]
    after: tuple[Any, ...] | None = None
    while True:
        query = select(*keys, value).where(value.is_not(None), value != "")
        if after is not None:
            query = query.where(_after(keys, after))
        with engine.connect() as connection:
            rows = connection.execute(query.order_by(*keys).limit(size)).all()
        if not rows:
            return
        yield [(tuple(row[:-1]), row[-1]) for row in rows]
        after = tuple(rows[-1][:-1])


def _after(keys: list[Any], after: tuple[Any, ...]) -> Any:
    return tuple_(*keys) > tuple_(*after)


def _rewrite(
    connection: Connection, target: EncryptedColumn, rows: list[Row], change: Callable[[str], str]
) -> None:
    if not rows:
        return
    raw = _raw(target)
    statement = (
        raw.update()
        .where(*(raw.c[name] == bindparam(f"k_{name}") for name in target.keys))
        .values({target.name: bindparam("new_value")})
    )
    connection.execute(
        statement,
        [
            {
                "new_value": change(value),
                **{f"k_{n}": k for n, k in zip(target.keys, keys, strict=True)},
            }
            for keys, value in rows
        ],
    )
