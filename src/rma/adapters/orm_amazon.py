"""Tables of the Amazon-compatible API: fulfillment order details, credentials, tokens."""

from __future__ import annotations

from sqlalchemy import JSON, Column, ForeignKeyConstraint, Index, String, Table
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, UtcDateTime, metadata
from rma.domain.amazon import AmazonAccessToken, AmazonCredential, FulfillmentOrderDetails

fulfillment_order_details = Table(
    "fulfillment_order_details",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("order_id", ID, primary_key=True),
    Column("marketplace_id", String(40), nullable=False),
    Column("displayable_order_id", String(40), nullable=False),
    Column("displayable_order_date", UtcDateTime, nullable=False),
    Column("displayable_order_comment", String(750), nullable=False),
    Column("shipping_speed_category", String(32), nullable=False),
    Column("destination_address", JSON, nullable=False),
    Column("fulfillment_action", String(16)),
    Column("fulfillment_policy", String(32)),
    Column("notification_emails", JSON, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    ForeignKeyConstraint(["seller_id", "order_id"], ["orders.seller_id", "orders.id"]),
)

amazon_credentials = Table(
    "amazon_credentials",
    metadata,
    Column("client_id", String(80), primary_key=True),
    Column("seller_id", ID, nullable=False, index=True),
    Column("client_secret_hash", String(64), nullable=False),
    Column("refresh_token_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

amazon_access_tokens = Table(
    "amazon_access_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("seller_id", ID, nullable=False),
    Column("client_id", String(80), nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Index("ix_amazon_access_tokens_client_id_expires_at", "client_id", "expires_at"),
)


def map_amazon(mapper_registry: registry) -> None:
    """Map the Amazon-compatible domain classes (called from ``start_mappers``)."""
    mapper_registry.map_imperatively(FulfillmentOrderDetails, fulfillment_order_details)
    mapper_registry.map_imperatively(AmazonCredential, amazon_credentials)
    mapper_registry.map_imperatively(AmazonAccessToken, amazon_access_tokens)
