"""A webhook endpoint's delivery log on the desk: each attempt, and replaying a delivery."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.bootstrap import Container
from rma.domain.errors import RmaError
from rma.services import desk, webhooks
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_return import seller, seller_id
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, check_csrf, redirect, render

router = APIRouter(route_class=PageRoute)


@router.get("/webhooks/{endpoint_id}/deliveries")
def deliveries_page(request: Request, endpoint_id: str) -> Response:
    """Each delivery with every attempt: when, the answer's status, how long, what it said."""
    principal = seller(request)
    container: Container = request.app.state.container
    log = desk.endpoint_log(seller_id(principal), endpoint_id[:64], container.uow())
    return render(
        request,
        "desk/deliveries.html",
        role=principal.role,
        tab="webhooks",
        log=log,
        replayed=request.query_params.get("replayed", "")[:64],
        error=request.query_params.get("error", "")[:200],
        form_key=new_form_key(),
    )


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/replay")
def replay(
    request: Request,
    endpoint_id: str,
    delivery_id: str,
    csrf: Annotated[str, Form(max_length=200)],
    form_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Send a delivery again with the same webhook-id, on a fresh retry schedule."""
    check_csrf(request, csrf)
    principal = seller(request)
    container: Container = request.app.state.container
    back = f"/desk/webhooks/{endpoint_id[:64]}/deliveries"

    def again(uow: UnitOfWork) -> str:
        done = webhooks.replay_delivery(seller_id(principal), delivery_id[:64], uow)
        return f"{back}?replayed={done.id}"

    try:
        url = submit_once(container, principal, form_key, f"replay {delivery_id}", again)
    except RmaError as error:
        return redirect(f"{back}?error={error.code}")
    return redirect(url)
