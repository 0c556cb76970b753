"""Stores that push orders: register a Shopify or WooCommerce store, take its webhooks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool

from rma.api import schemas
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.domain.store_orders import SIGNATURE_HEADERS, TOPIC_HEADERS
from rma.services import store_webhooks as service

router = APIRouter(tags=["orders"])


@router.post(
    "/v1/store-sources",
    operation_id="store-sources-create",
    status_code=201,
    response_model=schemas.StoreSourceCreated,
)
def create_store_source(
    body: schemas.StoreSourceCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.StoreSourceCreated:
    cmd = service.AddStoreSource(principal.require(*STAFF), body.kind, body.name, body.secret)
    source = service.add_store_source(cmd, container.uow())
    public = schemas.StoreSourcePublic.of(source, container.settings.base_url)
    return schemas.StoreSourceCreated(**public.model_dump(), secret=source.secret)


@router.get(
    "/v1/store-sources",
    operation_id="store-sources-list",
    response_model=schemas.StoreSourcesPublic,
)
def list_store_sources(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.StoreSourcesPublic:
    sources = service.list_store_sources(principal.require(*STAFF), container.uow())
    base = container.settings.base_url
    return schemas.StoreSourcesPublic(data=[schemas.StoreSourcePublic.of(s, base) for s in sources])


@router.post(
    "/v1/store-events",
    operation_id="store-events-ingest",
    response_model=schemas.StoreEventAccepted,
    summary="An order webhook from a store (Shopify or WooCommerce), signed with its secret",
)
async def ingest_store_event(
    request: Request,
    container: ContainerDep,
    source: Annotated[str, Query(min_length=1, max_length=40, description="Store source id")],
) -> schemas.StoreEventAccepted:
    body = await request.body()
    headers = request.headers
    signature = next((headers[h] for h in SIGNATURE_HEADERS.values() if headers.get(h)), None)
    topic = next((headers[h] for h in TOPIC_HEADERS.values() if headers.get(h)), "")
    cmd = service.IngestStoreEvent(source, topic, body, signature)
    # In a thread: on the event loop its waits for the database would hold every request.
    taken = await run_in_threadpool(service.ingest_store_event, cmd, container.uow())
    return schemas.StoreEventAccepted(outcome=taken.outcome, order_number=taken.order_number)
