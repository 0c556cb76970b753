"""Webhook endpoints, their deliveries and the retry schedule; email preferences.

An endpoint belongs to one seller, listens to some event types (or all), and signs what it
sends with its secret. During a rotation the previous secret stays valid for a while, so a
receiver that has not switched yet still verifies every message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from urllib.parse import urlsplit

from rma.domain import events
from rma.domain.errors import InvalidInput

# Seconds to wait before each retry; after the last one the delivery is failed.
DEFAULT_RETRY_SCHEDULE: tuple[int, ...] = (5, 30, 120, 600, 1800, 3600, 10800, 21600)

# What the customer is told about, whatever the seller's preferences.
CUSTOMER_EMAIL_EVENTS: frozenset[str] = frozenset(
    {
        "return.requested",
        "return.pending_review",
        "return.authorized",
        "return.denied",
        "return.received",
        "return.resolved",
        "return.cancelled",
        "return.expired",
    }
)

# What a supplier is emailed about, with its signed accept and refuse links.
SUPPLIER_EMAIL_EVENTS: frozenset[str] = frozenset(
    {"supplier_rma.requested", "supplier_rma.reminded"}
)

# What the seller is always told (it must decide), whatever its preferences.
SELLER_MUST_KNOW_EVENTS: frozenset[str] = frozenset(
    {"supplier_rma.refused", "supplier_rma.escalated"}
)

# What a seller is emailed about until it says otherwise.
DEFAULT_SELLER_EMAIL_EVENTS: tuple[str, ...] = ("return.pending_review", "return.received")


def event_types() -> list[str]:
    """Every event type rma emits, in catalogue order."""
    return [kind.type for kind in events.Event.__subclasses__()]


def check_event_types(types: list[str], field_name: str) -> None:
    """Refuse a filter or preference naming an event that does not exist."""
    unknown = sorted(set(types) - set(event_types()))
    if unknown:
        raise InvalidInput(
            f"unknown event type(s): {', '.join(unknown)}",
            code="unknown_event_type",
            details=[{"field": field_name, "unknown": unknown}],
        )


def check_webhook_url(url: str) -> None:
    """An absolute http(s) URL with a host, and no credentials in it."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidInput(
            "a webhook URL is an absolute http:// or https:// URL",
            code="invalid_webhook_url",
            details=[{"field": "url"}],
        )
    if parts.username or parts.password:
        raise InvalidInput(
            "put no credentials in a webhook URL; verify our signature instead",
            code="invalid_webhook_url",
            details=[{"field": "url"}],
        )


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # waiting for its next attempt
    SUCCEEDED = "succeeded"  # the endpoint answered 2xx
    FAILED = "failed"  # retries exhausted, endpoint gone or disabled; replay to try again


@dataclass(eq=False)
class WebhookEndpoint:
    """Where a seller wants events sent, and the secret that signs them."""

    id: str
    seller_id: str
    url: str
    secret: str
    created_at: datetime
    updated_at: datetime
    description: str = ""
    event_types: list[str] = field(default_factory=list)  # empty: every event
    enabled: bool = True
    disabled_reason: str = ""
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None

    def wants(self, event_type: str) -> bool:
        """Whether an event of this type is sent here."""
        return self.enabled and (not self.event_types or event_type in self.event_types)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, and the previous one while it is still honoured."""
        previous = self.previous_secret
        expires = self.previous_secret_expires_at
        if previous is not None and expires is not None and now < expires:
            return [self.secret, previous]
        return [self.secret]

    def rotate(self, new_secret: str, now: datetime, keep_previous: timedelta) -> None:
        """Switch to ``new_secret``; the old one still signs for ``keep_previous``."""
        self.previous_secret = self.secret
        self.previous_secret_expires_at = now + keep_previous
        self.secret = new_secret
        self.updated_at = now

    def disable(self, reason: str, now: datetime) -> None:
        self.enabled = False
        self.disabled_reason = reason
        self.updated_at = now

    def enable(self, now: datetime) -> None:
        self.enabled = True
        self.disabled_reason = ""
        self.updated_at = now


@dataclass(frozen=True)
class Attempt:
    """One try at delivering a webhook: what the endpoint answered, or why it did not."""

    at: datetime
    status_code: int | None
    duration_ms: int
    error: str = ""
    response_excerpt: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class WebhookDelivery:
    """One event on its way to one endpoint; its id is the stable ``webhook-id``."""

    id: str
    seller_id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[Attempt] = field(default_factory=list)


def after_attempt(
    attempt: Attempt, attempts: int, schedule: tuple[int, ...] | list[int], now: datetime
) -> tuple[DeliveryStatus, datetime | None]:
    """The delivery's status after its ``attempts``-th try, and when to try next."""
    if attempt.succeeded:
        return DeliveryStatus.SUCCEEDED, None
    if attempt.status_code == 410 or attempts > len(schedule):
        return DeliveryStatus.FAILED, None
    return DeliveryStatus.PENDING, now + timedelta(seconds=schedule[attempts - 1])
