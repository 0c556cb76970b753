"""A seller's places: saved return addresses and facilities (warehouses)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from rma.api import schemas
from rma.api.deps import STAFF, WAREHOUSE, ContainerDep, PrincipalDep
from rma.domain.addresses import Facility
from rma.services import addresses as service

router = APIRouter(prefix="/v1", tags=["settings"])

FacilityCode = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]


@router.post(
    "/return-addresses",
    operation_id="return-addresses-create",
    status_code=201,
    response_model=schemas.ReturnAddressPublic,
)
def create_return_address(
    body: schemas.ReturnAddressCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.ReturnAddressPublic:
    seller_id = principal.require(*STAFF)
    cmd = service.AddReturnAddress(
        seller_id, body.label, body.address.to_domain(), body.make_default
    )
    saved = service.add_return_address(cmd, container.uow())
    _, default_id = service.list_return_addresses(seller_id, container.uow())
    return schemas.ReturnAddressPublic.of(saved, default_id)


@router.get(
    "/return-addresses",
    operation_id="return-addresses-list",
    response_model=schemas.ReturnAddressesPublic,
)
def list_return_addresses(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.ReturnAddressesPublic:
    saved, default_id = service.list_return_addresses(principal.require(*STAFF), container.uow())
    return schemas.ReturnAddressesPublic(
        data=[schemas.ReturnAddressPublic.of(a, default_id) for a in saved]
    )


@router.put(
    "/facilities/{code}", operation_id="facilities-put", response_model=schemas.FacilityPublic
)
def put_facility(
    code: FacilityCode, body: schemas.FacilityPut, container: ContainerDep, principal: PrincipalDep
) -> schemas.FacilityPublic:
    facility = Facility(principal.require(*STAFF), code, body.name, body.address.to_domain())
    return schemas.FacilityPublic.of(service.put_facility(facility, container.uow()))


@router.get("/facilities", operation_id="facilities-list", response_model=schemas.FacilitiesPublic)
def list_facilities(container: ContainerDep, principal: PrincipalDep) -> schemas.FacilitiesPublic:
    facilities = service.list_facilities(principal.require(*WAREHOUSE), container.uow())
    return schemas.FacilitiesPublic(data=[schemas.FacilityPublic.of(f) for f in facilities])
