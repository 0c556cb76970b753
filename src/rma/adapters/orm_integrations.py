"""Tables of the integrations: the stores that push orders (and the outbox's broker mark)."""

from __future__ import annotations

from sqlalchemy import Column, String, Table
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, UtcDateTime, _enum, metadata
from rma.domain.store_orders import StoreKind, StoreSource

store_sources = Table(
    "store_sources",
    metadata,
    Column("id", ID, primary_key=True),
    Column("seller_id", ID, primary_key=True, index=True),
    Column("kind", _enum(StoreKind), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret", String(200), nullable=False),  # needed as given to check HMACs
    Column("created_at", UtcDateTime, nullable=False),
)


def map_integrations(mapper_registry: registry) -> None:
    """Map the integrations' domain classes (called once by ``start_mappers``)."""
    mapper_registry.map_imperatively(StoreSource, store_sources, primary_key=[store_sources.c.id])
