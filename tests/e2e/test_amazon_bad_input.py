"""Bad input to the Amazon-compatible API: the model's envelopes, and nothing created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from rma.bootstrap import Container
from tests.amazon_support import (
    PREFIX,
    SellingPartner,
    conforming,
    native_returns,
    run_rma,
    unit,
)
from tests.support import ok, open_shop


@pytest.fixture
def app(http: httpx.Client) -> SellingPartner:
    """A seller with one fulfillment order of one SKU, shipped from one facility."""
    partner = SellingPartner(open_shop(http))
    partner.facility(
        "FC1", {"name": "FC", "line1": "1 Dock", "city": "X", "postal_code": "1", "country": "US"}
    )
    partner.create_order(
        "FO-1", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 2}]
    )
    partner.ship("FO-1", "S1", "FC1", {"a": 2})
    return partner


MALFORMED_RETURNS: list[tuple[str, Any]] = [
    ("no items", {"items": []}),
    ("no body fields", {}),
    (
        "an item without its shipment",
        {"items": [{**unit("r1", "a", "S1"), "amazonShipmentId": None}]},
    ),
    ("an item id too long", {"items": [unit("r" * 81, "a", "S1")]}),
    ("items not a list", {"items": "r1"}),
    ("a NUL in an item id", {"items": [unit("r\x001", "a", "S1")]}),
]


@pytest.mark.parametrize(("case", "body"), MALFORMED_RETURNS, ids=[c for c, _ in MALFORMED_RETURNS])
def test_malformed_return_requests_answer_400_and_create_nothing(
    app: SellingPartner, case: str, body: Any
) -> None:
    response = app.call("PUT", "/fulfillmentOrders/FO-1/return", json=body)
    answer = conforming(response, "createFulfillmentReturn", 400)
    assert answer["errors"][0]["code"] == "InvalidInput"
    assert native_returns(app.shop) == []


def test_a_body_that_is_not_json_answers_400(app: SellingPartner) -> None:
    response = app.call(
        "PUT",
        "/fulfillmentOrders/FO-1/return",
        content=b"{not json",
        headers={"content-type": "application/json"},
    )
    conforming(response, "createFulfillmentReturn", 400)
    assert native_returns(app.shop) == []


def test_units_of_a_facility_without_any_return_address_are_refused_whole(
    http: httpx.Client,
) -> None:
    partner = SellingPartner(open_shop(http))
    partner.create_order(
        "FO-2", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    partner.ship("FO-2", "S1", "NOWHERE", {"a": 1})
    response = partner.call(
        "PUT", "/fulfillmentOrders/FO-2/return", json={"items": [unit("r1", "a", "S1")]}
    )
    answer = conforming(response, "createFulfillmentReturn", 400)
    assert "no return address" in answer["errors"][0]["message"]
    assert native_returns(partner.shop) == []


BAD_ORDERS: list[tuple[str, dict[str, Any]]] = [
    ("no destination", {"destinationAddress": None}),
    ("no items", {"items": []}),
    ("a naive date", {"displayableOrderDate": "2026-11-01T10:00:00"}),
    ("an unknown speed", {"shippingSpeedCategory": "Teleport"}),
    (
        "an amount finer than cents",
        {
            "items": [
                {
                    "sellerSku": "TEE",
                    "sellerFulfillmentOrderItemId": "a",
                    "quantity": 1,
                    "perUnitDeclaredValue": {"currencyCode": "USD", "value": "1.999"},
                }
            ]
        },
    ),
    (
        "one item id twice",
        {
            "items": [
                {"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1},
                {"sellerSku": "MUG", "sellerFulfillmentOrderItemId": "a", "quantity": 1},
            ]
        },
    ),
]


@pytest.mark.parametrize(("case", "changes"), BAD_ORDERS, ids=[c for c, _ in BAD_ORDERS])
def test_bad_fulfillment_orders_answer_400_and_create_nothing(
    app: SellingPartner, case: str, changes: dict[str, Any]
) -> None:
    body = {
        "sellerFulfillmentOrderId": "FO-NEW",
        "displayableOrderId": "FO-NEW",
        "displayableOrderDate": "2026-11-01T10:00:00Z",
        "displayableOrderComment": "",
        "shippingSpeedCategory": "Standard",
        "destinationAddress": {
            "name": "Ada",
            "addressLine1": "1 Way",
            "postalCode": "1",
            "countryCode": "US",
        },
        "items": [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}],
        **changes,
    }
    response = app.call("POST", "/fulfillmentOrders", json=body)
    assert (
        conforming(response, "createFulfillmentOrder", 400)["errors"][0]["code"] == "InvalidInput"
    )
    conforming(app.call("GET", "/fulfillmentOrders/FO-NEW"), "getFulfillmentOrder", 400)


def test_placing_an_order_twice_answers_400(app: SellingPartner) -> None:
    again = {
        "sellerFulfillmentOrderId": "FO-1",
        "displayableOrderId": "FO-1",
        "displayableOrderDate": "2026-11-01T10:00:00Z",
        "displayableOrderComment": "",
        "shippingSpeedCategory": "Standard",
        "destinationAddress": {
            "name": "A",
            "addressLine1": "1",
            "postalCode": "1",
            "countryCode": "US",
        },
        "items": [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}],
    }
    answer = conforming(
        app.call("POST", "/fulfillmentOrders", json=again), "createFulfillmentOrder", 400
    )
    assert "already exists" in answer["errors"][0]["message"]


def test_unknown_fields_and_marketplace_ids_are_ignored(app: SellingPartner) -> None:
    body = {
        "items": [{**unit("r1", "a", "S1"), "someFutureField": True}],
        "marketplaceId": "ATVPDKIKX0DER",
    }
    response = app.call(
        "PUT",
        "/fulfillmentOrders/FO-1/return",
        json=body,
        params={"MarketplaceIds": "ATVPDKIKX0DER"},
    )
    assert len(conforming(response, "createFulfillmentReturn")["payload"]["returnItems"]) == 1


def test_operations_rma_does_not_serve_answer_404_in_the_envelope(app: SellingPartner) -> None:
    response = app.call("PUT", "/fulfillmentOrders/FO-1/cancel")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "NotFound"
    assert response.headers["x-amzn-RequestId"]
    preview = app.http.post(f"{PREFIX}/fulfillmentOrders/preview", json={})
    assert preview.status_code == 404


def test_credentials_from_the_cli_open_the_api(
    http: httpx.Client, container: Container, tmp_path: Path
) -> None:
    shop = open_shop(http)
    out = run_rma(
        ["amazon", "credentials", "create", "--seller", shop.seller_id], container, tmp_path
    )
    issued = dict(line.split("=", 1) for line in out.strip().splitlines())
    token = ok(http.post("/auth/o2/token", data={"grant_type": "refresh_token", **issued}))
    answer = http.get(
        f"{PREFIX}/returnReasonCodes",
        params={"sellerSku": "TEE"},
        headers={"x-amz-access-token": token["access_token"]},
    )
    assert conforming(answer, "listReturnReasonCodes")["payload"]["reasonCodeDetails"]
