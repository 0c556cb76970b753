"""A return's whole life through HTTP, as a seller, a customer and a warehouse see it."""

from __future__ import annotations

import httpx

from tests.support import bearer, customer_token, error_code, ok, open_shop


def test_customer_return_goes_from_request_to_closed(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1001")
    token = customer_token(http, "1001", email="ADA@Example.com")

    created = ok(
        http.post(
            "/v1/returns",
            headers=bearer(token),
            json={
                "order_number": "1001",
                "items": [{"line_id": "1", "quantity": 2, "reason_code": "CR-DEFECTIVE"}],
                "resolution": "refund",
            },
        ),
        201,
    )
    assert created["status"] == "authorized"
    assert created["in_policy"] is True
    assert created["invalid_items"] == []
    rma = created["rma_number"]
    item = created["items"][0]["id"]

    # The customer and the seller both find it by its RMA number.
    assert ok(http.get(f"/v1/returns/{rma}", headers=bearer(token)))["id"] == created["id"]
    assert ok(shop.call("GET", f"/v1/returns/{rma.lower()}"))["id"] == created["id"]

    received = ok(
        shop.call(
            "POST",
            f"/v1/returns/{created['id']}/receive",
            "warehouse",
            json={"items": [{"item_id": item, "quantity": 2}]},
        )
    )
    assert received["status"] == "received"
    inspected = ok(
        shop.call(
            "POST",
            f"/v1/returns/{created['id']}/inspect",
            "warehouse",
            json={
                "items": [
                    {
                        "item_id": item,
                        "accepted": 1,
                        "rejected": 1,
                        "condition": "defective",
                        "disposition": "return_to_vendor",
                    }
                ]
            },
        )
    )
    assert inspected["status"] == "inspected"
    assert inspected["items"][0]["accepted_quantity"] == 1
    resolved = ok(
        shop.call(
            "POST",
            f"/v1/returns/{created['id']}/resolve",
            json={"items": [{"item_id": item, "resolution": "store_credit"}]},
        )
    )
    assert resolved["status"] == "resolved"
    assert resolved["items"][0]["resolution"] == "store_credit"
    closed = ok(shop.call("POST", f"/v1/returns/{created['id']}/close", json={"note": "done"}))
    assert closed["status"] == "closed"

    assert [(h["from_status"], h["to_status"]) for h in closed["history"]] == [
        (None, "requested"),
        ("requested", "authorized"),
        ("authorized", "received"),
        ("received", "inspected"),
        ("inspected", "resolved"),
        ("resolved", "closed"),
    ]
    assert closed["history"][0]["actor"].startswith("customer:")
    assert closed["history"][2]["actor"].startswith("warehouse:")


def test_out_of_window_request_waits_for_review_and_can_be_denied(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("2001", delivered_days_ago=45)

    created = ok(shop.request_return("2001", [("1", 1)]), 201)
    assert created["status"] == "pending_review"
    assert created["rma_number"] is None
    assert [v["code"] for v in created["violations"]] == ["return_window_ended"]

    denied = ok(
        shop.call(
            "POST",
            f"/v1/returns/{created['id']}/deny",
            json={"reason": "return_period_ended", "note": "Past 30 days, sorry."},
        )
    )
    assert denied["status"] == "denied"
    assert denied["customer_note"] == "Past 30 days, sorry."

    again = shop.call("POST", f"/v1/returns/{created['id']}/authorize")
    assert error_code(again, 409) == "illegal_transition"
    assert ok(shop.call("GET", f"/v1/returns/{created['id']}"))["status"] == "denied"


def test_seller_authorizes_a_pending_return_with_a_custom_number(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("3001", delivered_days_ago=40)
    shop.order("3002", delivered_days_ago=40)
    first = ok(shop.request_return("3001", [("1", 1)]), 201)
    second = ok(shop.request_return("3002", [("1", 1)]), 201)

    authorized = ok(
        shop.call("POST", f"/v1/returns/{first['id']}/authorize", json={"rma_number": "rma-77"})
    )
    assert authorized["status"] == "authorized"
    assert authorized["rma_number"] == "RMA-77"
    assert authorized["deadline"] > authorized["window_closes_at"]

    clash = shop.call(
        "POST", f"/v1/returns/{second['id']}/authorize", json={"rma_number": "Rma-77"}
    )
    assert error_code(clash, 409) == "duplicate_rma_number"
    assert first["id"] in clash.text
    bad = shop.call("POST", f"/v1/returns/{second['id']}/authorize", json={"rma_number": "RMA 77!"})
    assert error_code(bad, 422) == "invalid_rma_number"
    assert ok(shop.call("GET", f"/v1/returns/{second['id']}"))["status"] == "pending_review"


def test_invalid_items_come_back_with_reasons_while_the_rest_proceeds(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/policies/final-sale", json={"window_days": 30, "returnable": False}))
    ok(
        shop.call(
            "POST",
            "/v1/products",
            json={"sku": "GIFT", "name": "Gift card", "category": "final-sale"},
        ),
        201,
    )
    shop.order(
        "4001",
        lines=[
            {"line_id": "1", "sku": "TEE", "quantity": 2, "unit_price": 2500},
            {"line_id": "2", "sku": "GIFT", "quantity": 1, "unit_price": 5000},
        ],
    )
    created = ok(shop.request_return("4001", [("1", 3), ("2", 1)]), 422)
    assert created["error"]["code"] == "no_returnable_items"
    assert {d["code"] for d in created["error"]["details"]} == {
        "quantity_exceeds_returnable",
        "non_returnable",
    }

    partial = ok(shop.request_return("4001", [("1", 2), ("2", 1)]), 201)
    assert [i["line_id"] for i in partial["items"]] == ["1"]
    assert [
        (i["line_id"], [v["code"] for v in i["violations"]]) for i in partial["invalid_items"]
    ] == [("2", ["non_returnable"])]
    # Both units of line 1 are now held by that return: none is left to return again.
    again = ok(shop.request_return("4001", [("1", 1)]), 422)
    assert again["error"]["details"][0]["code"] == "quantity_exceeds_returnable"


def test_unshipped_line_cannot_be_returned(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("5001", shipped=False)
    refused = ok(shop.request_return("5001", [("1", 1)]), 422)
    assert refused["error"]["details"][0]["code"] == "not_shipped"


def test_customer_cancels_before_shipping_and_units_become_returnable_again(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("6001")
    token = customer_token(http, "6001")
    created = ok(shop.request_return("6001", [("1", 2)]), 201)
    cancelled = ok(http.post(f"/v1/returns/{created['id']}/cancel", headers=bearer(token)))
    assert cancelled["status"] == "cancelled"
    assert ok(shop.request_return("6001", [("1", 2)]), 201)["status"] == "authorized"


def test_partial_receipt_then_the_rest(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("7001")
    created = ok(shop.request_return("7001", [("1", 2)]), 201)
    item = created["items"][0]["id"]
    path = f"/v1/returns/{created['id']}/receive"
    first = ok(
        shop.call("POST", path, "warehouse", json={"items": [{"item_id": item, "quantity": 1}]})
    )
    assert first["status"] == "partially_received"
    second = ok(
        shop.call("POST", path, "warehouse", json={"items": [{"item_id": item, "quantity": 1}]})
    )
    assert second["status"] == "received"
    assert second["items"][0]["received_quantity"] == 2
