"""Events to RabbitMQ from the outbox: confirmed, once each, and kept while the broker is away."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from rma.adapters import orm
from rma.adapters.broker import AmqpBroker
from rma.bootstrap import Container
from rma.domain.policy import RequestedItem
from rma.domain.returns import Actor
from rma.services import returns
from rma.services.broker import publish_events
from rma.services.integration_ports import BrokerUnavailable
from rma.worker import EventWorker
from tests.broker_support import Consumer, Relay, rabbit_or_skip
from tests.builders import add_order, seller_with_order


@pytest.fixture
def consumer() -> Iterator[Consumer]:
    rabbit_or_skip()
    reader = Consumer()
    yield reader
    reader.close()


def make_events(container: Container, seller_id: str, numbers: list[str]) -> None:
    for number in numbers:
        add_order(container, seller_id, number, delivered_days_ago=3)
        cmd = returns.RequestReturn(
            returns.Scope(seller_id),
            number,
            [RequestedItem("1", 1, "CR-UNWANTED_ITEM")],
            Actor("customer", "c"),
        )
        returns.request_return(cmd, container.uow())


def outbox(container: Container) -> tuple[list[str], int]:
    """Every event id, and how many are not yet published."""
    c = orm.outbox.c
    with container.engine.connect() as connection:
        ids = list(connection.execute(select(c.id).order_by(c.id)).scalars())
        waiting = connection.execute(
            select(func.count()).where(c.published_at.is_(None))
        ).scalar_one()
    return ids, waiting


def test_events_wait_while_the_broker_is_down_and_all_go_once_it_is_back(
    container: Container, consumer: Consumer, monkeypatch: pytest.MonkeyPatch
) -> None:
    seller, _ = seller_with_order(container, number="B-0")
    make_events(container, seller.id, [f"B-{n}" for n in range(1, 6)])
    ids, waiting = outbox(container)
    assert waiting == len(ids) > 0

    relay = Relay()  # not open yet: the broker is down
    broker = AmqpBroker(relay.url, consumer.exchange, timeout=2)
    with pytest.raises(BrokerUnavailable):
        publish_events(container.uow(), broker, 100)
    assert outbox(container)[1] == len(ids)  # nothing marked, nothing lost

    relay.open()
    assert publish_events(container.uow(), broker, 3) == 3
    relay.cut()  # gone between two batches, with the connection open
    make_events(container, seller.id, ["B-6", "B-7"])
    with pytest.raises(BrokerUnavailable):
        publish_events(container.uow(), broker, 100)
    ids, waiting = outbox(container)
    assert waiting == len(ids) - 3

    # The worker publishes the rest once the broker is reachable again.
    relay.open()
    monkeypatch.setattr(container.settings, "amqp_url", relay.url)
    monkeypatch.setattr(container.settings, "amqp_exchange", consumer.exchange)
    worker = EventWorker(container)
    try:
        assert worker.drain()["published"] == waiting
    finally:
        worker.close()
        relay.cut()
    assert outbox(container)[1] == 0

    received = list(consumer.messages())
    message_ids = [properties.message_id for _, properties, _ in received]
    assert sorted(message_ids) == ids  # every event, none twice
    for method, properties, body in received:
        envelope = json.loads(body)
        assert envelope["id"] == properties.message_id
        assert method.routing_key == properties.type == envelope["type"]
        assert properties.delivery_mode == 2  # persistent
        assert properties.headers["seller_id"] == seller.id


def test_only_the_chosen_sellers_events_are_published(
    container: Container, consumer: Consumer
) -> None:
    ours, _ = seller_with_order(container, number="O-0")
    theirs, _ = seller_with_order(container, number="T-0")
    make_events(container, ours.id, ["O-1"])
    make_events(container, theirs.id, ["T-1"])
    broker = AmqpBroker("amqp://guest:guest@127.0.0.1:5672/%2F", consumer.exchange, timeout=2)
    try:
        while publish_events(container.uow(), broker, 100, {ours.id}):
            pass
    finally:
        broker.close()
    assert outbox(container)[1] == 0
    sellers = {props.headers["seller_id"] for _, props, _ in consumer.messages()}
    assert sellers == {ours.id}
