"""The seller's catalog and orders, and the customer's way in: a portal session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from rma.api import schemas
from rma.api.deps import STAFF, ContainerDep, PrincipalDep, client_address
from rma.api.idempotency import IDEMPOTENT, run_idempotent
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine, Product, Shipment, ShipmentItem
from rma.services import access, catalog

router = APIRouter(prefix="/v1", tags=["orders"])

OrderRef = Annotated[str, Path(min_length=1, max_length=100, description="Order id or number")]


@router.post(
    "/products",
    operation_id="products-create",
    status_code=201,
    response_model=schemas.ProductPublic,
)
def create_product(
    body: schemas.ProductCreate, container: ContainerDep, principal: PrincipalDep
) -> schemas.ProductPublic:
    product = Product(
        principal.require(*STAFF), body.sku, body.name, body.category, body.asin, body.fnsku
    )
    saved = catalog.add_product(product, container.uow())
    return schemas.ProductPublic(
        sku=saved.sku,
        name=saved.name,
        category=saved.category,
        asin=saved.asin,
        fnsku=saved.fnsku,
    )


@router.post(
    "/orders",
    operation_id="orders-create",
    status_code=201,
    response_model=schemas.OrderPublic,
    dependencies=IDEMPOTENT,
)
def create_order(
    body: schemas.OrderCreate, request: Request, container: ContainerDep, principal: PrincipalDep
) -> Response:
    order = Order(
        id=new_id("ord"),
        seller_id=principal.require(*STAFF),
        number=body.number,
        customer_email=body.customer_email,
        customer_name=body.customer_name,
        currency=body.currency,
        ordered_at=body.ordered_at,
        shipping_amount=body.shipping_amount,
        shipping_address=body.shipping_address.to_domain() if body.shipping_address else None,
        lines=[OrderLine(**line.model_dump()) for line in body.lines],
        shipments=[_shipment(s) for s in body.shipments],
    )
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.OrderPublic.of(catalog.add_order(order, uow)),
        status_code=201,
    )


@router.get("/orders/{order_ref}", operation_id="orders-get", response_model=schemas.OrderPublic)
def get_order(
    order_ref: OrderRef, container: ContainerDep, principal: PrincipalDep
) -> schemas.OrderPublic:
    order = catalog.get_order(principal.require(*STAFF), order_ref, container.uow())
    return schemas.OrderPublic.of(order)


@router.post(
    "/orders/{order_ref}/shipments",
    operation_id="orders-add-shipment",
    status_code=201,
    response_model=schemas.OrderPublic,
    dependencies=IDEMPOTENT,
)
def add_shipment(
    order_ref: OrderRef,
    body: schemas.ShipmentCreate,
    request: Request,
    container: ContainerDep,
    principal: PrincipalDep,
) -> Response:
    cmd = catalog.AddShipment(principal.require(*STAFF), order_ref, _shipment(body))
    return run_idempotent(
        request,
        container,
        principal,
        body,
        lambda uow: schemas.OrderPublic.of(catalog.add_shipment(cmd, uow)),
        status_code=201,
    )


@router.put(
    "/orders/{order_ref}/shipping-address",
    operation_id="orders-shipping-address-put",
    response_model=schemas.OrderPublic,
    summary="Set where an order went: the sender of its return labels",
)
def put_shipping_address(
    order_ref: OrderRef, body: schemas.AddressIn, container: ContainerDep, principal: PrincipalDep
) -> schemas.OrderPublic:
    cmd = catalog.SetShippingAddress(principal.require(*STAFF), order_ref, body.to_domain())
    return schemas.OrderPublic.of(catalog.set_shipping_address(cmd, container.uow()))


@router.post(
    "/portal/sessions",
    operation_id="portal-sessions-create",
    status_code=201,
    response_model=schemas.PortalSessionPublic,
    tags=["portal"],
    summary="Prove an order's number and email; get a token for that order only",
)
def create_portal_session(
    body: schemas.PortalSessionCreate, container: ContainerDep, request: Request
) -> schemas.PortalSessionPublic:
    cmd = access.OpenPortalSession(
        body.order_number, body.email, body.seller_id, client_address(request)
    )
    opened = access.open_portal_session(cmd, container.uow(), container.attempts)
    return schemas.PortalSessionPublic(
        token=opened.token,
        expires_at=opened.session.expires_at,
        order=schemas.OrderPublic.of(opened.order),
    )


def _shipment(body: schemas.ShipmentCreate) -> Shipment:
    return Shipment(
        id=body.id or new_id("shp"),
        shipped_at=body.shipped_at,
        delivered_at=body.delivered_at,
        carrier=body.carrier,
        tracking_number=body.tracking_number,
        facility_code=body.facility_code,
        items=[ShipmentItem(i.line_id, i.quantity) for i in body.items],
    )
