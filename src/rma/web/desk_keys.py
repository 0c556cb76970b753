"""The seller desk's API keys: who holds which, and revoking one (it stops working at once)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.services import keys
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import Posted, save_once, signed_in, tab_page
from rma.web.rendering import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/keys")
def keys_page(request: Request, revoked: str = "") -> Response:
    principal, _, container = signed_in(request)
    listed = keys.list_api_keys(principal, container.reader())
    return tab_page(request, principal, "keys", {}, {}, 200, keys=listed, revoked=revoked[:40])


@router.post("/keys/{key_id}/revoke")
def revoke_key(request: Request, key_id: str, values: Posted) -> Response:
    principal, _, _ = signed_in(request)
    cmd = keys.RevokeApiKey(key_id[:40], principal)

    def revoke(uow: UnitOfWork) -> str:
        keys.revoke_api_key(cmd, uow)
        return f"/desk/keys?revoked={cmd.key_id}"

    return save_once(request, principal, values, revoke, lambda errs: keys_page(request))
