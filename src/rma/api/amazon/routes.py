"""Fulfillment Outbound (2020-07-01) operations, by the model's paths and operation names."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Query, Request

from rma.api.amazon import mapping
from rma.api.amazon import schemas as sp
from rma.api.amazon.envelope import SpApiRoute
from rma.api.deps import ContainerDep, client_address
from rma.bootstrap import Container
from rma.domain.amazon import RequestedReturnItem
from rma.domain.errors import Unauthenticated
from rma.domain.returns import Actor
from rma.services import amazon as service
from rma.services import catalog
from rma.services.amazon_access import authenticate_access_token
from rma.services.throttling import Rule, attempt

# The statuses SpApiRoute answers errors with (unknown orders are 400, as in Amazon's sandbox).
_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": sp.ErrorList, "description": text}
    for status, text in {
        400: "The request is not valid, or names no fulfillment order of the seller",
        401: "No valid x-amz-access-token",
        403: "The token may not do this",
    }.items()
}
router = APIRouter(
    prefix="/fba/outbound/2020-07-01", tags=["amazon"], route_class=SpApiRoute, responses=_ERRORS
)

PAGE_SIZE = 50
OrderId = Annotated[
    str,
    Path(alias="sellerFulfillmentOrderId", min_length=1, max_length=40),
]


def seller_of(
    request: Request,
    container: ContainerDep,
    x_amz_access_token: Annotated[
        str | None, Header(description="An access token from POST /auth/o2/token.")
    ] = None,
) -> str:
    return attempt(
        container.attempts,
        [(Rule.ADDRESS, client_address(request))],
        lambda: authenticate_access_token(x_amz_access_token, container.uow()),
        failures=(Unauthenticated,),
    )


SellerDep = Annotated[str, Depends(seller_of)]


def _links(container: Container) -> mapping.Links:
    return container.page_links


# Client libraries add the marketplace they work in; it is echoed for orders that name none.
MarketplaceQuery = Annotated[
    str | None, Query(alias="marketplaceId", min_length=1, max_length=40, pattern=r"^[A-Z0-9]+$")
]


def _marketplace(container: Container, asked: str | None) -> str:
    return asked or container.settings.amazon_marketplace_id


@router.post(
    "/fulfillmentOrders",
    operation_id="createFulfillmentOrder",
    response_model=sp.CreateFulfillmentOrderResponse,
    summary="Record a fulfillment order (an order of the seller)",
)
def create_fulfillment_order(
    body: sp.CreateFulfillmentOrderRequest,
    container: ContainerDep,
    seller_id: SellerDep,
) -> sp.CreateFulfillmentOrderResponse:
    order, details = mapping.order_of(seller_id, body)
    service.create_fulfillment_order(order, details, container.uow())
    return sp.CreateFulfillmentOrderResponse()


@router.get(
    "/fulfillmentOrders",
    operation_id="listAllFulfillmentOrders",
    response_model=sp.ListAllFulfillmentOrdersResponse,
    response_model_exclude_none=True,
)
def list_all_fulfillment_orders(
    container: ContainerDep,
    seller_id: SellerDep,
    query_start_date: Annotated[sp.Timestamp | None, Query(alias="queryStartDate")] = None,
    next_token: Annotated[str | None, Query(alias="nextToken", max_length=64)] = None,
    marketplace_id: MarketplaceQuery = None,
) -> sp.ListAllFulfillmentOrdersResponse:
    marketplace = _marketplace(container, marketplace_id)
    views = service.list_fulfillment_orders(
        seller_id, query_start_date, container.uow(), after=next_token, limit=PAGE_SIZE + 1
    )
    more = len(views) > PAGE_SIZE
    views = views[:PAGE_SIZE]
    return sp.ListAllFulfillmentOrdersResponse(
        payload=sp.ListAllFulfillmentOrdersResult(
            next_token=views[-1].order.id if more else None,
            fulfillment_orders=[mapping.fulfillment_order(view, marketplace) for view in views],
        )
    )


@router.get(
    "/fulfillmentOrders/{sellerFulfillmentOrderId}",
    operation_id="getFulfillmentOrder",
    response_model=sp.GetFulfillmentOrderResponse,
    response_model_exclude_none=True,
)
def get_fulfillment_order(
    order_id: OrderId,
    container: ContainerDep,
    seller_id: SellerDep,
    marketplace_id: MarketplaceQuery = None,
) -> sp.GetFulfillmentOrderResponse:
    view = service.get_fulfillment_order(seller_id, order_id, container.uow())
    marketplace = _marketplace(container, marketplace_id)
    return sp.GetFulfillmentOrderResponse(
        payload=mapping.fulfillment_order_result(view, _links(container), marketplace)
    )


@router.get(
    "/returnReasonCodes",
    operation_id="listReturnReasonCodes",
    response_model=sp.ListReturnReasonCodesResponse,
    response_model_exclude_none=True,
)
def list_return_reason_codes(
    container: ContainerDep,
    seller_sku: Annotated[str, Query(alias="sellerSku", min_length=1, max_length=100)],
    seller_id: SellerDep,
) -> sp.ListReturnReasonCodesResponse:
    codes = catalog.reason_codes_for(seller_id, seller_sku, container.uow())
    return sp.ListReturnReasonCodesResponse(
        payload=sp.ListReturnReasonCodesResult(
            reason_code_details=[
                sp.ReasonCodeDetails(return_reason_code=c.code, description=c.description)
                for c in codes
            ]
        )
    )


@router.put(
    "/fulfillmentOrders/{sellerFulfillmentOrderId}/return",
    operation_id="createFulfillmentReturn",
    response_model=sp.CreateFulfillmentReturnResponse,
    response_model_exclude_none=True,
    summary="Return units of a fulfillment order; asking again answers their current state",
)
def create_fulfillment_return(
    order_id: OrderId,
    body: sp.CreateFulfillmentReturnRequest,
    container: ContainerDep,
    seller_id: SellerDep,
) -> sp.CreateFulfillmentReturnResponse:
    cmd = service.CreateFulfillmentReturn(
        seller_id=seller_id,
        order_number=order_id,
        items=[
            RequestedReturnItem(
                seller_return_item_id=item.seller_return_item_id,
                line_id=item.seller_fulfillment_order_item_id,
                shipment_id=item.amazon_shipment_id,
                reason_code=item.return_reason_code,
                comment=item.return_comment,
            )
            for item in body.items
        ],
        actor=Actor("amazon", seller_id),
    )
    outcome = service.create_fulfillment_return(cmd, container.uow())
    involved = []
    for _, ret in outcome.items:
        if ret not in involved:
            involved.append(ret)
    return sp.CreateFulfillmentReturnResponse(
        payload=sp.CreateFulfillmentReturnResult(
            return_items=[mapping.return_item(outcome.view, i, r) for i, r in outcome.items],
            invalid_return_items=[mapping.invalid_item(refused) for refused in outcome.invalid],
            return_authorizations=mapping.authorizations(outcome.view, involved, _links(container)),
        )
    )


@router.api_route(
    "/{operation:path}",
    methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
    include_in_schema=False,
)
def not_served(operation: str) -> None:
    raise HTTPException(404, f"rma does not serve the operation at {operation!r}")
