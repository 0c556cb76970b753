"""Events to a message broker: the outbox's events published once each, confirmed."""

from __future__ import annotations

from collections.abc import Collection

from rma.services.clock import utcnow
from rma.services.integration_ports import BrokerUnavailable, MessageBroker
from rma.services.unit_of_work import UnitOfWork


def publish_events(
    uow: UnitOfWork,
    broker: MessageBroker,
    batch_size: int,
    sellers: Collection[str] = (),
) -> int:
    """Publish a batch of unpublished events and mark them; answer how many were published.

    The batch stays locked (``SKIP LOCKED``) while it is published and is marked only once the
    broker confirmed it, in one commit: a broker that is down leaves every event in the
    outbox for the next round, and a crash between confirm and commit publishes the batch
    again (at least once; consumers keep the message id). With ``sellers``, only their
    events are published; the others are marked as not for the broker.
    """
    with uow:
        batch = uow.broker.claim_unpublished(batch_size)
        if not batch:
            return 0
        chosen = [e for e in batch if not sellers or e.seller_id in sellers]
        if chosen:
            try:
                broker.publish(chosen)
            except BrokerUnavailable:
                uow.rollback()
                raise
        uow.broker.mark_published([e.id for e in batch], utcnow())
        uow.commit()
        return len(chosen)
