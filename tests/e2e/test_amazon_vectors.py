"""Amazon's sandbox request/response pairs, replayed against rma as test vectors.

The static sandbox matched on exact request parameters; rma answers from its own data, so
each vector first records what the example presumes (the order, its shipment, the facility)
and then sends the example's request verbatim. The answer must conform to the model, and
carry the example's values wherever they come from the request or from that set-up.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.amazon_support import (
    SellingPartner,
    conforming,
    examples,
    native_returns,
    schema_errors,
)
from tests.support import open_shop


def _operation(name: str) -> dict[str, Any]:
    operation: dict[str, Any] = examples()["operations"][name]
    return operation


def _params(vector: dict[str, Any]) -> dict[str, Any]:
    return {name: p["value"] for name, p in vector["request"]["parameters"].items()}


def _reason_code_requests() -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    operation = _operation("listReturnReasonCodes")
    vectors = [
        ("legacy_static", _params(v), v["response"]) for v in operation["legacy_static"]["200"]
    ]
    current = operation["current"]["200"]["response"]
    vectors.append(("current", {"sellerSku": "ANY-SKU"}, current))
    return vectors


@pytest.mark.parametrize(("era", "params", "expected"), _reason_code_requests())
def test_reason_codes_answer_what_the_sandbox_answers(
    http: httpx.Client, era: str, params: dict[str, Any], expected: dict[str, Any]
) -> None:
    app = SellingPartner(open_shop(http))
    body = conforming(app.call("GET", "/returnReasonCodes", params=params), "listReturnReasonCodes")
    ours = {(c["returnReasonCode"], c["description"]) for c in body["payload"]["reasonCodeDetails"]}
    theirs = {
        (c["returnReasonCode"], c["description"]) for c in expected["payload"]["reasonCodeDetails"]
    }
    assert ours == theirs


def test_reason_codes_without_a_sku_answer_the_sandbox_error(http: httpx.Client) -> None:
    (vector,) = _operation("listReturnReasonCodes")["legacy_static"]["400"]
    app = SellingPartner(open_shop(http))
    body = conforming(
        app.call("GET", "/returnReasonCodes", params=_params(vector)), "listReturnReasonCodes", 400
    )
    assert body == vector["response"]


def _order_from_example(app: SellingPartner, example: dict[str, Any]) -> None:
    """Record the fulfillment order and shipments a getFulfillmentOrder example shows."""
    payload = example["payload"]
    order = payload["fulfillmentOrder"]
    fields = (
        "sellerFulfillmentOrderId",
        "marketplaceId",
        "displayableOrderId",
        "displayableOrderDate",
        "displayableOrderComment",
        "shippingSpeedCategory",
        "destinationAddress",
        "fulfillmentAction",
        "fulfillmentPolicy",
        "notificationEmails",
    )
    body = {name: order[name] for name in fields}
    body["items"] = [
        {
            key: item[key]
            for key in (
                "sellerSku",
                "sellerFulfillmentOrderItemId",
                "quantity",
                "perUnitDeclaredValue",
            )
        }
        for item in payload["fulfillmentOrderItems"]
    ]
    conforming(app.call("POST", "/fulfillmentOrders", json=body), "createFulfillmentOrder")
    for shipment in payload["fulfillmentShipments"]:
        app.facility(
            shipment["fulfillmentCenterId"],
            {
                "name": "FC",
                "line1": "1 Dock",
                "city": "Reno",
                "postal_code": "89506",
                "country": "US",
            },
        )
        app.ship(
            order["sellerFulfillmentOrderId"],
            shipment["amazonShipmentId"],
            shipment["fulfillmentCenterId"],
            {
                i["sellerFulfillmentOrderItemId"]: i["quantity"]
                for i in shipment["fulfillmentShipmentItem"]
            },
        )


@pytest.mark.parametrize("era", ["legacy_static", "current"])
def test_a_fulfillment_order_reads_back_as_the_sandbox_shows_it(
    http: httpx.Client, era: str
) -> None:
    operation = _operation("getFulfillmentOrder")
    example = (
        operation["legacy_static"]["200"][0]["response"]
        if era == "legacy_static"
        else operation["current"]["200"]["response"]
    )
    app = SellingPartner(open_shop(http))
    _order_from_example(app, example)
    number = example["payload"]["fulfillmentOrder"]["sellerFulfillmentOrderId"]

    body = conforming(app.call("GET", f"/fulfillmentOrders/{number}"), "getFulfillmentOrder")
    ours, theirs = body["payload"], example["payload"]
    for name in ("sellerFulfillmentOrderId", "marketplaceId", "displayableOrderId",
                 "displayableOrderComment", "shippingSpeedCategory", "destinationAddress",
                 "fulfillmentAction", "fulfillmentPolicy", "notificationEmails"):  # fmt: skip
        assert ours["fulfillmentOrder"][name] == theirs["fulfillmentOrder"][name], name
    item_keys = ("sellerSku", "sellerFulfillmentOrderItemId", "quantity", "perUnitDeclaredValue")
    assert [{k: i[k] for k in item_keys} for i in ours["fulfillmentOrderItems"]] == [
        {k: i[k] for k in item_keys} for i in theirs["fulfillmentOrderItems"]
    ]
    shipment_keys = ("amazonShipmentId", "fulfillmentCenterId")
    assert [{k: s[k] for k in shipment_keys} for s in ours["fulfillmentShipments"]] == [
        {k: s[k] for k in shipment_keys} for s in theirs["fulfillmentShipments"]
    ]
    assert ours["returnItems"] == theirs["returnItems"] == []
    assert ours["returnAuthorizations"] == theirs["returnAuthorizations"] == []


def test_an_unknown_fulfillment_order_answers_the_sandbox_error(http: httpx.Client) -> None:
    (vector,) = _operation("getFulfillmentOrder")["legacy_static"]["400"]
    app = SellingPartner(open_shop(http))
    number = _params(vector)["sellerFulfillmentOrderId"]
    body = conforming(app.call("GET", f"/fulfillmentOrders/{number}"), "getFulfillmentOrder", 400)
    assert body == vector["response"]


def _return_vector() -> tuple[str, dict[str, Any], dict[str, Any]]:
    (vector,) = _operation("createFulfillmentReturn")["legacy_static"]["200"]
    params = _params(vector)
    return params["sellerFulfillmentOrderId"], params["body"], vector["response"]


def _order_for_return_vector(app: SellingPartner, expected: dict[str, Any]) -> None:
    number, request, _ = _return_vector()
    (item,) = request["items"]
    (authorization,) = expected["payload"]["returnAuthorizations"]
    address = authorization["returnToAddress"]
    app.facility(
        authorization["fulfillmentCenterId"],
        {
            "name": address["name"],
            "line1": address["addressLine1"],
            "city": address["city"],
            "region": address["stateOrRegion"],
            "postal_code": address["postalCode"],
            "country": address["countryCode"],
        },
    )
    app.create_order(
        number,
        [
            {
                "sellerSku": "PSMM-TEST-SKU",
                "sellerFulfillmentOrderItemId": item["sellerFulfillmentOrderItemId"],
                "quantity": 1,
            }
        ],
    )
    app.ship(
        number,
        item["amazonShipmentId"],
        authorization["fulfillmentCenterId"],
        {item["sellerFulfillmentOrderItemId"]: 1},
    )


def test_a_fulfillment_return_answers_in_the_sandbox_shape(http: httpx.Client) -> None:
    number, request, expected = _return_vector()
    app = SellingPartner(open_shop(http))
    _order_for_return_vector(app, expected)

    # The example's reason "TestReturn" is no reason code of the seller: refused by name.
    verbatim = app.return_items(number, request["items"])
    assert verbatim["returnItems"] == []
    (refused,) = verbatim["invalidReturnItems"]
    assert refused["sellerReturnItemId"] == request["items"][0]["sellerReturnItemId"]
    assert refused["invalidItemReason"]["invalidItemReasonCode"] == "InvalidValues"
    assert native_returns(app.shop) == []

    # With a reason from listReturnReasonCodes, the answer is the example's, with our ids.
    asked = [{**request["items"][0], "returnReasonCode": "CR-UNWANTED_ITEM"}]
    answer = app.return_items(number, asked)
    (item,) = answer["returnItems"]
    (theirs,) = expected["payload"]["returnItems"]
    for name in ("sellerReturnItemId", "sellerFulfillmentOrderItemId", "amazonShipmentId",
                 "returnComment", "status"):  # fmt: skip
        assert item[name] == theirs[name], name
    assert item["sellerReturnReasonCode"] == "CR-UNWANTED_ITEM"
    assert answer["invalidReturnItems"] == expected["payload"]["invalidReturnItems"] == []
    (authorization,) = answer["returnAuthorizations"]
    (their_authorization,) = expected["payload"]["returnAuthorizations"]
    assert authorization["fulfillmentCenterId"] == their_authorization["fulfillmentCenterId"]
    assert authorization["returnToAddress"] == their_authorization["returnToAddress"]
    assert item["returnAuthorizationId"] == authorization["returnAuthorizationId"]


def test_a_fulfillment_return_for_an_unknown_order_answers_the_sandbox_error(
    http: httpx.Client,
) -> None:
    (vector,) = _operation("createFulfillmentReturn")["legacy_static"]["400"]
    params = _params(vector)
    app = SellingPartner(open_shop(http))
    response = app.call(
        "PUT",
        f"/fulfillmentOrders/{params['sellerFulfillmentOrderId']}/return",
        json=params["body"],
    )
    body = conforming(response, "createFulfillmentReturn", 400)
    assert [e["code"] for e in body["errors"]] == [e["code"] for e in vector["response"]["errors"]]
    assert native_returns(app.shop) == []


def test_the_validator_finds_exactly_the_quirks_the_examples_are_known_for() -> None:
    """Proof the validators bite: the sandbox examples break the model where noted."""
    returned = _operation("createFulfillmentReturn")["current"]["200"]["response"]
    assert schema_errors(returned, "CreateFulfillmentReturnResponse") == [
        "payload/returnItems/0: 'sellerReturnReasonCode' is a required property"
    ]
    order = _operation("getFulfillmentOrder")["current"]["200"]["response"]
    assert schema_errors(order, "GetFulfillmentOrderResponse") == [
        "payload/fulfillmentOrder/fulfillmentOrderStatus: 'PROCESSING' is not one of "
        "['New', 'Received', 'Planning', 'Processing', 'Cancelled', 'Complete', "
        "'CompletePartialled', 'Unfulfillable', 'Invalid']"
    ]
    codes = _operation("listReturnReasonCodes")["current"]["200"]["response"]
    assert schema_errors(codes, "ListReturnReasonCodesResponse") == []
    misspelt = {"payload": {"reasonCodeDetails": [{"returnReasonCode": "X", "descripton": "y"}]}}
    assert schema_errors(misspelt, "ListReturnReasonCodesResponse") != []
