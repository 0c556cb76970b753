"""The seller desk's webhook endpoints: each with its deliveries counted, changed, and a new one."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from rma.adapters.webhooks import new_webhook_secret
from rma.bootstrap import Container
from rma.domain.access import Principal
from rma.domain.errors import NotFound
from rma.domain.webhooks import event_types
from rma.services import desk, webhooks
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_settings import (
    Posted,
    Values,
    posted_values,
    save_once,
    signed_in,
    tab_page,
)
from rma.web.forms import new_form_key
from rma.web.rendering import PageRoute, PostedForm, render

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/webhooks")
def webhooks_page(request: Request, created: str = "", rotated: str = "") -> Response:
    principal, _, _ = signed_in(request)
    return _webhooks(
        request, principal, {"event_types": []}, {}, created=created[:40], rotated=rotated[:40]
    )


@router.post("/webhooks")
def create_webhook(request: Request, values: Posted) -> Response:
    principal, seller_id, container = signed_in(request)
    cmd = webhooks.CreateWebhookEndpoint(
        seller_id,
        values.get("url", "").strip()[:2000],
        new_webhook_secret(),
        values.get("description", "").strip()[:200],
        tuple(values["event_types"]),
    )
    guard = container.destinations

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


@router.post("/webhooks/{endpoint_id}/{change}")
def change_webhook(request: Request, endpoint_id: str, change: str, form: PostedForm) -> Response:
    """Enable, disable or delete an endpoint, or give it a new signing secret."""
    if change not in CHANGES:
        raise NotFound(f"no change {change!r}", code="not_found")
    values = posted_values(request, form)
    principal, seller_id, container = signed_in(request)
    endpoint_id = endpoint_id[:64]
    guard = container.destinations
    if change == "delete" and values.get("confirmed") != "yes":
        endpoint = desk.endpoint_log(seller_id, endpoint_id, container.uow(), limit=1).endpoint
        return render(
            request,
            "desk/confirm.html",
            role=principal.role,
            question="Delete this webhook endpoint?",
            what=endpoint.url,
            consequence="No more events are sent there, and its delivery log is gone.",
            button="Delete the endpoint",
            action=f"/desk/webhooks/{endpoint_id}/delete",
            fields={},
            back="/desk/webhooks",
            form_key=values.get("form_key") or new_form_key(),
        )

    def apply(uow: UnitOfWork) -> str:
        if change == "delete":
            webhooks.delete_webhook_endpoint(seller_id, endpoint_id, uow)
        elif change == "rotate":
            cmd = webhooks.RotateWebhookSecret(seller_id, endpoint_id, new_webhook_secret())
            webhooks.rotate_webhook_secret(cmd, uow)
            return f"/desk/webhooks?rotated={endpoint_id}"
        else:
            enabled = change == "enable"
            update = webhooks.UpdateWebhookEndpoint(seller_id, endpoint_id, enabled=enabled)
            webhooks.update_webhook_endpoint(update, uow, guard)
        return "/desk/webhooks"

    return save_once(
        request,
        principal,
        values,
        apply,
        lambda errs: _webhooks(request, principal, values, errs, status_code=422),
    )


CHANGES = ("enable", "disable", "rotate", "delete")


def _webhooks(
    request: Request,
    principal: Principal,
    values: Values,
    errors: dict[str, str],
    *,
    created: str = "",
    rotated: str = "",
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
        rotated=rotated,
        events=event_types(),
    )
