"""Stores that push orders: Shopify and WooCommerce sources, and what a webhook did."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import In, Name
from rma.domain.store_orders import StoreKind, StoreSource


class StoreSourceCreate(In):
    kind: StoreKind
    name: Name
    secret: (
        Annotated[str, StringConstraints(min_length=16, max_length=200, pattern=r"^[ -~]+$")] | None
    ) = Field(
        default=None,
        description="The store's webhook signing secret (Shopify: the app's client secret; "
        "WooCommerce: the webhook's secret). Generated when left out.",
    )


class StoreSourcePublic(BaseModel):
    id: str
    kind: StoreKind
    name: str
    created_at: datetime
    webhook_url: str = Field(description="Where the store sends its order webhooks")

    @classmethod
    def of(cls, source: StoreSource, base_url: str) -> StoreSourcePublic:
        return cls(
            id=source.id,
            kind=source.kind,
            name=source.name,
            created_at=source.created_at,
            webhook_url=f"{base_url.rstrip('/')}/v1/store-events?source={source.id}",
        )


class StoreSourceCreated(StoreSourcePublic):
    secret: str = Field(description="Shown once: the secret the store signs with")


class StoreSourcesPublic(BaseModel):
    data: list[StoreSourcePublic]


class StoreEventAccepted(BaseModel):
    outcome: str = Field(description="created, updated, unchanged, or ignored (not an order)")
    order_number: str | None
