"""The seller's customer-facing settings: the portal's shop handle, language, reply address."""

from __future__ import annotations

from fastapi import APIRouter

from rma.api import schemas
from rma.api.deps import STAFF, ContainerDep, PrincipalDep
from rma.services import storefront as service

router = APIRouter(prefix="/v1", tags=["settings"])


@router.get(
    "/portal-settings",
    operation_id="portal-settings-get",
    response_model=schemas.PortalSettingsPublic,
)
def get_portal_settings(
    container: ContainerDep, principal: PrincipalDep
) -> schemas.PortalSettingsPublic:
    found = service.get_portal_settings(principal.require(*STAFF), container.uow())
    return schemas.PortalSettingsPublic.of(found)


@router.put(
    "/portal-settings",
    operation_id="portal-settings-put",
    response_model=schemas.PortalSettingsPublic,
    summary="Set the shop's portal handle (/s/{handle}/returns), language and Reply-To",
)
def put_portal_settings(
    body: schemas.PortalSettingsPut, container: ContainerDep, principal: PrincipalDep
) -> schemas.PortalSettingsPublic:
    cmd = service.PutPortalSettings(
        principal.require(*STAFF), body.shop_handle, body.language, body.reply_to
    )
    return schemas.PortalSettingsPublic.of(service.put_portal_settings(cmd, container.uow()))
