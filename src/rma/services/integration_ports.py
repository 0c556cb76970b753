"""What the integrations ask of storage and of the message broker."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from rma.domain.store_orders import StoreSource
from rma.services.event_ports import OutboxEvent


class StoreSourceRepository(Protocol):
    def add(self, source: StoreSource) -> None: ...
    def get(self, source_id: str) -> StoreSource | None: ...
    def all(self, seller_id: str) -> list[StoreSource]: ...


class BrokerOutboxRepository(Protocol):
    def claim_unpublished(self, limit: int) -> list[OutboxEvent]:
        """Events not yet published, oldest first, locked until commit (``SKIP LOCKED``)."""

    def mark_published(self, event_ids: Sequence[str], now: datetime) -> None: ...


class BrokerUnavailable(Exception):
    """The broker could not be reached, or did not confirm every message."""


class MessageBroker(Protocol):
    def publish(self, events: Sequence[OutboxEvent]) -> None:
        """Publish every event and wait for the broker's confirms; ``BrokerUnavailable``."""
