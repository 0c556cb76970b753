"""Store credit, exchanges, replacements, repairs through HTTP, and who may see them."""

from __future__ import annotations

import httpx

from tests.returns_flow import (
    LINES,
    inspected_return,
    resolution,
)
from tests.support import bearer, customer_token, error_code, ok, open_shop


def test_store_credit_with_a_bonus_fills_the_ledger_and_redemptions_stop_at_the_balance(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"store_credit_bonus_percent": 10}))
    ret, item = inspected_return(shop, "A-8", reason="CR-UNWANTED_ITEM")

    body = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))

    found = resolution(shop, ret)
    assert found["refund"] is None
    assert (found["store_credit"]["amount"], found["store_credit"]["bonus"]) == (5940, 540)
    redeem = {"customer_email": "Ada@Example.com", "currency": "USD", "amount": 940}
    ok(shop.call("POST", "/v1/store-credit/redemptions", json=redeem), 201)
    over = shop.call("POST", "/v1/store-credit/redemptions", json={**redeem, "amount": 5001})
    assert error_code(over, 409) == "insufficient_store_credit"
    statement = ok(
        shop.call("GET", "/v1/store-credit", params={"customer_email": "ada@example.com"})
    )
    assert statement["balances"] == [
        {"currency": "USD", "issued": 5940, "redeemed": 940, "balance": 5000}
    ]
    assert [e["kind"] for e in statement["entries"]] == ["issued", "redeemed"]


def test_exchange_creates_an_outbound_order_and_charges_the_difference(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(
        shop.call(
            "POST", "/v1/products", json={"sku": "TEE-L", "name": "Tee L", "category": "tops"}
        ),
        201,
    )
    ret, item = inspected_return(shop, "A-9", reason="CR-UNWANTED_ITEM")
    exchange = {"item_id": item, "resolution": "exchange", "exchange_sku": "TEE-L"}

    unknown = shop.call(
        "POST",
        f"/v1/returns/{ret}/resolve",
        json={"items": [{**exchange, "exchange_sku": "NOPE"}]},
    )
    assert error_code(unknown, 422) == "exchange_sku_unknown"
    ok(
        shop.call("POST", "/v1/products", json={"sku": "TEE", "name": "Tee", "category": "tops"}),
        201,
    )
    ok(
        shop.call("POST", "/v1/products", json={"sku": "MUG-2", "name": "Mug", "category": "home"}),
        201,
    )
    other = shop.call(
        "POST",
        f"/v1/returns/{ret}/resolve",
        json={"items": [{**exchange, "exchange_sku": "MUG-2"}]},
    )
    assert error_code(other, 422) == "exchange_not_a_variant"
    body = {"items": [{**exchange, "exchange_unit_price": 2800}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))

    found = resolution(shop, ret)
    assert found["refund"] is None
    [outbound] = found["outbound_orders"]
    assert (outbound["kind"], outbound["status"], outbound["amount_due"]) == (
        "exchange",
        "pending",
        600,
    )
    assert outbound["lines"] == [
        {"item_id": item, "sku": "TEE-L", "quantity": 2, "unit_price": 2800}
    ]
    moved = ok(
        shop.call(
            "POST",
            f"/v1/outbound-orders/{outbound['id']}/status",
            json={"status": "submitted"},
        )
    )
    assert moved["status"] == "submitted"
    listed = ok(shop.call("GET", "/v1/outbound-orders", params={"status": "submitted"}))
    assert [o["id"] for o in listed["data"]] == [outbound["id"]]


def test_a_cheaper_exchange_refunds_the_difference(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("POST", "/v1/products", json={"sku": "TEE-S", "name": "Tee S"}), 201)
    ret, item = inspected_return(shop, "A-10", reason="CR-UNWANTED_ITEM")
    body = {
        "items": [
            {
                "item_id": item,
                "resolution": "exchange",
                "exchange_sku": "TEE-S",
                "exchange_unit_price": 2000,
            }
        ]
    }
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))

    refund = resolution(shop, ret)["refund"]
    assert (refund["amount"], refund["breakdown"]["adjustment"]) == (1000, 1000)


