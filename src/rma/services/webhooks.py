"""A seller's webhook endpoints, their delivery log, replays, and the event log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from rma.domain.errors import NotFound
from rma.domain.ids import new_id
from rma.domain.webhooks import (
    WebhookDelivery,
    WebhookEndpoint,
    check_event_types,
    check_webhook_url,
)
from rma.services.clock import utcnow
from rma.services.event_ports import DestinationGuard, OutboxEvent
from rma.services.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class CreateWebhookEndpoint:
    seller_id: str
    url: str
    secret: str  # a fresh whsec_ secret made by the entrypoint's adapter
    description: str = ""
    event_types: tuple[str, ...] = ()


@dataclass(frozen=True)
class UpdateWebhookEndpoint:
    """Changes to an endpoint; ``None`` leaves a field as it is."""

    seller_id: str
    endpoint_id: str
    url: str | None = None
    description: str | None = None
    event_types: tuple[str, ...] | None = None
    enabled: bool | None = None


@dataclass(frozen=True)
class RotateWebhookSecret:
    seller_id: str
    endpoint_id: str
    new_secret: str
    keep_previous: timedelta = timedelta(hours=24)


def create_webhook_endpoint(
    cmd: CreateWebhookEndpoint, uow: UnitOfWork, guard: DestinationGuard
) -> WebhookEndpoint:
    """Subscribe a URL to the seller's events (all, or those listed)."""
    check_webhook_url(cmd.url)
    check_event_types(list(cmd.event_types), "event_types")
    guard.check(cmd.url)
    now = utcnow()
    endpoint = WebhookEndpoint(
        id=new_id("whe"),
        seller_id=cmd.seller_id,
        url=cmd.url,
        secret=cmd.secret,
        created_at=now,
        updated_at=now,
        description=cmd.description,
        event_types=list(cmd.event_types),
    )
    with uow:
        uow.webhook_endpoints.add(endpoint)
        uow.commit()
    return endpoint


def list_webhook_endpoints(seller_id: str, uow: UnitOfWork) -> list[WebhookEndpoint]:
    with uow:
        return uow.webhook_endpoints.all(seller_id)


def update_webhook_endpoint(
    cmd: UpdateWebhookEndpoint, uow: UnitOfWork, guard: DestinationGuard
) -> WebhookEndpoint:
    """Change the URL, description or filter, or enable or disable the endpoint."""
    if cmd.url is not None:
        check_webhook_url(cmd.url)
        guard.check(cmd.url)
    if cmd.event_types is not None:
        check_event_types(list(cmd.event_types), "event_types")
    now = utcnow()
    with uow:
        endpoint = _endpoint(uow, cmd.seller_id, cmd.endpoint_id)
        if cmd.url is not None:
            endpoint.url = cmd.url
        if cmd.description is not None:
            endpoint.description = cmd.description
        if cmd.event_types is not None:
            endpoint.event_types = list(cmd.event_types)
        if cmd.enabled is True:
            endpoint.enable(now)
        elif cmd.enabled is False:
            endpoint.disable("disabled by the seller", now)
        endpoint.updated_at = now
        uow.commit()
        return endpoint


def delete_webhook_endpoint(seller_id: str, endpoint_id: str, uow: UnitOfWork) -> None:
    """Stop sending to an endpoint and forget its delivery log."""
    with uow:
        uow.webhook_endpoints.delete(_endpoint(uow, seller_id, endpoint_id))
        uow.commit()


def rotate_webhook_secret(cmd: RotateWebhookSecret, uow: UnitOfWork) -> WebhookEndpoint:
    """A new signing secret; the previous one keeps signing for ``keep_previous``."""
    with uow:
        endpoint = _endpoint(uow, cmd.seller_id, cmd.endpoint_id)
        endpoint.rotate(cmd.new_secret, utcnow(), cmd.keep_previous)
        uow.commit()
        return endpoint


def list_deliveries(
    seller_id: str, endpoint_id: str, uow: UnitOfWork, *, after: str | None, limit: int
) -> list[WebhookDelivery]:
    """The delivery log of one endpoint, newest first, each with every attempt."""
    with uow:
        _endpoint(uow, seller_id, endpoint_id)
        return uow.deliveries.page(seller_id, endpoint_id, after=after, limit=limit)


def replay_delivery(seller_id: str, delivery_id: str, uow: UnitOfWork) -> WebhookDelivery:
    """Send a delivery again, with the same ``webhook-id``, and a fresh retry schedule."""
    with uow:
        if uow.deliveries.get(seller_id, delivery_id) is None:
            raise NotFound(f"no webhook delivery {delivery_id}", code="webhook_delivery_not_found")
        uow.deliveries.requeue(seller_id, delivery_id, utcnow())
        uow.commit()
    with uow:
        delivery = uow.deliveries.get(seller_id, delivery_id)
        assert delivery is not None
        return delivery


def list_events(
    seller_id: str,
    uow: UnitOfWork,
    *,
    event_type: str | None,
    after: str | None,
    limit: int,
) -> list[OutboxEvent]:
    """The seller's events, newest first."""
    if event_type is not None:
        check_event_types([event_type], "type")
    with uow:
        return uow.outbox.page(seller_id, event_type=event_type, after=after, limit=limit)


def _endpoint(uow: UnitOfWork, seller_id: str, endpoint_id: str) -> WebhookEndpoint:
    endpoint = uow.webhook_endpoints.get(seller_id, endpoint_id)
    if endpoint is None:
        raise NotFound(f"no webhook endpoint {endpoint_id}", code="webhook_endpoint_not_found")
    return endpoint
