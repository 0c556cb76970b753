"""Tables of the customer's side: each seller's portal settings."""

from __future__ import annotations

from sqlalchemy import Column, String, Table, UniqueConstraint
from sqlalchemy.orm import registry

from rma.adapters.orm import ID, metadata
from rma.domain.storefront import PortalSettings

portal_settings = Table(
    "portal_settings",
    metadata,
    Column("seller_id", ID, primary_key=True),
    Column("shop_handle", String(40)),
    Column("language", String(8), nullable=False),
    Column("reply_to", String(320), nullable=False),
    UniqueConstraint("shop_handle"),  # one shop per handle; NULLs (no handle) do not clash
)


def map_customer(mapper_registry: registry) -> None:
    mapper_registry.map_imperatively(PortalSettings, portal_settings)
