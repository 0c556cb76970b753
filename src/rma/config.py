"""One settings object, read from environment variables prefixed ``RMA_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from rma.domain.webhooks import DEFAULT_RETRY_SCHEDULE


class Settings(BaseSettings):
    """Everything an operator can set; each field is ``RMA_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix="RMA_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///var/rma.db"
    # A streaming replica of database_url (PostgreSQL) for lists, analytics and exports; see
    # docs/operations.md, "A read replica", for what reads it and how stale it may be.
    database_replica_url: str | None = None
    database_replica_retry_seconds: float = 30.0  # a replica found down is asked again after
    database_replica_sticky_seconds: int = 10  # a browser that wrote reads the primary this long
    admin_key: str | None = None
    secret_key: str | None = None  # signs links; kept in data_dir/secret_key when unset
    # Fernet keys encrypting secrets at rest, comma-separated, newest first; kept in
    # data_dir/encryption_key when unset (see docs/security.md, "Rotating the encryption key").
    encryption_key: str | None = None
    audit_signing_key: str | None = None  # Ed25519 seed, base64; else kept in data_dir
    base_url: str = "http://127.0.0.1:8000"  # links in emails and labels; never the Host header
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    jobs_interval_seconds: float = 60.0  # how often `rma serve` runs due jobs; 0 turns it off
    # A serving process logs each time its event loop was held this long (0: never); the
    # returns API runs on the loop (adapters/lane.py), so a held loop holds its requests.
    loop_stall_warn_ms: int = 100
    page_size_max: int = 200
    amazon_rate_limit: float = 2.0  # requests per second announced by the SP-API routes
    # Answered as an order's marketplaceId when it has none (made through the native API, or
    # created without one) and the caller names none with ?marketplaceId= (the US one).
    amazon_marketplace_id: str = "ATVPDKIKX0DER"
    # Events, webhooks and email (see the README section of that name).
    smtp_host: str | None = None  # unset: emails are written to data_dir/mail as .eml files
    smtp_port: int = 587
    smtp_tls: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_username: str | None = None
    smtp_password: str | None = None
    mail_from: str = "rma <no-reply@localhost>"
    dev_mail: bool = False  # show the mail folder at /dev/mail to this machine (`make run`)
    webhooks_allow_private: bool = False  # allow endpoints on private or loopback addresses
    webhook_timeout_seconds: float = 10.0
    webhook_retry_schedule: list[int] = list(DEFAULT_RETRY_SCHEDULE)
    action_link_hours: int = 72  # how long the links in the seller's emails work
    rma_page_link_days: int = 180  # how long a link to a return's RMA page works
    worker_batch_size: int = 200
    worker_concurrency: int = 16  # webhook requests in flight per worker
    worker_lanes: int = 2  # batches one `rma worker` works on at once (PostgreSQL)
    worker_lease_seconds: float = 60.0  # a claimed row returns to the queue after this
    worker_idle_seconds: float = 1.0  # how long a worker waits when there is nothing to do
    # After a round with less than a batch of work, wait this long so the next round finds
    # more: a trickle of events would cost a round each (up to this much more latency).
    worker_gather_seconds: float = 0.05
    serve_runs_worker: bool | None = None  # None: `rma serve` runs one on SQLite only
    payment_timeout_seconds: float = 10.0  # a slower payment webhook stays pending, asked again
    uploads_dir: Path | None = None  # prepaid labels and photos; data_dir/uploads when unset
    label_max_bytes: int = 2_000_000  # largest prepaid label PDF accepted
    photo_max_bytes: int = 8_000_000  # largest inspection photo accepted
    lost_after_days: int = 7  # an in-transit return with no scan for this long is flagged
    # Return requests by email (`rma mail-in`): each seller's address is <seller id>@<domain>.
    mail_in_domain: str = "returns.localhost"
    mail_in_host: str = "127.0.0.1"
    mail_in_port: int = 8025
    mail_in_max_bytes: int = 10_000_000
    # A message broker (RabbitMQ, AMQP 0-9-1): the worker publishes every event to a topic
    # exchange when amqp_url is set (e.g. amqp://guest:guest@127.0.0.1:5672/%2F).
    amqp_url: str | None = None
    amqp_exchange: str = "rma.events"
    amqp_seller_ids: list[str] = []  # empty: the whole platform's events; else these sellers'
    amqp_timeout_seconds: float = 5.0
    # Request bodies (413 above these): callers with a key or token, callers without one
    # (sign-ins, portal forms, customer sessions), signed carrier webhooks.
    body_max_bytes: int = 1_048_576
    public_body_max_bytes: int = 65_536
    carrier_body_max_bytes: int = 1_048_576
    import_body_max_bytes: int = 268_435_456  # a CSV order import (streamed, not held)
    # Throttling (`limits` notation, e.g. "30 per minute"; empty turns a rule off). Counted in
    # this process, or in Redis for every process when redis_url is set.
    redis_url: str | None = None
    throttle_address: str = "30 per minute"  # failed sign-ins of any kind per client address
    throttle_order: str = "10 per 15 minutes"  # wrong emails per order number
    throttle_credential: str = "10 per 15 minutes"  # wrong secrets per LWA client id
    throttle_key_requests: str = ""  # requests per API key; off unless the operator sets one
    # Monthly partitions of the append-only tables (PostgreSQL; docs/operations.md,
    # "Partitions and retention"): months made ahead of the current one, and how many whole
    # months before the current one each kind keeps (0: kept forever).
    partition_months_ahead: int = 3
    retention_history_months: int = 0  # a return's history is its record: kept
    retention_outbox_months: int = 13  # delivered events; undelivered ones are never dropped
    retention_webhook_deliveries_months: int = 13  # deliveries and their attempts
    retention_carrier_events_months: int = 13
    retention_inventory_movements_months: int = 0  # the stock ledger: stock is its sum

    @property
    def uploads_path(self) -> Path:
        return self.uploads_dir or self.data_dir / "uploads"

    @property
    def upload_body_max_bytes(self) -> int:
        """The largest upload, and room for its multipart framing."""
        return max(self.label_max_bytes, self.photo_max_bytes) + 65_536


@lru_cache
def get_settings() -> Settings:
    return Settings()
