"""The desk's stock, store credit and fulfillment pages: what returns became after money."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from rma.bootstrap import Container
from rma.domain.errors import Conflict, InvalidInput, NotFound
from rma.domain.fulfillment import OUTBOUND_MOVES, REPAIR_MOVES, OutboundStatus, RepairStatus
from rma.domain.inventory import Bucket
from rma.domain.money import parse_amount
from rma.services import fulfillment, stock, store_credit
from rma.services.unit_of_work import UnitOfWork
from rma.web.desk_return import seller, seller_id
from rma.web.forms import new_form_key, submit_once
from rma.web.rendering import PageRoute, check_csrf, redirect, render

router = APIRouter(route_class=PageRoute)

CsrfField = Annotated[str, Form(max_length=200)]
FormKey = Annotated[str, Form(max_length=100)]


@router.get("/stock")
def stock_page(request: Request) -> Response:
    """Per SKU and the movement ledger, filtered by SKU, facility and dates."""
    principal = seller(request)
    container: Container = request.app.state.container
    values = {n: request.query_params.get(n, "")[:100].strip() for n in ("sku", "location")}
    values |= {n: request.query_params.get(n, "")[:10] for n in ("from", "to")}
    errors: dict[str, str] = {}
    since, until = _day(values["from"], "from", errors), _day(values["to"], "to", errors)
    where = stock.StockFilter(
        sku=values["sku"] or None,
        location=values["location"] or None,
        since=since,
        until=until + timedelta(days=1) if until else None,
    )
    view = stock.stock_view(seller_id(principal), where, container.replica())
    return render(
        request,
        "desk/stock.html",
        status_code=422 if errors else 200,
        role=principal.role,
        view=view,
        values=values,
        errors=errors,
        buckets=list(Bucket),
    )


@router.get("/store-credit")
def credit_page(request: Request) -> Response:
    """A customer's balance and ledger, or the customers who hold credit."""
    email = request.query_params.get("email", "")[:320].strip()
    return _credit_page(request, email, errors={}, values={})


@router.post("/store-credit/redeem")
def redeem(
    request: Request,
    csrf: CsrfField,
    email: Annotated[str, Form(max_length=320)],
    currency: Annotated[str, Form(max_length=3)],
    amount: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    form_key: FormKey = "",
) -> Response:
    """Spend some of a customer's credit (an order paid with it, a goodwill use)."""
    check_csrf(request, csrf)
    principal = seller(request)
    container: Container = request.app.state.container
    values = {"amount": amount, "note": note, "currency": currency, "form_key": form_key}
    try:
        minor = parse_amount(amount, currency.upper())
    except InvalidInput:
        errors = {"amount": "an amount such as 12.50"}
        return _credit_page(request, email, errors=errors, values=values, status_code=422)
    if minor <= 0:
        errors = {"amount": "an amount above zero"}
        return _credit_page(request, email, errors=errors, values=values, status_code=422)
    cmd = store_credit.RedeemStoreCredit(
        seller_id(principal), email, currency.upper(), minor, note.strip()
    )

    def spend(uow: UnitOfWork) -> str:
        entry = store_credit.redeem_store_credit(cmd, uow)
        return f"/desk/store-credit?email={entry.customer_email}&done=redeemed"

    try:
        url = submit_once(container, principal, form_key, repr(cmd), spend)
    except (InvalidInput, Conflict, NotFound) as error:
        errors = {"amount": error.message}
        return _credit_page(request, email, errors=errors, values=values, status_code=409)
    return redirect(url)


@router.get("/orders")
def orders_page(request: Request) -> Response:
    """Exchange and replacement orders to send, and repairs, with their next steps."""
    principal = seller(request)
    container: Container = request.app.state.container
    owner = seller_id(principal)
    return render(
        request,
        "desk/orders.html",
        role=principal.role,
        outbound=fulfillment.list_outbound_orders(
            owner, [], container.replica(), after=None, limit=200
        ),
        repairs=fulfillment.list_repair_orders(
            owner, [], container.replica(), after=None, limit=200
        ),
        outbound_moves=OUTBOUND_MOVES,
        repair_moves=REPAIR_MOVES,
        error=request.query_params.get("error", "")[:200],
        done=request.query_params.get("done", "")[:20],
        form_key=new_form_key(),
    )


@router.post("/orders/{kind}/{order_id}/status")
def move_order(
    request: Request,
    kind: str,
    order_id: str,
    csrf: CsrfField,
    status: Annotated[str, Form(max_length=40)],
    form_key: FormKey = "",
    confirmed: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Move an outbound or repair order to its next status (cancelling asks first)."""
    check_csrf(request, csrf)
    principal = seller(request)
    container: Container = request.app.state.container
    owner = seller_id(principal)
    if status == OutboundStatus.CANCELLED and confirmed != "yes":
        return render(
            request,
            "desk/confirm.html",
            role=principal.role,
            question="Cancel this order?",
            what=f"Outbound order {order_id[:40]}",
            consequence="It will not be sent; the customer gets nothing in exchange for it.",
            button="Cancel the order",
            action=f"/desk/orders/{kind[:20]}/{order_id[:40]}/status",
            fields={"status": status},
            back="/desk/orders",
            form_key=form_key or new_form_key(),
        )

    def move(uow: UnitOfWork) -> str:
        if kind == "outbound" and status in {s.value for s in OutboundStatus}:
            fulfillment.move_outbound_order(owner, order_id[:40], OutboundStatus(status), uow)
        elif kind == "repair" and status in {s.value for s in RepairStatus}:
            fulfillment.move_repair_order(owner, order_id[:40], RepairStatus(status), uow)
        else:
            raise InvalidInput("choose one of the next steps shown", code="invalid_input")
        return "/desk/orders?done=moved"

    try:
        url = submit_once(container, principal, form_key, f"{kind} {order_id} {status}", move)
    except (InvalidInput, Conflict) as error:
        return redirect(f"/desk/orders?error={error.code}")
    return redirect(url)


def _credit_page(
    request: Request,
    email: str,
    *,
    errors: dict[str, str],
    values: dict[str, str],
    status_code: int = 200,
) -> Response:
    principal = seller(request)
    container: Container = request.app.state.container
    owner = seller_id(principal)
    statement = (
        store_credit.store_credit_statement(owner, email, container.uow()) if email else None
    )
    return render(
        request,
        "desk/credit.html",
        status_code=status_code,
        role=principal.role,
        email=email,
        statement=statement,
        holders=store_credit.credit_holders(owner, container.uow()) if not email else [],
        errors=errors,
        values=values,
        done=request.query_params.get("done", "")[:20],
        form_key=values.get("form_key") or new_form_key(),
    )


def _day(raw: str, name: str, errors: dict[str, str]) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.combine(date.fromisoformat(raw), time(0), tzinfo=UTC)
    except ValueError:
        errors[name] = "a date as YYYY-MM-DD"
        return None
