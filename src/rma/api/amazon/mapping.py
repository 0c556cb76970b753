"""Between the model's shapes and ours: orders in, orders, returns and authorizations out."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Protocol

from rma.api.amazon import schemas as sp
from rma.domain.addresses import Address
from rma.domain.amazon import (
    RECEIVED_CONDITION,
    FulfillmentOrderDetails,
    InvalidItem,
    facility_of,
    item_status,
    status_changed_at,
)
from rma.domain.errors import InvalidInput
from rma.domain.ids import new_id
from rma.domain.orders import Order, OrderLine
from rma.domain.returns import Return, ReturnItem
from rma.services.amazon import FulfillmentOrderView
from rma.services.clock import utcnow

DEFAULT_CURRENCY = "USD"
# ISO 4217 minor-unit exponents that are not 2 (the common ones).
_EXPONENT = {"JPY": 0, "KRW": 0, "CLP": 0, "VND": 0, "ISK": 0, "BHD": 3, "KWD": 3, "OMR": 3}


class Links(Protocol):
    """Absolute RMA page links (``rma.adapters.page_links.PageLinks``)."""

    def url(self, ret: Return, suffix: str = "") -> str: ...


# -- in -------------------------------------------------------------------------------------


def order_of(
    seller_id: str, body: sp.CreateFulfillmentOrderRequest
) -> tuple[Order, FulfillmentOrderDetails]:
    """Our order and the fulfillment details for a ``createFulfillmentOrder`` body."""
    prices = [m for i in body.items for m in (i.per_unit_declared_value, i.per_unit_tax) if m]
    currencies = {money.currency_code for money in prices}
    if len(currencies) > 1:
        raise InvalidInput(
            "every amount of one order is in one currency",
            details=[{"field": "items.perUnitDeclaredValue.currencyCode"}],
        )
    currency = currencies.pop() if currencies else DEFAULT_CURRENCY
    order = Order(
        id=new_id("ord"),
        seller_id=seller_id,
        number=body.seller_fulfillment_order_id,
        customer_email=body.notification_emails[0] if body.notification_emails else "",
        customer_name=body.destination_address.name,
        currency=currency,
        shipping_address=_address(body.destination_address),
        ordered_at=body.displayable_order_date,
        lines=[
            OrderLine(
                line_id=item.seller_fulfillment_order_item_id,
                sku=item.seller_sku,
                quantity=item.quantity,
                unit_price=minor_units(item.per_unit_declared_value),
                name=item.displayable_comment or "",
                tax_per_unit=minor_units(item.per_unit_tax),
            )
            for item in body.items
        ],
    )
    details = FulfillmentOrderDetails(
        seller_id=seller_id,
        order_id=order.id,
        displayable_order_id=body.displayable_order_id,
        displayable_order_date=body.displayable_order_date,
        displayable_order_comment=body.displayable_order_comment,
        shipping_speed_category=body.shipping_speed_category,
        destination_address=body.destination_address.model_dump(by_alias=True, exclude_none=True),
        received_at=utcnow(),
        marketplace_id=body.marketplace_id or "",
        fulfillment_action=body.fulfillment_action,
        fulfillment_policy=body.fulfillment_policy,
        notification_emails=list(body.notification_emails),
    )
    return order, details


def minor_units(money: sp.Money | None) -> int:
    """An amount like ``"18.99"`` in minor units of its currency; more digits are refused."""
    if money is None:
        return 0
    exponent = _EXPONENT.get(money.currency_code, 2)
    try:
        scaled = Decimal(money.value).scaleb(exponent)
    except InvalidOperation as error:
        raise InvalidInput(f"{money.value!r} is not an amount") from error
    if scaled != scaled.to_integral_value() or scaled < 0:
        raise InvalidInput(
            f"{money.value} {money.currency_code} is not a whole amount of minor units",
            details=[{"field": "value", "value": money.value}],
        )
    return int(scaled)


def money(amount: int, currency: str) -> sp.Money:
    exponent = _EXPONENT.get(currency, 2)
    return sp.Money(currency_code=currency, value=f"{Decimal(amount).scaleb(-exponent):f}")


# -- out ------------------------------------------------------------------------------------


def address_out(address: Address) -> sp.AddressOut:
    return sp.AddressOut(
        name=address.name,
        address_line1=address.line1,
        address_line2=address.line2 or None,
        city=address.city or None,
        state_or_region=address.region or None,
        postal_code=address.postal_code,
        country_code=address.country,
        phone=address.phone or None,
    )


# An order made through the native API may carry no shipping address; the model requires
# addressLine1, postalCode and countryCode, so they say so rather than answer "". "ZZ" is the
# user-assigned ISO 3166 code for an unknown country.
NOT_RECORDED = "not recorded"
UNKNOWN_COUNTRY = "ZZ"


def fulfillment_order(view: FulfillmentOrderView, marketplace_id: str) -> sp.FulfillmentOrder:
    """The order in the model's shape; ``marketplace_id`` when the order names none."""
    order, details = view.order, view.details
    shipped_at = [s.shipped_at for s in order.shipments]
    received = details.received_at if details else order.ordered_at
    shipped = {line.line_id: order.shipped_quantity(line.line_id) for line in order.lines}
    if not any(shipped.values()):
        status = "Received"
    elif all(shipped[line.line_id] >= line.quantity for line in order.lines):
        status = "Complete"
    else:
        status = "Processing"
    if details:
        destination = sp.AddressOut.model_validate(details.destination_address)
    elif order.shipping_address is not None:
        destination = address_out(order.shipping_address)
    else:
        destination = sp.AddressOut.model_validate(
            {
                "name": order.customer_name or order.customer_email,
                "addressLine1": NOT_RECORDED,
                "postalCode": NOT_RECORDED,
                "countryCode": UNKNOWN_COUNTRY,
            }
        )
    return sp.FulfillmentOrder(
        seller_fulfillment_order_id=order.number,
        marketplace_id=(details.marketplace_id if details else "") or marketplace_id,
        displayable_order_id=details.displayable_order_id if details else order.number,
        displayable_order_date=order.ordered_at,
        displayable_order_comment=details.displayable_order_comment if details else "",
        shipping_speed_category=details.shipping_speed_category if details else "Standard",
        destination_address=destination,
        fulfillment_action=details.fulfillment_action if details else None,
        fulfillment_policy=details.fulfillment_policy if details else None,
        received_date=received,
        fulfillment_order_status=status,
        status_updated_date=max([received, *shipped_at]),
        notification_emails=(details.notification_emails or None) if details else None,
    )


