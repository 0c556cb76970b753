"""Outgoing webhooks: Standard Webhooks signatures and the httpx sender.

A message is signed as ``HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")``
with the base64 key after ``whsec_``; ``webhook-signature`` lists ``v1,<base64>`` once per
valid secret, space separated, so receivers on either side of a rotation verify it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import socket
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx

from rma import __version__
from rma.adapters.destinations import DestinationGuard, guarded_transport
from rma.domain.webhooks import Attempt
from rma.services.clock import utcnow
from rma.services.event_ports import ClaimedDelivery

SECRET_PREFIX = "whsec_"
EXCERPT_CHARS = 500
USER_AGENT = f"rma-webhooks/{__version__}"


def new_webhook_secret() -> str:
    """A fresh signing secret: ``whsec_`` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``v1,<base64>`` signature of one message with one secret."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    return "v1," + base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()


def signed_headers(
    secrets_: Sequence[str], message_id: str, timestamp: int, body: str
) -> dict[str, str]:
    """The three Standard Webhooks headers, signed by every given secret."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(sign(s, message_id, timestamp, body) for s in secrets_),
    }


class HttpxWebhookSender:
    """Posts signed webhooks over one pooled httpx transport, several requests in flight.

    It calls the transport rather than ``httpx.Client``: a webhook needs no cookies, auth
    or redirects (a redirect could even lead past the address check), and skipping the
    client's machinery makes each request markedly cheaper.
    """

    def __init__(self, guard: DestinationGuard, timeout: float, concurrency: int):
        self.guard = guard
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        # Headers and body leave in two writes: without TCP_NODELAY, Nagle holds the body
        # back until the headers are acknowledged.
        nodelay = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
        self.transport = guarded_transport(guard, limits, socket_options=nodelay)
        self.timeout = httpx.Timeout(timeout).as_dict()
        self.pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="rma-webhook")

    def send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Attempt]:
        return list(self.pool.map(self.send, deliveries))

    def send(self, delivery: ClaimedDelivery) -> Attempt:
        at = utcnow()
        started = time.monotonic()
        refusal = self.guard.refusal(delivery.url)
        if refusal:
            return Attempt(at, None, 0, error=f"refused: {refusal}")
        headers = signed_headers(delivery.secrets, delivery.id, int(time.time()), delivery.body)
        headers["content-type"] = "application/json"
        headers["user-agent"] = USER_AGENT
        request = httpx.Request(
            "POST",
            delivery.url,
            content=delivery.body.encode(),
            headers=headers,
            extensions={"timeout": self.timeout},
        )
        try:
            response = self.transport.handle_request(request)
            try:
                excerpt = response.read()[:EXCERPT_CHARS].decode(errors="replace")
            finally:
                response.close()
        except httpx.TimeoutException as error:
            return Attempt(at, None, _ms(started), error=f"timeout: {error!r}")
        except httpx.HTTPError as error:
            return Attempt(at, None, _ms(started), error=f"{type(error).__name__}: {error}")
        return Attempt(at, response.status_code, _ms(started), response_excerpt=excerpt)

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.transport.close()


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
