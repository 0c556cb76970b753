"""What the event pipeline asks of storage, of the network and of the mail system.

The repositories here join the unit of work (``uow.outbox``, ``uow.webhook_endpoints``,
``uow.deliveries``, ``uow.emails``, ``uow.action_tokens``); the sender, mailer and composer
are handed to the use cases by the worker.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from rma.domain.webhooks import Attempt, DeliveryStatus, WebhookDelivery, WebhookEndpoint

if TYPE_CHECKING:
    from rma.services.tracker import Story


def webhook_body(envelope: dict[str, Any]) -> str:
    """The exact JSON text sent and signed: compact, keys sorted, the same on every retry."""
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True)


@dataclass(frozen=True)
class OutboxEvent:
    """An event as the outbox keeps it; ``id`` is its stable event id."""

    id: str
    seller_id: str
    type: str
    return_id: str
    payload: dict[str, Any]
    occurred_at: datetime

    def envelope(self) -> dict[str, Any]:
        """The body sent to webhooks and shown in the event log."""
        return {"id": self.id, **self.payload}


@dataclass(frozen=True)
class ReturnContact:
    """What an email needs to know about a return."""

    return_id: str
    customer_email: str
    rma_number: str | None
    order_number: str
    status: str


@dataclass(frozen=True)
class NewDelivery:
    id: str
    seller_id: str
    endpoint_id: str
    event: OutboxEvent


@dataclass(frozen=True)
class NewEmail:
    id: str
    seller_id: str
    event_id: str
    audience: str  # customer or seller
    recipient: str
    subject: str
    text_body: str
    html_body: str
    sender_name: str = ""  # the seller's name, shown as the sender
    reply_to: str = ""  # where the customer's answer goes


@dataclass(frozen=True)
class ClaimedDelivery:
    """A delivery leased by one worker, with what it takes to send and sign it."""

    id: str
    seller_id: str
    endpoint_id: str
    url: str
    secrets: list[str]
    body: str
    attempts: int  # including the one about to be made
    endpoint_enabled: bool


@dataclass(frozen=True)
class AttemptOutcome:
    delivery_id: str
    seller_id: str
    attempt: Attempt
    status: DeliveryStatus
    next_attempt_at: datetime | None


@dataclass(frozen=True)
class ClaimedEmail:
    id: str
    recipient: str
    subject: str
    text_body: str
    html_body: str
    attempts: int
    sender_name: str = ""
    reply_to: str = ""


class OutboxRepository(Protocol):
    def claim(self, limit: int) -> list[OutboxEvent]: ...
    def mark_processed(self, event_ids: Sequence[str], now: datetime) -> None: ...
    def page(
        self, seller_id: str, *, event_type: str | None, after: str | None, limit: int
    ) -> list[OutboxEvent]: ...
    def get(self, seller_id: str, event_id: str) -> OutboxEvent | None: ...
    def contacts(self, return_ids: Sequence[tuple[str, str]]) -> dict[str, ReturnContact]: ...


class WebhookEndpointRepository(Protocol):
    def add(self, endpoint: WebhookEndpoint) -> None: ...
    def get(self, seller_id: str, endpoint_id: str) -> WebhookEndpoint | None: ...
    def all(self, seller_id: str) -> list[WebhookEndpoint]: ...
    def enabled_for(self, seller_ids: Sequence[str]) -> list[WebhookEndpoint]: ...
    def delete(self, endpoint: WebhookEndpoint) -> None: ...


class DeliveryRepository(Protocol):
    def add_all(
        self, deliveries: Sequence[NewDelivery], now: datetime, *, lease_until: datetime
    ) -> None: ...
    def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[ClaimedDelivery]: ...
    def record(self, outcomes: Sequence[AttemptOutcome], now: datetime) -> None: ...
    def page(
        self, seller_id: str, endpoint_id: str, *, after: str | None, limit: int
    ) -> list[WebhookDelivery]: ...
    def get(self, seller_id: str, delivery_id: str) -> WebhookDelivery | None: ...
    def requeue(self, seller_id: str, delivery_id: str, now: datetime) -> None: ...
    def lease_ends(self, now: datetime) -> datetime | None:
        """When the first lease still held on a pending delivery runs out (None: none held)."""

    def count_by_endpoint(self, seller_id: str) -> dict[str, int]:
        """Deliveries made to each of the seller's endpoints, by endpoint id."""


class EmailRepository(Protocol):
    def add_all(self, emails: Sequence[NewEmail], now: datetime) -> None: ...
    def claim_due(self, now: datetime, limit: int, lease_until: datetime) -> list[ClaimedEmail]: ...
    def lease_ends(self, now: datetime) -> datetime | None:
        """When the first lease still held on a pending email runs out (None: none held)."""

    def record_sent(self, email_id: str, now: datetime) -> None: ...
    def record_failure(
        self, email_id: str, error: str, status: DeliveryStatus, next_attempt_at: datetime | None
    ) -> None: ...


class ActionTokenRepository(Protocol):
    def used(self, token_id: str) -> bool: ...


class WebhookSender(Protocol):
    """Sends signed webhook requests; one ``Attempt`` per delivery, in order."""

    def send_all(self, deliveries: Sequence[ClaimedDelivery]) -> list[Attempt]: ...


class Mailer(Protocol):
    """Hands one email to the mail system (SMTP, or a folder)."""

    def send(self, email: ClaimedEmail) -> None: ...


class EmailComposer(Protocol):
    """Renders the email of one event for one audience, or ``None`` if it has none."""

    def compose(
        self,
        event: OutboxEvent,
        audience: str,
        contact: ReturnContact,
        seller_name: str,
        story: Story | None = None,
    ) -> tuple[str, str, str] | None: ...


class DestinationGuard(Protocol):
    """Refuses webhook URLs the operator does not allow rma to call (SSRF)."""

    def check(self, url: str, field: str = "url") -> None:
        """Raise ``InvalidInput`` naming ``field`` if rma may not call ``url``."""
        ...
