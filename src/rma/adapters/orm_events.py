"""Tables of the event pipeline: webhook endpoints, deliveries and attempts, emails, used links.

Deliveries and emails are work queues: a worker claims due rows (``FOR UPDATE SKIP LOCKED``
on PostgreSQL), leases them by pushing ``next_attempt_at`` ahead (and ``leased_until``, which
says the row is held rather than waiting for a retry), and records the outcome, which ends
the lease. A worker that dies mid-delivery leaves the lease to run out, and another picks
the row up.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    String,
    Table,
    UniqueConstraint,
)
from sqlalchemy.orm import registry

from rma.adapters.crypto import EncryptedText
from rma.adapters.orm import ID, UtcDateTime, _enum, metadata
from rma.domain.webhooks import DeliveryStatus, WebhookEndpoint

webhook_endpoints = Table(
    "webhook_endpoints",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True, index=True),
    Column("url", String(2000), nullable=False),
    Column("description", String(500), nullable=False),
    Column("event_types", JSON, nullable=False),
    Column("secret", EncryptedText, nullable=False),
    Column("previous_secret", EncryptedText),
    Column("previous_secret_expires_at", UtcDateTime),
    Column("enabled", Boolean, nullable=False),
    Column("disabled_reason", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    UniqueConstraint("seller_id", "id"),
)

webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", ID, primary_key=True),  # the webhook-id header: stable across retries
    Column("seller_id", ID, primary_key=True),
    Column("endpoint_id", ID, nullable=False),
    Column("event_id", ID, nullable=False),
    Column("event_type", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", _enum(DeliveryStatus), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("leased_until", UtcDateTime),  # set while a worker holds the row
    Column("created_at", UtcDateTime, primary_key=True),  # the partition key
    Column("delivered_at", UtcDateTime),
    # One delivery per endpoint and event; on PostgreSQL a unique key of a partitioned table
    # must hold its partition key too, so the fan-out marking the event processed in the
    # same transaction is what keeps it to one across months.
    UniqueConstraint("seller_id", "endpoint_id", "event_id", "created_at"),
    Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_webhook_deliveries_seller_id_endpoint_id_id", "seller_id", "endpoint_id", "id"),
)

webhook_attempts = Table(
    "webhook_attempts",
    metadata,
    Column(
        "pk", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("seller_id", ID, primary_key=True),
    Column("delivery_id", ID, nullable=False),
    Column("at", UtcDateTime, primary_key=True),  # the partition key
    Column("status_code", Integer),
    Column("duration_ms", Integer, nullable=False),
    Column("error", String(500), nullable=False),
    Column("response_excerpt", String(1000), nullable=False),
    Index("ix_webhook_attempts_seller_id_delivery_id", "seller_id", "delivery_id"),
)

email_messages = Table(
    "email_messages",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True),
    Column("event_id", ID, nullable=False),
    Column("audience", String(16), nullable=False),  # customer or seller
    Column("recipient", String(320), nullable=False),
    Column("subject", String(300), nullable=False),
    # Encrypted: a seller's email carries working action links.
    Column("text_body", EncryptedText, nullable=False),
    Column("html_body", EncryptedText, nullable=False),
    Column("status", _enum(DeliveryStatus), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("last_error", String(500), nullable=False),
    Column("leased_until", UtcDateTime),  # set while a worker holds the row
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Column("sender_name", String(200), nullable=False, server_default=""),  # From display name
    Column("reply_to", String(320), nullable=False, server_default=""),
    UniqueConstraint("seller_id", "event_id", "audience", "recipient"),
    Index("ix_email_messages_status_next_attempt_at", "status", "next_attempt_at"),
)

used_action_tokens = Table(
    "used_action_tokens",
    metadata,
    Column("token_id", ID, primary_key=True),  # a second use of a link fails on this key
    Column("seller_id", ID, primary_key=True),
    Column("used_at", UtcDateTime, nullable=False),
)


def map_event_tables(mapper_registry: registry) -> None:
    """Map the entities of this area (the queues are read and written as rows)."""
    mapper_registry.map_imperatively(
        WebhookEndpoint, webhook_endpoints, primary_key=[webhook_endpoints.c.id]
    )
