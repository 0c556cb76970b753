"""Storage of the integrations: store sources, and the outbox as the broker publisher reads it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from rma.adapters import orm
from rma.adapters.orm_integrations import store_sources
from rma.adapters.repositories_events import _event
from rma.domain.store_orders import StoreSource
from rma.services.event_ports import OutboxEvent


class SqlStoreSources:
    def __init__(self, session: Session):
        self.session = session

    def add(self, source: StoreSource) -> None:
        self.session.add(source)

    def get(self, source_id: str) -> StoreSource | None:
        return self.session.get(StoreSource, source_id)

    def all(self, seller_id: str) -> list[StoreSource]:
        c = store_sources.c
        query = select(StoreSource).where(c.seller_id == seller_id).order_by(c.id)
        return list(self.session.scalars(query))


class SqlBrokerOutbox:
    """The outbox's events not yet published to the broker, claimed like any work queue."""

    def __init__(self, session: Session):
        self.session = session

    def claim_unpublished(self, limit: int) -> list[OutboxEvent]:
        c = orm.outbox.c
        query = (
            select(orm.outbox)
            .where(c.published_at.is_(None))
            .order_by(c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_event(row) for row in self.session.execute(query)]

    def mark_published(self, event_ids: Sequence[str], now: datetime) -> None:
        c = orm.outbox.c
        self.session.execute(
            update(orm.outbox).where(c.id.in_(list(event_ids))).values(published_at=now)
        )
