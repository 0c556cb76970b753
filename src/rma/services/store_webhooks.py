"""Orders pushed by a seller's store: register the store, take its signed order webhooks."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from rma.domain import store_orders
from rma.domain.errors import InvalidInput, NotFound, Unauthenticated
from rma.domain.ids import new_id
from rma.domain.order_merge import build_order, merge_into
from rma.domain.store_orders import StoreKind, StoreSource
from rma.services.clock import utcnow
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class AddStoreSource:
    seller_id: str
    kind: StoreKind
    name: str
    secret: str | None = None  # the store's webhook signing secret; generated when absent


@dataclass(frozen=True)
class IngestStoreEvent:
    source_id: str
    topic: str
    body: bytes
    signature: str | None


@dataclass(frozen=True)
class StoreEventTaken:
    """What one store webhook did to the order it names (``ignored``: not an order topic)."""

    outcome: str  # created, updated, unchanged or ignored
    order_number: str | None = None


def add_store_source(cmd: AddStoreSource, uow: UnitOfWork) -> StoreSource:
    """Register a store whose order webhooks create and update the seller's orders."""
    secret = cmd.secret or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise InvalidInput(
            "a store's webhook secret has at least 16 characters", details=[{"field": "secret"}]
        )
    source = StoreSource(new_id("ssrc"), cmd.seller_id, cmd.kind, cmd.name, secret, utcnow())
    with uow:
        if uow.sellers.get(cmd.seller_id) is None:
            raise NotFound(f"no seller {cmd.seller_id}", code="seller_not_found")
        uow.store_sources.add(source)
        uow.commit()
    return source


def list_store_sources(seller_id: str, uow: UnitOfWork) -> list[StoreSource]:
    """A seller's stores."""
    with uow:
        return uow.store_sources.all(seller_id)


def ingest_store_event(cmd: IngestStoreEvent, uow: UnitOfWork) -> StoreEventTaken:
    """Check a store webhook's signature and freshness, then create or update its order.

    An unknown source answers exactly like a bad signature, so sources cannot be probed;
    a refused delivery stores nothing.
    """
    now = utcnow()
    with uow:
        source = uow.store_sources.get(cmd.source_id)
        if source is None:
            raise Unauthenticated("the store event is not signed by a known source")
        if store_orders.is_ping(source.kind, cmd.body) and not cmd.signature:
            return StoreEventTaken("ignored")
        store_orders.verify(source.secret, cmd.body, cmd.signature)
        if cmd.topic not in store_orders.ORDER_TOPICS[source.kind]:
            return StoreEventTaken("ignored")
        draft = store_orders.read_order(source.kind, cmd.body, now)
        order = uow.orders.by_number(source.seller_id, draft.number, lock=True)
        if order is None:
            uow.orders.add(build_order(draft, new_id("ord"), source.seller_id))
            outcome = "created"
        else:
            merged = merge_into(order, draft)
            if isinstance(merged, list):
                raise InvalidInput(
                    f"the store's order {draft.number} clashes with the one rma has",
                    code="order_clash",
                    details=[{"field": p.field, "code": p.code} for p in merged],
                )
            outcome = "updated" if merged else "unchanged"
        uow.commit()
    return StoreEventTaken(outcome, draft.number)
