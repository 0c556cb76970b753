"""A RabbitMQ the tests can take away: a TCP relay to the machine's broker, cut at will.

The broker on the machine is shared, so it is never stopped; the relay stands for the
network between rma and it. A closed relay refuses connections like a broker that is down;
cutting it drops the connections open through it, like a broker that went away.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pika
import pytest

RABBIT = ("127.0.0.1", 5672)


def rabbit_or_skip() -> None:
    """Fail when the machine's RabbitMQ is not answering (CI starts it), unless allowed."""
    try:
        socket.create_connection(RABBIT, timeout=2).close()
    except OSError as error:
        if os.environ.get("RMA_TEST_ALLOW_NO_RABBITMQ") == "1":
            pytest.skip(f"RabbitMQ unreachable and RMA_TEST_ALLOW_NO_RABBITMQ=1: {error}")
        pytest.fail(f"RabbitMQ is unreachable at {RABBIT} ({error}): start it (.ci/run does)")


class Relay:
    """Forwards a loopback port to the broker while open."""

    def __init__(self, target: tuple[str, int] = RABBIT):
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"

    def open(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and drop every connection made through the relay."""
        listener, self._listener = self._listener, None
        if listener is not None:
            # Shutting down wakes the thread blocked in accept(); close alone would not.
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            for sock in self._open:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for sock in (source, sink):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Consumer:
    """A queue bound to every routing key of a fresh exchange, read straight from the broker."""

    def __init__(self) -> None:
        self.exchange = f"rma.test.{uuid.uuid4().hex[:12]}"
        self.connection = pika.BlockingConnection(
            pika.ConnectionParameters(host=RABBIT[0], port=RABBIT[1])
        )
        self.channel = self.connection.channel()
        self.channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
        declared = self.channel.queue_declare("", exclusive=True)
        self.queue = declared.method.queue
        self.channel.queue_bind(self.queue, self.exchange, routing_key="#")

    def messages(self) -> Iterator[tuple[Any, Any, bytes]]:
        """Every message waiting, taken off the queue."""
        while True:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=True)
            if method is None:
                return
            yield method, properties, body

    def close(self) -> None:
        self.channel.exchange_delete(self.exchange)
        self.connection.close()
