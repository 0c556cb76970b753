"""Publishing events to RabbitMQ (AMQP 0-9-1) with publisher confirms, through pika.

Each event goes to one topic exchange with the event type as routing key, the event id as
message id, persistent, as the JSON envelope webhooks get. ``publish`` returns once the
broker confirmed every message; anything else (refused, unreachable, cut) raises
``BrokerUnavailable`` and the connection is dropped, to be opened again on the next call.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence

import pika
from pika.adapters.blocking_connection import BlockingChannel
from pika.exceptions import AMQPError

from rma.services.event_ports import OutboxEvent
from rma.services.integration_ports import BrokerUnavailable


class AmqpBroker:
    """A lazily opened connection and confirming channel to one exchange."""

    def __init__(self, url: str, exchange: str, timeout: float = 5.0):
        self.parameters = pika.URLParameters(url)
        self.parameters.socket_timeout = timeout
        self.parameters.blocked_connection_timeout = timeout
        self.parameters.connection_attempts = 1
        self.exchange = exchange
        self._connection: pika.BlockingConnection | None = None
        self._channel: BlockingChannel | None = None

    def publish(self, events: Sequence[OutboxEvent]) -> None:
        try:
            channel = self._open()
            for event in events:
                # With confirms on, each call returns once the broker has the message.
                channel.basic_publish(
                    exchange=self.exchange,
                    routing_key=event.type,
                    body=json.dumps(event.envelope(), separators=(",", ":")).encode(),
                    properties=pika.BasicProperties(
                        message_id=event.id,
                        type=event.type,
                        content_type="application/json",
                        delivery_mode=pika.DeliveryMode.Persistent,
                        timestamp=int(event.occurred_at.timestamp()),
                        headers={"seller_id": event.seller_id},
                    ),
                )
        except (AMQPError, OSError, ValueError) as error:
            self.close()
            raise BrokerUnavailable(f"the broker did not take the events: {error!r}") from error

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None and connection.is_open:
            with contextlib.suppress(AMQPError, OSError):  # already gone: nothing to close
                connection.close()

    def _open(self) -> BlockingChannel:
        if self._channel is not None and self._channel.is_open:
            return self._channel
        self.close()
        self._connection = pika.BlockingConnection(self.parameters)
        channel = self._connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        self._channel = channel
        return channel
