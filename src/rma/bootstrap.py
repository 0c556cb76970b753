"""Wiring: settings to engine to units of work, done once by each entrypoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import Engine

from rma.adapters.crypto import attach_keyring, load_keyring
from rma.adapters.database import make_engine, make_session_factory
from rma.adapters.files import LocalFiles
from rma.adapters.label_cache import LabelCache
from rma.adapters.label_pdf import render_documents
from rma.adapters.orm import start_mappers
from rma.adapters.payments import SellerGateways
from rma.adapters.private_files import private_dir, touch_private
from rma.adapters.signing import Signer, load_or_create_secret
from rma.adapters.unit_of_work import SqlUnitOfWork
from rma.config import Settings, get_settings


@dataclass
class Container:
    """What an entrypoint needs: settings, the engine, and a way to start a unit of work."""

    settings: Settings
    engine: Engine

    def __post_init__(self) -> None:
        self._session_factory = make_session_factory(self.engine)
        self._read_only_session_factory = make_session_factory(self.engine, read_only=True)
        secret = load_or_create_secret(self.settings.secret_key, self.settings.data_dir)
        self.signer = Signer(secret)
        timeout = self.settings.payment_timeout_seconds
        self.payments = SellerGateways(httpx.Client(timeout=timeout, follow_redirects=False))
        self.files = LocalFiles(self.settings.uploads_path)
        self.labels = LabelCache(self.settings.data_dir / "cache" / "labels", render_documents)

    def uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self._session_factory)

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for lookups alone: no transaction, and it refuses to commit."""
        return SqlUnitOfWork(self._read_only_session_factory, read_only=True)


def bootstrap(settings: Settings | None = None) -> Container:
    """Map the domain, open the engine, and hand back the container."""
    settings = settings or get_settings()
    private_dir(settings.data_dir)
    db_path = settings.database_url.removeprefix("sqlite:///")
    if db_path != settings.database_url and db_path not in {"", ":memory:"}:
        # SQLite gives its -wal and -shm files the mode of the database file: made 0600 here,
        # all three stay private.
        touch_private(Path(db_path))
    start_mappers()
    engine = make_engine(settings.database_url)
    attach_keyring(engine, load_keyring(settings.encryption_key, settings.data_dir))
    return Container(settings, engine)