def test_replacement_ships_the_same_sku_and_repair_follows_the_workshop(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret, item = inspected_return(shop, "A-11", reason="CR-DEFECTIVE")
    body = {"items": [{"item_id": item, "resolution": "replacement"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))
    [outbound] = resolution(shop, ret)["outbound_orders"]
    assert (outbound["kind"], outbound["lines"][0]["sku"], outbound["amount_due"]) == (
        "replacement",
        "TEE",
        0,
    )

    other, other_item = inspected_return(shop, "A-12", reason="CR-DEFECTIVE")
    body = {"items": [{"item_id": other_item, "resolution": "repair"}]}
    ok(shop.call("POST", f"/v1/returns/{other}/resolve", json=body))
    [repair] = resolution(shop, other)["repair_orders"]
    assert repair["status"] == "received_for_repair"
    path = f"/v1/repair-orders/{repair['id']}/status"
    # Moving it is the seller's: the warehouse only receives and inspects.
    assert shop.call("POST", path, "warehouse", json={"status": "repaired"}).status_code == 403
    skipped = shop.call("POST", path, json={"status": "shipped_back"})
    assert error_code(skipped, 409) == "illegal_transition"
    ok(shop.call("POST", path, json={"status": "repaired"}))
    shipped = ok(shop.call("POST", path, json={"status": "shipped_back"}))
    assert shipped["status"] == "shipped_back"


def test_another_seller_sees_none_of_a_returns_money(http: httpx.Client) -> None:
    shop = open_shop(http, "Shop")
    rival = open_shop(http, "Rival")
    ret, item = inspected_return(shop, "D-1", reason="CR-DEFECTIVE")
    body = {"items": [{"item_id": item, "resolution": "repair"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))
    repair = resolution(shop, ret)["repair_orders"][0]
    other, _ = inspected_return(shop, "D-2", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{other}/resolve", json={}))
    refund = resolution(shop, other)["refund"]

    assert error_code(rival.call("GET", f"/v1/returns/{ret}/resolution"), 404) == (
        "return_not_found"
    )
    assert error_code(rival.call("GET", f"/v1/refunds/{refund['id']}"), 404) == "refund_not_found"
    confirm = {"status": "succeeded", "reference": "x"}
    assert error_code(
        rival.call("POST", f"/v1/refunds/{refund['id']}/confirm", json=confirm), 404
    ) == ("refund_not_found")
    assert error_code(rival.call("POST", f"/v1/refunds/{refund['id']}/retry"), 404) == (
        "refund_not_found"
    )
    assert ok(rival.call("GET", "/v1/refunds"))["data"] == []
    moved = rival.call(
        "POST", f"/v1/repair-orders/{repair['id']}/status", json={"status": "repaired"}
    )
    assert error_code(moved, 404) == "repair_order_not_found"
    assert ok(rival.call("GET", "/v1/repair-orders"))["data"] == []
    credit = ok(rival.call("GET", "/v1/store-credit", params={"customer_email": "ada@example.com"}))
    assert credit["balances"] == []
    redeem = {"customer_email": "ada@example.com", "currency": "USD", "amount": 1}
    assert error_code(rival.call("POST", "/v1/store-credit/redemptions", json=redeem), 404) == (
        "store_credit_not_found"
    )


def test_customers_see_their_returns_resolution_but_no_money_routes(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "E-1", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    token = customer_token(http, "E-1")
    shop.order("E-2", lines=LINES)
    stranger = customer_token(http, "E-2")

    mine = ok(http.get(f"/v1/returns/{ret}/resolution", headers=bearer(token)))
    assert mine["refund"]["amount"] > 0
    assert error_code(http.get(f"/v1/returns/{ret}/resolution", headers=bearer(stranger)), 404)
    refund_id = mine["refund"]["id"]
    assert error_code(http.get(f"/v1/refunds/{refund_id}", headers=bearer(token)), 403)
    confirm = {"status": "succeeded"}
    assert error_code(
        http.post(f"/v1/refunds/{refund_id}/confirm", json=confirm, headers=bearer(token)), 403
    )
    assert error_code(
        shop.call("POST", f"/v1/refunds/{refund_id}/confirm", "warehouse", json=confirm), 403
    )
    as_customer = bearer(token)
    redeem = {"customer_email": "ada@example.com", "currency": "USD", "amount": 1}
    assert error_code(
        http.post("/v1/store-credit/redemptions", json=redeem, headers=as_customer), 403
    )
    params = {"customer_email": "ada@example.com"}
    assert error_code(http.get("/v1/store-credit", params=params, headers=as_customer), 403)
    assert error_code(http.get("/v1/outbound-orders", headers=as_customer), 403)
    assert error_code(http.get("/v1/repair-orders", headers=as_customer), 403)


def test_another_seller_cannot_see_or_move_outbound_orders(http: httpx.Client) -> None:
    shop = open_shop(http, "Shop")
    rival = open_shop(http, "Rival")
    ret, item = inspected_return(shop, "F-1", reason="CR-DEFECTIVE")
    body = {"items": [{"item_id": item, "resolution": "replacement"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))
    [outbound] = resolution(shop, ret)["outbound_orders"]

    moved = rival.call(
        "POST", f"/v1/outbound-orders/{outbound['id']}/status", json={"status": "cancelled"}
    )

    assert error_code(moved, 404) == "outbound_order_not_found"
    assert ok(rival.call("GET", "/v1/outbound-orders"))["data"] == []
    assert ok(shop.call("GET", "/v1/outbound-orders"))["data"][0]["status"] == "pending"