def fulfillment_order_result(
    view: FulfillmentOrderView, links: Links, marketplace_id: str
) -> sp.GetFulfillmentOrderResult:
    order = view.order
    sku = {line.line_id: line.sku for line in order.lines}
    return sp.GetFulfillmentOrderResult(
        fulfillment_order=fulfillment_order(view, marketplace_id),
        fulfillment_order_items=[
            sp.FulfillmentOrderItem(
                seller_sku=line.sku,
                seller_fulfillment_order_item_id=line.line_id,
                quantity=line.quantity,
                per_unit_declared_value=money(line.unit_price, order.currency)
                if line.unit_price
                else None,
                per_unit_tax=money(line.tax_per_unit, order.currency)
                if line.tax_per_unit
                else None,
            )
            for line in order.lines
        ],
        fulfillment_shipments=[
            sp.FulfillmentShipment(
                amazon_shipment_id=shipment.id,
                fulfillment_center_id=shipment.facility_code or "",
                fulfillment_shipment_status="SHIPPED",
                shipping_date=shipment.shipped_at,
                estimated_arrival_date=shipment.delivered_at,
                fulfillment_shipment_item=[
                    sp.FulfillmentShipmentItem(
                        seller_sku=sku.get(item.line_id, ""),
                        seller_fulfillment_order_item_id=item.line_id,
                        quantity=item.quantity,
                    )
                    for item in shipment.items
                ],
                fulfillment_shipment_package=[
                    sp.FulfillmentShipmentPackage(
                        package_number=1,
                        carrier_code=shipment.carrier,
                        tracking_number=shipment.tracking_number,
                    )
                ]
                if shipment.carrier
                else None,
            )
            for shipment in order.shipments
        ],
        return_items=[
            return_item(view, item, ret)
            for ret in view.returns
            for item in ret.items
            if item.seller_return_item_id
        ],
        return_authorizations=authorizations(view, view.returns, links),
    )


def return_item(view: FulfillmentOrderView, item: ReturnItem, ret: Return) -> sp.ReturnItem:
    processed = item.inspected
    return sp.ReturnItem(
        seller_return_item_id=item.seller_return_item_id or item.id,
        seller_fulfillment_order_item_id=item.line_id,
        amazon_shipment_id=item.shipment_id or "",
        seller_return_reason_code=item.reason_code,
        return_comment=item.comment or None,
        amazon_return_reason_code=item.reason_code,
        status=item_status(item),
        status_changed_date=status_changed_at(ret, item),
        return_authorization_id=ret.id if ret.rma_number else None,
        return_received_condition=RECEIVED_CONDITION.get(item.condition)
        if processed and item.condition
        else None,
        fulfillment_center_id=facility_of(view.order, ret) if processed else None,
    )


def authorizations(
    view: FulfillmentOrderView, returns: list[Return], links: Links
) -> list[sp.ReturnAuthorization]:
    """One authorization per authorized return; its address is the one it was issued with."""
    answer = []
    for ret in returns:
        if ret.rma_number is None:
            continue
        code = facility_of(view.order, ret)
        facility = view.facilities.get(code) if code else None
        address = ret.return_address or (facility.address if facility else None)
        if address is None:
            continue  # authorized by hand without any address: nothing to send it to
        answer.append(
            sp.ReturnAuthorization(
                return_authorization_id=ret.id,
                fulfillment_center_id=code or "",
                return_to_address=address_out(address),
                amazon_rma_id=ret.rma_number,
                rma_page_url=links.url(ret),
            )
        )
    return answer


def invalid_item(refused: InvalidItem) -> sp.InvalidReturnItem:
    return sp.InvalidReturnItem(
        seller_return_item_id=refused.item.seller_return_item_id,
        seller_fulfillment_order_item_id=refused.item.line_id,
        invalid_item_reason=sp.InvalidItemReason(
            invalid_item_reason_code=refused.reason.value,
            description=refused.description,
        ),
    )


def _address(address: sp.Address) -> Address:
    """The destination of a fulfillment order, as the customer's shipping address."""
    street = [p for p in (address.address_line2, address.address_line3) if p]
    return Address(
        name=address.name,
        line1=address.address_line1,
        line2=", ".join(street),
        city=address.city or address.district_or_county or "",
        postal_code=address.postal_code,
        country=address.country_code,
        region=address.state_or_region or "",
        phone=address.phone or "",
    )
