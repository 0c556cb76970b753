"""Webhook endpoints, their deliveries, and the event log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from rma.api.schemas.base import In
from rma.domain.webhooks import Attempt, WebhookDelivery, WebhookEndpoint
from rma.services.event_ports import OutboxEvent

Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
EventType = Annotated[str, StringConstraints(max_length=64)]


class WebhookEndpointCreate(In):
    url: Url
    description: Annotated[str, StringConstraints(max_length=500)] = ""
    event_types: Annotated[list[EventType], Field(max_length=50)] = Field(
        default_factory=list, description="Event types to send; empty means every event."
    )


class WebhookEndpointUpdate(In):
    url: Url | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    event_types: Annotated[list[EventType], Field(max_length=50)] | None = None
    enabled: bool | None = None


class SecretRotate(In):
    keep_previous_seconds: Annotated[int, Field(ge=0, le=7 * 24 * 3600)] = Field(
        24 * 3600, description="How long the previous secret keeps signing messages."
    )


class WebhookEndpointPublic(BaseModel):
    id: str
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    disabled_reason: str
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None
    secret: str | None = Field(
        None, description="The whsec_ signing secret; shown at creation and rotation only."
    )

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, *, with_secret: bool = False) -> WebhookEndpointPublic:
        return cls(
            id=endpoint.id,
            url=endpoint.url,
            description=endpoint.description,
            event_types=endpoint.event_types,
            enabled=endpoint.enabled,
            disabled_reason=endpoint.disabled_reason,
            created_at=endpoint.created_at,
            updated_at=endpoint.updated_at,
            previous_secret_expires_at=endpoint.previous_secret_expires_at,
            secret=endpoint.secret if with_secret else None,
        )


class WebhookEndpointsPublic(BaseModel):
    data: list[WebhookEndpointPublic]


class AttemptPublic(BaseModel):
    at: datetime
    status_code: int | None
    duration_ms: int
    error: str
    response_excerpt: str

    @classmethod
    def of(cls, attempt: Attempt) -> AttemptPublic:
        return cls(**attempt.__dict__)


class WebhookDeliveryPublic(BaseModel):
    id: str = Field(description="The webhook-id header: the same on every retry and replay.")
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    attempt_log: list[AttemptPublic]

    @classmethod
    def of(cls, delivery: WebhookDelivery) -> WebhookDeliveryPublic:
        return cls(
            id=delivery.id,
            endpoint_id=delivery.endpoint_id,
            event_id=delivery.event_id,
            event_type=delivery.event_type,
            status=str(delivery.status),
            attempts=delivery.attempts,
            next_attempt_at=delivery.next_attempt_at,
            created_at=delivery.created_at,
            delivered_at=delivery.delivered_at,
            attempt_log=[AttemptPublic.of(a) for a in delivery.attempt_log],
        )


class WebhookDeliveriesPublic(BaseModel):
    data: list[WebhookDeliveryPublic]
    next_cursor: str | None


class EventPublic(BaseModel):
    id: str
    type: str
    version: int
    return_id: str
    occurred_at: datetime
    data: dict[str, Any]

    @classmethod
    def of(cls, event: OutboxEvent) -> EventPublic:
        return cls(
            id=event.id,
            type=event.type,
            version=int(event.payload.get("version", 1)),
            return_id=event.return_id,
            occurred_at=event.occurred_at,
            data=event.payload.get("data", {}),
        )


class EventsPublic(BaseModel):
    data: list[EventPublic]
    next_cursor: str | None
