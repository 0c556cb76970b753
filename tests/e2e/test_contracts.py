"""Contracts third-party tooling relies on: the OpenAPI document and the SP-API answers."""

from __future__ import annotations

import json
from typing import Any

import httpx

from rma.domain.tracking import SourceKind, parse_payload
from tests.amazon_support import SellingPartner, conforming
from tests.physical_support import easypost_event
from tests.support import open_shop

# The POSTs that honour Idempotency-Key (they run through ``run_idempotent``).
IDEMPOTENT = {
    "/v1/sellers",
    "/v1/api-keys",
    "/v1/orders",
    "/v1/orders/{order_ref}/shipments",
    "/v1/returns",
    "/v1/returns/authorize",
    "/v1/returns/{ref}/authorize",
    "/v1/returns/{ref}/deny",
    "/v1/returns/{ref}/cancel",
    "/v1/returns/{ref}/close",
    "/v1/returns/{ref}/reopen",
    "/v1/returns/{ref}/receive",
    "/v1/returns/{ref}/inspect",
    "/v1/returns/{ref}/resolve",
    "/v1/receipts",
    "/v1/receipts/{receipt_id}/match",
    "/v1/refunds/{refund_id}/confirm",
    "/v1/refunds/{refund_id}/retry",
    "/v1/store-credit/redemptions",
}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict)
    ]


def test_no_request_body_is_a_union_with_null(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    for method, path, operation in operations(document):
        body = operation.get("requestBody")
        if body is None:
            continue
        for media, content in body["content"].items():
            assert "anyOf" not in json.dumps(content["schema"]), (method, path, media)


def test_optional_bodies_may_be_left_out(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    optional = {
        path
        for method, path, operation in operations(document)
        if "requestBody" in operation and not operation["requestBody"].get("required")
    }
    assert {
        "/v1/returns/{ref}/authorize",
        "/v1/returns/{ref}/cancel",
        "/v1/returns/{ref}/close",
        "/v1/returns/{ref}/reopen",
        "/v1/returns/{ref}/resolve",
        "/v1/webhook-endpoints/{endpoint_id}/rotate-secret",
        "/v1/amazon/credentials",
    } <= optional


def test_pdf_and_image_answers_are_declared_binary(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    binary = {"type": "string", "format": "binary"}
    label = paths["/v1/returns/{ref}/label.pdf"]["get"]["responses"]["200"]["content"]
    assert label == {"application/pdf": {"schema": binary}}
    photo = paths["/v1/returns/{ref}/photos/{photo_id}"]["get"]["responses"]["200"]["content"]
    assert set(photo) == {"image/jpeg", "image/png", "image/webp"}
    assert all(media["schema"] == binary for media in photo.values())


def test_idempotency_key_is_declared_where_it_is_honoured(http: httpx.Client) -> None:
    document = http.get("/openapi.json").json()
    declared = {
        path
        for method, path, operation in operations(document)
        if method == "post"
        and any(p["name"] == "Idempotency-Key" for p in operation.get("parameters", []))
    }
    assert declared >= IDEMPOTENT


def test_native_orders_read_through_the_sp_api_have_no_empty_required_field(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("N-1")
    app = SellingPartner(shop)
    listed = conforming(app.call("GET", "/fulfillmentOrders"), "listAllFulfillmentOrders")
    (order,) = listed["payload"]["fulfillmentOrders"]
    assert order["marketplaceId"] == "ATVPDKIKX0DER"  # the configured default
    address = order["destinationAddress"]
    for name in ("name", "addressLine1", "postalCode", "countryCode"):
        assert address[name], name

    asked = app.call("GET", "/fulfillmentOrders", params={"marketplaceId": "A1PA6795UKMFR9"})
    assert (
        conforming(asked, "listAllFulfillmentOrders")["payload"]["fulfillmentOrders"][0][
            "marketplaceId"
        ]
        == "A1PA6795UKMFR9"
    )
    one = app.call("GET", "/fulfillmentOrders/N-1", params={"marketplaceId": "A1PA6795UKMFR9"})
    assert (
        conforming(one, "getFulfillmentOrder")["payload"]["fulfillmentOrder"]["marketplaceId"]
        == "A1PA6795UKMFR9"
    )


def test_an_order_created_with_its_marketplace_keeps_it(http: httpx.Client) -> None:
    app = SellingPartner(open_shop(http))
    app.create_order(
        "SP-1",
        [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "1", "quantity": 1}],
        marketplaceId="A13V1IB3VIYZZH",
    )
    asked = app.call("GET", "/fulfillmentOrders/SP-1", params={"marketplaceId": "ATVPDKIKX0DER"})
    order = conforming(asked, "getFulfillmentOrder")["payload"]["fulfillmentOrder"]
    assert order["marketplaceId"] == "A13V1IB3VIYZZH"


def test_easypost_tracker_created_is_read_like_tracker_updated() -> None:
    details = [("pre_transit", "2026-11-01T10:00:00Z", "Label created")]
    updated = easypost_event("EZ1000000001", details)
    created = {**updated, "description": "tracker.created"}
    body = json.dumps(created).encode()
    events = parse_payload(SourceKind.EASYPOST, body)
    assert events
    assert events == parse_payload(SourceKind.EASYPOST, json.dumps(updated).encode())
