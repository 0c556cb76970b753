"""A seller's set-up: settings, category and SKU policies, reason codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from rma.api import schemas
from rma.api.deps import ANYONE, STAFF, ContainerDep, PrincipalDep
from rma.services import catalog, policies
from rma.services import sellers as service

router = APIRouter(prefix="/v1", tags=["settings"])

Category = Annotated[str, Path(min_length=1, max_length=100)]
Sku = Annotated[str, Path(min_length=1, max_length=100)]
ReasonCodeName = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


@router.get("/settings", operation_id="settings-get", response_model=schemas.SettingsPublic)
def get_settings(container: ContainerDep, principal: PrincipalDep) -> schemas.SettingsPublic:
    seller = service.get_seller(principal.require(*STAFF), container.uow())
    return schemas.SettingsPublic.of(seller)


@router.put("/settings", operation_id="settings-update", response_model=schemas.SettingsPublic)
def update_settings(
    body: schemas.SettingsUpdate, container: ContainerDep, principal: PrincipalDep
) -> schemas.SettingsPublic:
    changes = service.ReturnSettings(**body.model_dump(exclude_none=True))
    seller = service.update_settings(
        principal.require(*STAFF), changes, container.uow(), container.destinations
    )
    return schemas.SettingsPublic.of(seller)


@router.get("/policies", operation_id="policies-list", response_model=schemas.PoliciesPublic)
def list_policies(container: ContainerDep, principal: PrincipalDep) -> schemas.PoliciesPublic:
    found = policies.list_policies(principal.require(*STAFF), container.uow())
    return schemas.PoliciesPublic(data=[schemas.PolicyPublic.of(p) for p in found])


@router.put(
    "/policies/{category}", operation_id="policies-put", response_model=schemas.PolicyPublic
)
def put_policy(
    category: Category,
    body: schemas.PolicyUpdate,
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.PolicyPublic:
    cmd = policies.PutPolicy(principal.require(*STAFF), category, **body.model_dump())
    return schemas.PolicyPublic.of(policies.put_policy(cmd, container.uow()))


@router.get(
    "/sku-policies", operation_id="sku-policies-list", response_model=schemas.SkuPoliciesPublic
)
def list_sku_policies(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.SkuPoliciesPublic:
    found = policies.list_sku_policies(principal.require(*STAFF), container.uow())
    return schemas.SkuPoliciesPublic(data=[schemas.SkuPolicyPublic.of(p) for p in found])


@router.put(
    "/sku-policies/{sku}", operation_id="sku-policies-put", response_model=schemas.SkuPolicyPublic
)
def put_sku_policy(
    sku: Sku, body: schemas.SkuPolicyUpdate, container: ContainerDep, principal: PrincipalDep
) -> schemas.SkuPolicyPublic:
    cmd = policies.PutSkuPolicy(principal.require(*STAFF), sku, **body.model_dump())
    return schemas.SkuPolicyPublic.of(policies.put_sku_policy(cmd, container.uow()))


@router.delete("/sku-policies/{sku}", operation_id="sku-policies-delete", status_code=204)
def delete_sku_policy(sku: Sku, container: ContainerDep, principal: PrincipalDep) -> Response:
    policies.delete_sku_policy(principal.require(*STAFF), sku, container.uow())
    return Response(status_code=204)


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


@router.put(
    "/reason-codes/{code}",
    operation_id="reason-codes-put",
    response_model=schemas.ReasonCodePublic,
)
def put_reason_code(
    code: ReasonCodeName,
    body: schemas.ReasonCodeUpdate,
    container: ContainerDep,
    principal: PrincipalDep,
) -> schemas.ReasonCodePublic:
    cmd = policies.PutReasonCode(principal.require(*STAFF), code, **body.model_dump())
    return schemas.ReasonCodePublic.of(policies.put_reason_code(cmd, container.uow()))
