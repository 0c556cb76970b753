"""The seller desk's webhook endpoints: each with its deliveries counted, and a new one."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.adapters.webhooks import DestinationGuard, new_webhook_secret
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.webhooks import event_types
from rma.services import desk, webhooks
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import Values, posted, save_once, signed_in, tab_page
from rma.web.rendering import PageRoute

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/webhooks")
def webhooks_page(request: Request, created: str = "") -> Response:
    principal, _, _ = signed_in(request)
    return _webhooks(request, principal, {"event_types": []}, {}, created=created[:40])


@router.post("/webhooks")
async def create_webhook(request: Request) -> Response:
    values = await posted(request)
    principal, seller_id, container = signed_in(request)
    cmd = webhooks.CreateWebhookEndpoint(
        seller_id,
        values.get("url", "").strip()[:2000],
        new_webhook_secret(),
        values.get("description", "").strip()[:200],
        tuple(values["event_types"]),
    )
    guard = DestinationGuard(container.settings.webhooks_allow_private)

    def create(uow: UnitOfWork) -> str:
        endpoint = webhooks.create_webhook_endpoint(cmd, uow, guard)
        return f"/desk/webhooks?created={endpoint.id}"

    return save_once(
        request,
        principal,
        values,
        create,
        lambda errs: _webhooks(request, principal, values, errs, status_code=422),
    )


def _webhooks(
    request: Request,
    principal: Principal,
    values: Values,
    errors: dict[str, str],
    *,
    created: str = "",
    status_code: int = 200,
) -> Response:
    container: Container = request.app.state.container
    assert principal.seller_id is not None
    endpoints = desk.webhook_endpoints_overview(principal.seller_id, container.uow())
    return tab_page(
        request,
        principal,
        "webhooks",
        values,
        errors,
        status_code,
        endpoints=endpoints,
        created=created,
        events=event_types(),
    )
