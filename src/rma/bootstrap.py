"""Wiring: settings to engine to units of work, done once by each entrypoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine

from rma.adapters.crypto import attach_keyring, load_keyring
from rma.adapters.database import make_engine, make_session_factory
from rma.adapters.destinations import DestinationGuard, guarded_transport
from rma.adapters.files import LocalFiles
from rma.adapters.label_cache import LabelCache
from rma.adapters.label_pdf import render_documents
from rma.adapters.orm import start_mappers
from rma.adapters.page_links import PageLinks
from rma.adapters.payments import SellerGateways
from rma.adapters.private_files import private_dir, touch_private
from rma.adapters.signing import Signer, load_or_create_secret
from rma.adapters.throttle import LimitsAttempts
from rma.adapters.unit_of_work import SqlUnitOfWork
from rma.config import Settings, get_settings
from rma.services.throttling import Rule


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
        self.page_links = PageLinks(
            self.signer,
            self.settings.base_url,
            timedelta(days=self.settings.rma_page_link_days),
        )
        # One guard for every call rma makes to a URL a seller named (webhooks, payments).
        self.destinations = DestinationGuard(self.settings.webhooks_allow_private)
        client = httpx.Client(
            transport=guarded_transport(self.destinations),
            timeout=self.settings.payment_timeout_seconds,
            follow_redirects=False,
        )
        self.payments = SellerGateways(client, self.destinations)
        self.files = LocalFiles(self.settings.uploads_path)
        self.attempts = LimitsAttempts(
            {
                Rule.ADDRESS: self.settings.throttle_address,
                Rule.ORDER: self.settings.throttle_order,
                Rule.CREDENTIAL: self.settings.throttle_credential,
                Rule.KEY_REQUESTS: self.settings.throttle_key_requests,
            },
            self.settings.redis_url,
        )
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
