"""The model's shapes (fulfillmentOutbound_2020-07-01), named as the model names them.

Fields are snake_case in Python and camelCase on the wire. Requests ignore fields they do
not know (client libraries add marketplace ids and the like); answers leave out empty
optional fields, as the model's examples do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)
from pydantic.alias_generators import to_camel

from rma.api.schemas.base import storable


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("give a time zone (for example 2026-01-31T12:00:00Z)")
    return value


def _text(max_length: int, min_length: int = 0) -> object:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Timestamp = Annotated[datetime, AfterValidator(_aware)]
Id = Annotated[str, _text(100, 1)]
ShippingSpeedCategory = Literal["Standard", "Expedited", "Priority", "ScheduledDelivery"]


class SpModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class SpRequest(SpModel):
    """Base of request bodies: their text is stored, so no NUL and no lone surrogate."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return storable(value)


# -- requests -------------------------------------------------------------------------------


class Money(SpRequest):
    currency_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    value: Annotated[str, StringConstraints(pattern=r"^-?\d{1,12}(\.\d{1,4})?$")]


class Address(SpRequest):
    name: Annotated[str, _text(200, 1)]
    address_line1: Annotated[str, _text(200, 1)]
    address_line2: Annotated[str, _text(200)] | None = None
    address_line3: Annotated[str, _text(200)] | None = None
    city: Annotated[str, _text(200)] | None = None
    district_or_county: Annotated[str, _text(100)] | None = None
    state_or_region: Annotated[str, _text(100)] | None = None
    postal_code: Annotated[str, _text(20, 1)]
    country_code: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
    phone: Annotated[str, _text(40)] | None = None


class CreateFulfillmentOrderItem(SpRequest):
    seller_sku: Annotated[str, _text(50, 1)]
    seller_fulfillment_order_item_id: Annotated[str, _text(50, 1)]
    quantity: Annotated[int, Field(ge=1, le=100_000)]
    gift_message: Annotated[str, _text(512)] | None = None
    displayable_comment: Annotated[str, _text(250)] | None = None
    fulfillment_network_sku: Annotated[str, _text(100)] | None = None
    per_unit_declared_value: Money | None = None
    per_unit_price: Money | None = None
    per_unit_tax: Money | None = None


class CreateFulfillmentOrderRequest(SpRequest):
    marketplace_id: Annotated[str, _text(40)] | None = None
    seller_fulfillment_order_id: Annotated[str, _text(40, 1)]
    displayable_order_id: Annotated[str, _text(40, 1)]
    displayable_order_date: Timestamp
    displayable_order_comment: Annotated[str, _text(750)]
    shipping_speed_category: ShippingSpeedCategory
    destination_address: Address
    fulfillment_action: Literal["Ship", "Hold"] | None = None
    fulfillment_policy: Literal["FillOrKill", "FillAll", "FillAllAvailable"] | None = None
    notification_emails: Annotated[list[Annotated[str, _text(64)]], Field(max_length=20)] = []
    items: Annotated[list[CreateFulfillmentOrderItem], Field(min_length=1, max_length=500)]


class CreateReturnItem(SpRequest):
    seller_return_item_id: Annotated[str, _text(80, 1)]
    seller_fulfillment_order_item_id: Id
    amazon_shipment_id: Annotated[str, _text(40, 1)]
    return_reason_code: Annotated[str, _text(64, 1)]
    return_comment: Annotated[str, _text(1000)] = ""


class CreateFulfillmentReturnRequest(SpRequest):
    items: Annotated[list[CreateReturnItem], Field(min_length=1, max_length=500)]


# -- answers --------------------------------------------------------------------------------


class Error(SpModel):
    code: str
    message: str
    details: str = ""


class ErrorList(SpModel):
    """How every SP-API error answers: ``{"errors": [...]}``."""

    errors: list[Error]


class ReasonCodeDetails(SpModel):
    return_reason_code: str
    description: str
    translated_description: str | None = None


class ListReturnReasonCodesResult(SpModel):
    reason_code_details: list[ReasonCodeDetails]


