"""A seller's SP-API application runs the fulfillment return workflow against rma, over HTTP."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import httpx

from rma.bootstrap import Container
from tests.amazon_support import SellingPartner, conforming, native_returns, run_rma, unit
from tests.support import ok, open_shop

TUS1 = {
    "name": "Returns Department",
    "line1": "5333 W. Lower Buckeye Road",
    "city": "Phoenix",
    "region": "AZ",
    "postal_code": "85043",
    "country": "US",
}
RNO1 = {
    "name": "Returns RNO1",
    "line1": "8000 N Virginia St",
    "city": "Reno",
    "region": "NV",
    "postal_code": "89506",
    "country": "US",
}


def test_fulfillment_return_workflow_across_two_facilities(
    http: httpx.Client, container: Container, tmp_path: Path
) -> None:
    shop = open_shop(http)
    app = SellingPartner(shop)
    app.facility("TUS1", TUS1)
    app.facility("RNO1", RNO1)

    # 1. The application places a fulfillment order of two SKUs.
    app.create_order(
        "FO-1",
        [
            {
                "sellerSku": "TEE",
                "sellerFulfillmentOrderItemId": "item-tee",
                "quantity": 2,
                "perUnitDeclaredValue": {"currencyCode": "USD", "value": "18.99"},
            },
            {
                "sellerSku": "MUG",
                "sellerFulfillmentOrderItemId": "item-mug",
                "quantity": 1,
                "perUnitDeclaredValue": {"currencyCode": "USD", "value": "2.00"},
            },
        ],
    )
    placed = conforming(app.call("GET", "/fulfillmentOrders/FO-1"), "getFulfillmentOrder")
    assert placed["payload"]["fulfillmentOrder"]["fulfillmentOrderStatus"] == "Received"
    assert placed["payload"]["fulfillmentShipments"] == []
    native = ok(shop.call("GET", "/v1/orders/FO-1"))
    assert native["customer_email"] == "ada@example.com"
    assert [line["unit_price"] for line in native["lines"]] == [1899, 200]

    # 2. It ships from two facilities: once through the native API, once with the CLI.
    app.ship("FO-1", "SHIP-TUS", "TUS1", {"item-tee": 2})
    out = run_rma(
        [
            "orders",
            "ship",
            "FO-1",
            "--seller",
            shop.seller_id,
            "--id",
            "SHIP-RNO",
            "--facility",
            "RNO1",
            "--line",
            "item-mug:1",
        ],
        container,
        tmp_path,
    )
    assert "SHIP-RNO" in out
    shipped = conforming(app.call("GET", "/fulfillmentOrders/FO-1"), "getFulfillmentOrder")
    payload = shipped["payload"]
    assert payload["fulfillmentOrder"]["fulfillmentOrderStatus"] == "Complete"
    assert {
        (s["amazonShipmentId"], s["fulfillmentCenterId"]) for s in payload["fulfillmentShipments"]
    } == {
        ("SHIP-TUS", "TUS1"),
        ("SHIP-RNO", "RNO1"),
    }

    # 3. It lists the reason codes for each SKU (marketplace ids are ignored).
    for sku in ("TEE", "MUG"):
        codes = conforming(
            app.call(
                "GET",
                "/returnReasonCodes",
                params={"sellerSku": sku, "marketplaceId": "ATVPDKIKX0DER", "language": "en_US"},
            ),
            "listReturnReasonCodes",
        )
        assert {"CR-DEFECTIVE", "CR-UNWANTED_ITEM"} <= {
            c["returnReasonCode"] for c in codes["payload"]["reasonCodeDetails"]
        }

    # 4. It asks to return units from both facilities, with some that cannot be returned.
    asked = [
        unit("r-tee-1", "item-tee", "SHIP-TUS"),
        unit("r-mug-1", "item-mug", "SHIP-RNO", "CR-UNWANTED_ITEM"),
        unit("r-ghost", "item-ghost", "SHIP-TUS"),
        unit("r-wrong-ship", "item-tee", "SHIP-RNO"),
        unit("r-tee-2", "item-tee", "SHIP-TUS"),
        unit("r-tee-3", "item-tee", "SHIP-TUS"),
        unit("r-tee-1", "item-mug", "SHIP-RNO"),
    ]
    first = app.return_items("FO-1", asked)
    assert [i["sellerReturnItemId"] for i in first["returnItems"]] == [
        "r-tee-1",
        "r-mug-1",
        "r-tee-2",
    ]
    assert {i["status"] for i in first["returnItems"]} == {"New"}
    assert [
        (i["sellerReturnItemId"], i["invalidItemReason"]["invalidItemReasonCode"])
        for i in first["invalidReturnItems"]
    ] == [
        ("r-ghost", "InvalidValues"),
        ("r-wrong-ship", "InvalidValues"),
        ("r-tee-3", "NoReturnableQuantity"),
        ("r-tee-1", "DuplicateRequest"),
    ]
    authorizations = {a["fulfillmentCenterId"]: a for a in first["returnAuthorizations"]}
    assert set(authorizations) == {"TUS1", "RNO1"}
    tus = authorizations["TUS1"]
    assert tus["returnToAddress"] == {
        "name": "Returns Department",
        "addressLine1": "5333 W. Lower Buckeye Road",
        "city": "Phoenix",
        "stateOrRegion": "AZ",
        "postalCode": "85043",
        "countryCode": "US",
    }
    assert authorizations["RNO1"]["returnToAddress"]["city"] == "Reno"
    by_item = {i["sellerReturnItemId"]: i["returnAuthorizationId"] for i in first["returnItems"]}
    assert by_item["r-tee-1"] == by_item["r-tee-2"] == tus["returnAuthorizationId"]
    assert by_item["r-mug-1"] == authorizations["RNO1"]["returnAuthorizationId"]

    # Each authorization is one of our returns: its RMA number, its page.
    for authorization in authorizations.values():
        ours = ok(shop.call("GET", f"/v1/returns/{authorization['returnAuthorizationId']}"))
        assert ours["status"] == "authorized"
        assert authorization["amazonRmaId"] == ours["rma_number"]
        assert {i["seller_return_item_id"] for i in ours["items"]} <= set(by_item)
        base = container.settings.base_url.rstrip("/")
        assert authorization["rmaPageURL"].startswith(f"{base}/rma/{ours['rma_number']}?t=")
        # The link opens the page (the base URL names the public site; this server differs).
        page = shop.http.get(authorization["rmaPageURL"].removeprefix(base))
        assert page.status_code == 200
        assert ours["rma_number"] in page.text
    assert len(native_returns(shop)) == 2

    # 5. Asking again answers the current state and creates nothing.
    again = app.return_items("FO-1", asked[:2])
    assert [i["status"] for i in again["returnItems"]] == ["New", "New"]
    assert again["invalidReturnItems"] == []
    assert {a["returnAuthorizationId"] for a in again["returnAuthorizations"]} == {
        a["returnAuthorizationId"] for a in first["returnAuthorizations"]
    }
    assert len(native_returns(shop)) == 2

    # 6. The facilities receive and inspect what came back.
    for authorization, condition in ((tus, "sellable"), (authorizations["RNO1"], "defective")):
        ret_id = authorization["returnAuthorizationId"]
        ours = ok(shop.call("GET", f"/v1/returns/{ret_id}"))
        receipts = [{"item_id": i["id"], "quantity": 1} for i in ours["items"]]
        ok(
            shop.call(
                "POST", f"/v1/returns/{ret_id}/receive", "warehouse", json={"items": receipts}
            )
        )
        inspections = [
            {"item_id": i["id"], "accepted": 1, "condition": condition, "disposition": "restock"}
            for i in ours["items"]
        ]
        inspected = ok(
            shop.call(
                "POST", f"/v1/returns/{ret_id}/inspect", "warehouse", json={"items": inspections}
            )
        )
        assert inspected["status"] == "inspected"

    # 7. The application asks for the status: processed, with the condition found.
    status = app.return_items("FO-1", asked[:2])
    processed = {i["sellerReturnItemId"]: i for i in status["returnItems"]}
    assert processed["r-tee-1"]["status"] == "Processed"
    assert processed["r-tee-1"]["returnReceivedCondition"] == "Sellable"
    assert processed["r-tee-1"]["fulfillmentCenterId"] == "TUS1"
    assert processed["r-mug-1"]["returnReceivedCondition"] == "Defective"
    assert processed["r-mug-1"]["fulfillmentCenterId"] == "RNO1"
    changed = datetime.fromisoformat(processed["r-mug-1"]["statusChangedDate"])
    assert changed > datetime.fromisoformat(first["returnItems"][1]["statusChangedDate"])

    order = conforming(app.call("GET", "/fulfillmentOrders/FO-1"), "getFulfillmentOrder")
    assert {i["sellerReturnItemId"]: i["status"] for i in order["payload"]["returnItems"]} == {
        "r-tee-1": "Processed",
        "r-tee-2": "Processed",
        "r-mug-1": "Processed",
    }
    assert len(order["payload"]["returnAuthorizations"]) == 2

    listed = conforming(app.call("GET", "/fulfillmentOrders"), "listAllFulfillmentOrders")
    assert [o["sellerFulfillmentOrderId"] for o in listed["payload"]["fulfillmentOrders"]] == [
        "FO-1"
    ]


def test_units_not_yet_shipped_answer_no_completed_ship_items(http: httpx.Client) -> None:
    shop = open_shop(http)
    app = SellingPartner(shop)
    app.create_order(
        "FO-2", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    answer = app.return_items("FO-2", [unit("r1", "a", "SHIP-NONE")])
    assert answer["returnItems"] == []
    assert answer["invalidReturnItems"][0]["invalidItemReason"]["invalidItemReasonCode"] == (
        "NoCompletedShipItems"
    )
    assert native_returns(shop) == []


def test_a_cancelled_return_frees_its_units_and_item_ids(http: httpx.Client) -> None:
    shop = open_shop(http)
    app = SellingPartner(shop)
    ok(
        shop.call(
            "POST",
            "/v1/return-addresses",
            json={"address": {**TUS1, "name": "Main returns"}},
        ),
        201,
    )
    app.create_order(
        "FO-3", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    app.ship("FO-3", "S1", "UNKNOWN-FC", {"a": 1})
    first = app.return_items("FO-3", [unit("r1", "a", "S1")])
    (authorization,) = first["returnAuthorizations"]
    # A facility rma does not know falls back to the seller's default return address.
    assert authorization["returnToAddress"]["name"] == "Main returns"
    assert authorization["fulfillmentCenterId"] == "UNKNOWN-FC"
    ret_id = authorization["returnAuthorizationId"]
    ok(shop.call("POST", f"/v1/returns/{ret_id}/cancel", json={}))

    second = app.return_items("FO-3", [unit("r1", "a", "S1")])
    assert second["invalidReturnItems"] == []
    assert second["returnItems"][0]["returnAuthorizationId"] != ret_id


def test_a_return_waiting_for_review_shows_no_authorization_until_the_seller_gives_one(
    http: httpx.Client,
) -> None:
    shop = open_shop(http, kind="individual")
    ok(shop.call("PUT", "/v1/settings", json={"authorization_mode": "manual"}))
    app = SellingPartner(shop)
    app.facility("TUS1", TUS1)
    app.create_order(
        "FO-4", [{"sellerSku": "TEE", "sellerFulfillmentOrderItemId": "a", "quantity": 1}]
    )
    app.ship("FO-4", "S1", "TUS1", {"a": 1})

    waiting = app.return_items("FO-4", [unit("r1", "a", "S1")])
    (item,) = waiting["returnItems"]
    assert item["status"] == "New"
    assert "returnAuthorizationId" not in item
    assert waiting["returnAuthorizations"] == []
    (ours,) = native_returns(shop)
    assert ours["status"] == "pending_review"

    ok(shop.call("POST", f"/v1/returns/{ours['id']}/authorize", json={}))
    later = app.return_items("FO-4", [unit("r1", "a", "S1")])
    (authorization,) = later["returnAuthorizations"]
    assert later["returnItems"][0]["returnAuthorizationId"] == ours["id"]
    assert authorization["returnToAddress"]["addressLine1"] == TUS1["line1"]
