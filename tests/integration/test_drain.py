"""`rma worker --drain` finishes the work a dead worker claimed instead of leaving it behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from rma.bootstrap import Container
from rma.services.clock import utcnow
from rma.services.outbox import QueueOptions, fan_out_events
from rma.worker import EventWorker
from tests.receiver import Receiver, run_receiver
from tests.support import ok, open_shop

LEASE = timedelta(seconds=1.5)  # the dead worker's lease, short to keep the test quick


@pytest.fixture
def receiver(container: Container, monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    with run_receiver() as running:
        yield running


def statuses(container: Container, table: str) -> list[str]:
    with container.engine.connect() as connection:
        return [str(s) for s in connection.execute(text(f"SELECT status FROM {table}")).scalars()]


def test_drain_waits_for_the_lease_of_a_dead_worker_then_delivers(
    http: httpx.Client, container: Container, receiver: Receiver
) -> None:
    shop = open_shop(http)
    ok(shop.call("POST", "/v1/webhook-endpoints", json={"url": f"{receiver.url}/erp"}), 201)
    for number in ("D-1", "D-2"):
        shop.order(number)
        ok(shop.request_return(number, [("1", 1)]), 201)
    # A worker fans the events out (its deliveries come back leased to it) and claims the
    # emails, then dies before sending any of them.
    dead = EventWorker(container)
    options = QueueOptions(batch_size=100, lease=LEASE, schedule=(0,))
    fanned = fan_out_events(container.uow(), dead.composer, options)
    with container.uow() as uow:
        now = utcnow()
        claimed_emails = uow.emails.claim_due(now, 100, now + LEASE)
        uow.commit()
    dead.close()
    assert fanned.deliveries
    assert claimed_emails

    worker = EventWorker(container)
    try:
        totals = worker.drain()
    finally:
        worker.close()

    assert totals["webhooks"] == len(fanned.deliveries)
    assert totals["emails"] == len(claimed_emails)
    sent = {json.loads(r.body)["id"] for r in receiver.requests}
    assert len(sent) == len(fanned.deliveries)
    assert set(statuses(container, "webhook_deliveries")) == {"succeeded"}
    assert set(statuses(container, "email_messages")) == {"succeeded"}


def test_drain_with_nothing_claimed_returns_at_once(container: Container) -> None:
    worker = EventWorker(container)
    try:
        assert not any(worker.drain().values())
    finally:
        worker.close()


def test_drain_sends_what_a_lease_freed_while_its_round_ran(
    http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A dead worker's lease runs out after drain's round looked at its emails and before
    drain asks what is still held: the emails are due then, not held, and drain sends them
    rather than stop (a slow round on a busy machine did exactly this)."""
    shop = open_shop(http)
    shop.order("D-3")
    ok(shop.request_return("D-3", [("1", 1)]), 201)
    dead = EventWorker(container)
    fan_out_events(container.uow(), dead.composer, QueueOptions(100, LEASE, (0,)))
    with container.uow() as uow:
        now = utcnow()
        claimed = uow.emails.claim_due(now, 100, now + LEASE)
        uow.commit()
    dead.close()
    assert claimed
    lease_end = now + LEASE

    worker = EventWorker(container)
    slow = [True]

    def slow_round_end() -> int:  # the round's last step, slow once: past the lease
        if slow.pop() if slow else False:
            time.sleep(max((lease_end - utcnow()).total_seconds(), 0) + 0.2)
        return 0

    monkeypatch.setattr(worker, "publish_once", slow_round_end)
    try:
        totals = worker.drain()
    finally:
        worker.close()

    assert totals["emails"] == len(claimed)
    assert set(statuses(container, "email_messages")) == {"succeeded"}
