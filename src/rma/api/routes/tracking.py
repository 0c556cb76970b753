"""Carrier tracking: sources and secrets, signed carrier webhooks, a return's tracking."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from rma.api import schemas
from rma.api.deps import ANYONE, STAFF, ContainerDep, PrincipalDep, scope_of
from rma.domain.access import Role
from rma.domain.errors import InvalidInput
from rma.domain.tracking import SIGNATURE_HEADERS
from rma.services import tracking as service

router = APIRouter(tags=["tracking"])

ReturnRef = Annotated[str, Path(min_length=1, max_length=64, description="Return id or RMA number")]
MAX_EVENT_BYTES = 1_000_000


@router.post(
    "/v1/carrier-sources",
    operation_id="carrier-sources-create",
    status_code=201,
    response_model=schemas.CarrierSourceCreated,
)
def create_carrier_source(
    body: schemas.CarrierSourceCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.CarrierSourceCreated:
    cmd = service.AddCarrierSource(principal.require(*STAFF), body.kind, body.name, body.secret)
    source = service.add_carrier_source(cmd, container.uow())
    public = schemas.CarrierSourcePublic.of(source, container.settings.base_url)
    return schemas.CarrierSourceCreated(**public.model_dump(), secret=source.secret)


@router.get(
    "/v1/carrier-sources",
    operation_id="carrier-sources-list",
    response_model=schemas.CarrierSourcesPublic,
)
def list_carrier_sources(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.CarrierSourcesPublic:
    sources = service.list_carrier_sources(principal.require(*STAFF), container.uow())
    base = container.settings.base_url
    return schemas.CarrierSourcesPublic(
        data=[schemas.CarrierSourcePublic.of(s, base) for s in sources]
    )


@router.post(
    "/v1/carrier-events",
    operation_id="carrier-events-ingest",
    response_model=schemas.CarrierEventsAccepted,
    summary="A tracking webhook from a carrier source (EasyPost, Shippo, or rma's own format)",
)
async def ingest_carrier_events(
    request: Request,
    container: ContainerDep,
    source: Annotated[str, Query(min_length=1, max_length=40, description="Carrier source id")],
) -> schemas.CarrierEventsAccepted:
    body = await request.body()
    if len(body) > MAX_EVENT_BYTES:
        raise InvalidInput("a carrier event is at most 1 MB", code="payload_too_large")
    signature = next(
        (request.headers[h] for h in SIGNATURE_HEADERS.values() if request.headers.get(h)), None
    )
    cmd = service.IngestCarrierEvents(source, body, signature)
    # In a thread: on the event loop its waits for the database would hold every request.
    outcome = await run_in_threadpool(service.ingest_carrier_events, cmd, container.uow())
    return schemas.CarrierEventsAccepted(**outcome.__dict__)


@router.put(
    "/v1/returns/{ref}/tracking",
    operation_id="returns-tracking-put",
    response_model=schemas.TrackingPublic,
)
def put_tracking(
    ref: ReturnRef, body: schemas.TrackingPut, container: ContainerDep, principal: PrincipalDep
) -> schemas.TrackingPublic:
    cmd = service.SetTracking(
        scope_of(principal, Role.SELLER, Role.ADMIN, Role.CUSTOMER),
        ref,
        body.carrier,
        body.tracking_number,
        body.ship_from.to_domain() if body.ship_from else None,
    )
    ret = service.set_tracking(cmd, container.uow())
    return schemas.TrackingPublic.of(ret, [])


@router.get(
    "/v1/returns/{ref}/tracking",
    operation_id="returns-tracking-get",
    response_model=schemas.TrackingPublic,
)
def get_tracking(
    ref: ReturnRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.TrackingPublic:
    ret, events = service.tracking_history(scope_of(principal, *ANYONE), ref, container.uow())
    return schemas.TrackingPublic.of(ret, events)
