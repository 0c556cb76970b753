"""A seller's set-up: settings, category policies, reason codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from rma.api import schemas
from rma.api.deps import ANYONE, STAFF, ContainerDep, PrincipalDep
from rma.services import catalog
from rma.services import sellers as service

router = APIRouter(prefix="/v1", tags=["settings"])

Category = Annotated[str, Path(min_length=1, max_length=100)]


@router.get("/settings", operation_id="settings-get", response_model=schemas.SettingsPublic)
def get_settings(container: ContainerDep, principal: PrincipalDep) -> schemas.SettingsPublic:
    seller = service.get_seller(principal.require(*STAFF), container.uow())
    return schemas.SettingsPublic.of(seller)


@router.put("/settings", operation_id="settings-update", response_model=schemas.SettingsPublic)
def update_settings(
    body: schemas.SettingsUpdate, container: ContainerDep, principal: PrincipalDep
) -> schemas.SettingsPublic:
    changes = service.ReturnSettings(**body.model_dump(exclude_none=True))
    seller = service.update_settings(principal.require(*STAFF), changes, container.uow())
    return schemas.SettingsPublic.of(seller)


@router.get("/policies", operation_id="policies-list", response_model=schemas.PoliciesPublic)
def list_policies(container: ContainerDep, principal: PrincipalDep) -> schemas.PoliciesPublic:
    policies = service.list_policies(principal.require(*STAFF), container.uow())
    return schemas.PoliciesPublic(data=[schemas.PolicyPublic.of(p) for p in policies])


@router.put(
    "/policies/{category}", operation_id="policies-put", response_model=schemas.PolicyPublic
)
def put_policy(
    category: Category,
    body: schemas.PolicyUpdate,
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.PolicyPublic:
    cmd = service.PutPolicy(
        principal.require(*STAFF),
        category,
        body.window_days,
        body.returnable,
        body.restocking_fee_percent,
    )
    return schemas.PolicyPublic.of(service.put_policy(cmd, container.uow()))


@router.get(
    "/reason-codes", operation_id="reason-codes-list", response_model=schemas.ReasonCodesPublic
)
def list_reason_codes(
    container: ContainerDep,
    principal: PrincipalDep,
    sku: Annotated[str | None, Query(max_length=100)] = None,
) -> schemas.ReasonCodesPublic:
    codes = catalog.reason_codes_for(principal.require(*ANYONE), sku, container.uow())
    return schemas.ReasonCodesPublic(data=[schemas.ReasonCodePublic.of(c) for c in codes])
