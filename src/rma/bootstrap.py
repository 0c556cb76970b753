"""Wiring: settings to engine to units of work, done once by each entrypoint."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import configure_mappers

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
from rma.adapters.replica import ReplicaSessions
from rma.adapters.signing import Signer, load_or_create_secret
from rma.adapters.throttle import LimitsAttempts
from rma.adapters.unit_of_work import SqlUnitOfWork
from rma.config import Settings, get_settings
from rma.services.throttling import Rule


@dataclass
class Container:
    """What an entrypoint needs: settings, the engines, and a way to start a unit of work."""

    settings: Settings
    engine: Engine
    replica_engine: Engine | None = None  # a streaming replica of ``engine``, if one is set

    def __post_init__(self) -> None:
        self._session_factory = make_session_factory(self.engine)
        self._read_only_session_factory = make_session_factory(self.engine, read_only=True)
        self._replica = (
            ReplicaSessions(
                self.replica_engine,
                primary_reads=self._read_only_session_factory,
                primary_snapshots=self._session_factory,
                retry_seconds=self.settings.database_replica_retry_seconds,
            )
            if self.replica_engine is not None
            else None
        )
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

    def replica(self, *, snapshot: bool = False) -> SqlUnitOfWork:
        """A read-only unit of work for reads that may lag the last writes by a moment.

        It reads the streaming replica when one is set, answers, and the request did not ask
        for the primary; else the primary. Only lists, analytics and exports use it, never a
        read that must see the caller's own write (docs/operations.md, "A read replica").
        ``snapshot`` reads in one transaction, for a streamed export's server-side cursor.
        """
        if self._replica is not None:
            return SqlUnitOfWork(self._replica.factory(snapshot=snapshot), read_only=True)
        if snapshot and self.engine.dialect.name != "sqlite":
            # SQLite's transactions take the write lock at BEGIN; its lazy cursor needs none.
            return SqlUnitOfWork(self._session_factory, read_only=True)
        return self.reader()


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
    keyring = load_keyring(settings.encryption_key, settings.data_dir)
    attach_keyring(engine, keyring)
    replica = None
    if settings.database_replica_url:
        # Pinged before each use, unlike the primary's: a replica down is found before any
        # query, and the read goes to the primary (adapters/replica.py).
        replica = make_engine(settings.database_replica_url, pool_pre_ping=True)
        if {engine.dialect.name, replica.dialect.name} != {"postgresql"}:
            raise ValueError("RMA_DATABASE_REPLICA_URL is a streaming replica of PostgreSQL")
        attach_keyring(replica, keyring)
    return Container(settings, engine, replica)


YOUNG_COLLECTED_AFTER = 50_000  # allocations (net of frees) between young collections


def settle_collector() -> None:
    """Tune the garbage collector for a long-running process, once it has started.

    Modules, schemas, routes and mappers (some 200,000 objects) live as long as the process,
    yet every full collection walked them all: 0.15 s a time, twice in a bulk authorization
    of 10,000 returns. Frozen, they are left out; what requests make is collected as before.
    And the youngest generation is collected after 50,000 allocations, not 700: a request or
    an event allocates thousands of objects, nearly all freed by reference counting when it
    ends, yet the collector walked them several times a request (about 14% of an
    authorization's CPU, alternating runs of both). Cycles it would find are found later.

    SQLAlchemy's mappers are configured here too, not by the first request that uses one: in
    each process of ``rma serve --workers`` that request spent some 45 ms configuring them,
    holding Python's lock while the requests beside it waited (a fresh server's slowest
    answers); configured first, what they build is frozen with the rest.
    """
    configure_mappers()
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_COLLECTED_AFTER, *gc.get_threshold()[1:])
