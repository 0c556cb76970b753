"""Webhook endpoints, their delivery log and replays, and the seller's event log."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from rma.adapters.webhooks import new_webhook_secret
from rma.api import schemas
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.services import webhooks as service

router = APIRouter(prefix="/v1", tags=["webhooks"])

Id = Annotated[str, Path(max_length=40)]
Cursor = Annotated[str | None, Query(max_length=64, description="`next_cursor` of the last page")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.post(
    "/webhook-endpoints",
    operation_id="webhook-endpoints-create",
    status_code=201,
    response_model=schemas.WebhookEndpointPublic,
)
def create_endpoint(
    body: schemas.WebhookEndpointCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.WebhookEndpointPublic:
    cmd = service.CreateWebhookEndpoint(
        principal.require(*STAFF),
        body.url,
        new_webhook_secret(),
        body.description,
        tuple(body.event_types),
    )
    endpoint = service.create_webhook_endpoint(cmd, container.uow(), container.destinations)
    return schemas.WebhookEndpointPublic.of(endpoint, with_secret=True)


@router.get(
    "/webhook-endpoints",
    operation_id="webhook-endpoints-list",
    response_model=schemas.WebhookEndpointsPublic,
)
def list_endpoints(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.WebhookEndpointsPublic:
    endpoints = service.list_webhook_endpoints(principal.require(*STAFF), container.uow())
    return schemas.WebhookEndpointsPublic(
        data=[schemas.WebhookEndpointPublic.of(e) for e in endpoints]
    )


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    operation_id="webhook-endpoints-update",
    response_model=schemas.WebhookEndpointPublic,
)
def update_endpoint(
    endpoint_id: Id,
    body: schemas.WebhookEndpointUpdate,
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.WebhookEndpointPublic:
    cmd = service.UpdateWebhookEndpoint(
        principal.require(*STAFF),
        endpoint_id,
        url=body.url,
        description=body.description,
        event_types=tuple(body.event_types) if body.event_types is not None else None,
        enabled=body.enabled,
    )
    endpoint = service.update_webhook_endpoint(cmd, container.uow(), container.destinations)
    return schemas.WebhookEndpointPublic.of(endpoint)


@router.delete(
    "/webhook-endpoints/{endpoint_id}", operation_id="webhook-endpoints-delete", status_code=204
)
def delete_endpoint(endpoint_id: Id, container: ContainerDep, principal: PrincipalDep) -> Response:
    service.delete_webhook_endpoint(principal.require(*STAFF), endpoint_id, container.uow())
    return Response(status_code=204)


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    operation_id="webhook-endpoints-rotate-secret",
    response_model=schemas.WebhookEndpointPublic,
)
def rotate_secret(
    endpoint_id: Id,
    container: ContainerDep,
    principal: PrincipalDep,
    body: Annotated[schemas.SecretRotate, Body(default_factory=schemas.SecretRotate)],
) -> schemas.WebhookEndpointPublic:
    keep = body.keep_previous_seconds
    cmd = service.RotateWebhookSecret(
        principal.require(*STAFF), endpoint_id, new_webhook_secret(), timedelta(seconds=keep)
    )
    endpoint = service.rotate_webhook_secret(cmd, container.uow())
    return schemas.WebhookEndpointPublic.of(endpoint, with_secret=True)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    operation_id="webhook-deliveries-list",
    response_model=schemas.WebhookDeliveriesPublic,
)
def list_deliveries(
    endpoint_id: Id,
    container: ContainerDep,
    principal: PrincipalDep,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> schemas.WebhookDeliveriesPublic:
    page = service.list_deliveries(
        principal.require(*STAFF), endpoint_id, container.uow(), after=cursor, limit=limit + 1
    )
    more = len(page) > limit
    page = page[:limit]
    return schemas.WebhookDeliveriesPublic(
        data=[schemas.WebhookDeliveryPublic.of(d) for d in page],
        next_cursor=page[-1].id if more else None,
    )


@router.post(
    "/webhook-deliveries/{delivery_id}/replay",
    operation_id="webhook-deliveries-replay",
    status_code=202,
    response_model=schemas.WebhookDeliveryPublic,
)
def replay_delivery(
    delivery_id: Id, container: ContainerDep, principal: PrincipalDep
) -> schemas.WebhookDeliveryPublic:
    delivery = service.replay_delivery(principal.require(*STAFF), delivery_id, container.uow())
    return schemas.WebhookDeliveryPublic.of(delivery)


@router.get("/events", operation_id="events-list", response_model=schemas.EventsPublic)
def list_events(
    container: ContainerDep,
    principal: PrincipalDep,
    type: Annotated[str | None, Query(max_length=64, description="Only this event type")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> schemas.EventsPublic:
    page = service.list_events(
        principal.require(*STAFF), container.uow(), event_type=type, after=cursor, limit=limit + 1
    )
    more = len(page) > limit
    page = page[:limit]
    return schemas.EventsPublic(
        data=[schemas.EventPublic.of(e) for e in page],
        next_cursor=page[-1].id if more else None,
    )