class ListReturnReasonCodesResponse(SpModel):
    payload: ListReturnReasonCodesResult


class InvalidItemReason(SpModel):
    invalid_item_reason_code: Literal[
        "InvalidValues", "DuplicateRequest", "NoCompletedShipItems", "NoReturnableQuantity"
    ]
    description: str


class InvalidReturnItem(SpModel):
    seller_return_item_id: str
    seller_fulfillment_order_item_id: str
    invalid_item_reason: InvalidItemReason


class ReturnItem(SpModel):
    seller_return_item_id: str
    seller_fulfillment_order_item_id: str
    amazon_shipment_id: str
    seller_return_reason_code: str
    return_comment: str | None = None
    amazon_return_reason_code: str | None = None
    status: Literal["New", "Processed"]
    status_changed_date: datetime
    return_authorization_id: str | None = None
    return_received_condition: str | None = None
    fulfillment_center_id: str | None = None


class AddressOut(SpModel):
    name: str
    address_line1: str
    address_line2: str | None = None
    address_line3: str | None = None
    city: str | None = None
    district_or_county: str | None = None
    state_or_region: str | None = None
    postal_code: str
    country_code: str
    phone: str | None = None


class ReturnAuthorization(SpModel):
    return_authorization_id: str
    fulfillment_center_id: str
    return_to_address: AddressOut
    amazon_rma_id: str
    rma_page_url: str = Field(alias="rmaPageURL")


class CreateFulfillmentReturnResult(SpModel):
    return_items: list[ReturnItem]
    invalid_return_items: list[InvalidReturnItem]
    return_authorizations: list[ReturnAuthorization]


class CreateFulfillmentReturnResponse(SpModel):
    payload: CreateFulfillmentReturnResult


class CreateFulfillmentOrderResponse(SpModel):
    pass


class FulfillmentOrder(SpModel):
    seller_fulfillment_order_id: str
    marketplace_id: str
    displayable_order_id: str
    displayable_order_date: datetime
    displayable_order_comment: str
    shipping_speed_category: ShippingSpeedCategory
    destination_address: AddressOut
    fulfillment_action: str | None = None
    fulfillment_policy: str | None = None
    received_date: datetime
    fulfillment_order_status: Literal["Received", "Processing", "Complete"]
    status_updated_date: datetime
    notification_emails: list[str] | None = None


class FulfillmentOrderItem(SpModel):
    seller_sku: str
    seller_fulfillment_order_item_id: str
    quantity: int
    cancelled_quantity: int = 0
    unfulfillable_quantity: int = 0
    per_unit_declared_value: Money | None = None
    per_unit_tax: Money | None = None


class FulfillmentShipmentItem(SpModel):
    seller_sku: str
    seller_fulfillment_order_item_id: str
    quantity: int


class FulfillmentShipmentPackage(SpModel):
    package_number: int
    carrier_code: str
    tracking_number: str | None = None


class FulfillmentShipment(SpModel):
    amazon_shipment_id: str
    fulfillment_center_id: str
    fulfillment_shipment_status: Literal["SHIPPED"]
    shipping_date: datetime
    estimated_arrival_date: datetime | None = None
    fulfillment_shipment_item: list[FulfillmentShipmentItem]
    fulfillment_shipment_package: list[FulfillmentShipmentPackage] | None = None


class GetFulfillmentOrderResult(SpModel):
    fulfillment_order: FulfillmentOrder
    fulfillment_order_items: list[FulfillmentOrderItem]
    fulfillment_shipments: list[FulfillmentShipment]
    return_items: list[ReturnItem]
    return_authorizations: list[ReturnAuthorization]


class GetFulfillmentOrderResponse(SpModel):
    payload: GetFulfillmentOrderResult


class ListAllFulfillmentOrdersResult(SpModel):
    next_token: str | None = None
    fulfillment_orders: list[FulfillmentOrder]


class ListAllFulfillmentOrdersResponse(SpModel):
    payload: ListAllFulfillmentOrdersResult
