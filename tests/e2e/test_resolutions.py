"""Resolutions through HTTP: refund amounts, store credit, exchanges, repairs, triggers."""

from __future__ import annotations

from typing import Any

import httpx

from rma.bootstrap import Container
from tests.support import Shop, bearer, customer_token, error_code, ok, open_shop

LINES = [
    {"line_id": "1", "sku": "TEE", "quantity": 2, "unit_price": 2500, "tax_per_unit": 200},
    {"line_id": "2", "sku": "MUG", "quantity": 1, "unit_price": 1200, "tax_per_unit": 96},
]


def start_return(
    shop: Shop, number: str, *, reason: str, quantity: int = 2, resolution: str = "refund"
) -> tuple[str, str]:
    """An authorized return of ``quantity`` tees of a new order: (return id, item id)."""
    shop.order(number, lines=LINES, shipping_amount=999)
    body = {
        "order_number": number,
        "items": [{"line_id": "1", "quantity": quantity, "reason_code": reason}],
        "resolution": resolution,
    }
    created = ok(shop.call("POST", "/v1/returns", json=body), 201)
    return created["id"], created["items"][0]["id"]


def receive(shop: Shop, ret: str, item: str, quantity: int = 2) -> dict[str, Any]:
    body = {"items": [{"item_id": item, "quantity": quantity}]}
    return ok(shop.call("POST", f"/v1/returns/{ret}/receive", "warehouse", json=body))  # type: ignore[no-any-return]


def inspect(shop: Shop, ret: str, item: str, accepted: int = 2, rejected: int = 0) -> None:
    body = {
        "items": [
            {
                "item_id": item,
                "accepted": accepted,
                "rejected": rejected,
                "condition": "sellable",
                "disposition": "restock",
            }
        ]
    }
    ok(shop.call("POST", f"/v1/returns/{ret}/inspect", "warehouse", json=body))


def inspected_return(shop: Shop, number: str, **options: Any) -> tuple[str, str]:
    ret, item = start_return(shop, number, **options)
    receive(shop, ret, item)
    inspect(shop, ret, item)
    return ret, item


def resolution(shop: Shop, ret: str, role: str = "seller") -> dict[str, Any]:
    return ok(shop.call("GET", f"/v1/returns/{ret}/resolution", role))  # type: ignore[no-any-return]


def test_buyer_fault_refund_keeps_shipping_and_charges_the_restocking_fee(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(
        shop.call(
            "POST", "/v1/products", json={"sku": "TEE", "name": "Tee", "category": "apparel"}
        ),
        201,
    )
    ok(shop.call("PUT", "/v1/policies/apparel", json={"restocking_fee_percent": 15}))
    ret, _ = inspected_return(shop, "A-1", reason="CR-UNWANTED_ITEM")

    resolved = ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    assert resolved["status"] == "resolved"
    assert "refund 4650 USD" in resolved["history"][-1]["note"]
    refund = resolution(shop, ret)["refund"]
    assert refund["status"] == "pending"  # the manual gateway waits for the seller
    assert refund["amount"] == 4650
    breakdown = refund["breakdown"]
    assert (breakdown["goods"], breakdown["tax"], breakdown["shipping"]) == (5000, 400, 0)
    assert breakdown["restocking_fee"] == 750


def test_seller_fault_refund_returns_shipping_and_waives_the_fee(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(
        shop.call(
            "POST", "/v1/products", json={"sku": "TEE", "name": "Tee", "category": "apparel"}
        ),
        201,
    )
    ok(shop.call("PUT", "/v1/policies/apparel", json={"restocking_fee_percent": 15}))
    ret, _ = inspected_return(shop, "A-2", reason="CR-DEFECTIVE")

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    breakdown = resolution(shop, ret)["refund"]["breakdown"]
    assert (breakdown["restocking_fee"], breakdown["shipping"]) == (0, 806)
    assert breakdown["total"] == 5000 + 400 + 806


def test_manual_refund_is_confirmed_by_the_seller_and_emits_succeeded(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "A-3", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    refund = resolution(shop, ret)["refund"]

    confirmed = ok(
        shop.call(
            "POST",
            f"/v1/refunds/{refund['id']}/confirm",
            json={"status": "succeeded", "reference": "bank-123"},
        )
    )

    assert (confirmed["status"], confirmed["reference"]) == ("succeeded", "bank-123")
    listed = ok(shop.call("GET", "/v1/refunds", params={"status": "succeeded"}))["data"]
    assert [r["id"] for r in listed] == [refund["id"]]
    late = shop.call("POST", f"/v1/refunds/{refund['id']}/confirm", json={"status": "failed"})
    assert error_code(late, 409) == "refund_already_succeeded"


def test_a_refused_refund_can_be_retried_as_a_new_attempt(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "A-4", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))
    refund = resolution(shop, ret)["refund"]
    ok(shop.call("POST", f"/v1/refunds/{refund['id']}/confirm", json={"status": "failed"}))

    retried = ok(shop.call("POST", f"/v1/refunds/{refund['id']}/retry"))

    assert retried["status"] == "pending"
    assert retried["attempt"] == 2
    assert retried["idempotency_key"] != refund["idempotency_key"]
    again = shop.call("POST", f"/v1/refunds/{refund['id']}/retry")
    assert error_code(again, 409) == "refund_not_failed"


def test_partial_refund_is_capped_at_the_computed_amount(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "A-5", reason="CR-UNWANTED_ITEM")

    too_much = shop.call("POST", f"/v1/returns/{ret}/resolve", json={"refund_amount": 5401})
    assert error_code(too_much, 422) == "refund_above_paid"
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={"refund_amount": 3000}))

    refund = resolution(shop, ret)["refund"]
    assert refund["amount"] == 3000
    assert refund["breakdown"]["total"] == 5400


def test_rejected_units_are_not_refunded(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "A-6", reason="CR-UNWANTED_ITEM")
    receive(shop, ret, item)
    inspect(shop, ret, item, accepted=1, rejected=1)

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    assert resolution(shop, ret)["refund"]["amount"] == 2700


def label_paid_by_buyer(container: Container, seller_id: str, ret: str, cost: int) -> None:
    """What the physical flow records when the customer pays for the label."""
    with container.uow() as uow:
        found = uow.returns.get(seller_id, ret)
        assert found is not None
        found.label_cost, found.label_paid_by = cost, "buyer"
        uow.commit()


def test_label_paid_by_the_buyer_is_taken_off_the_refund(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "A-7", reason="CR-UNWANTED_ITEM")
    label_paid_by_buyer(container, shop.seller_id, ret, 650)

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    refund = resolution(shop, ret)["refund"]
    assert (refund["breakdown"]["label_cost"], refund["amount"]) == (650, 5400 - 650)


def test_the_seller_may_let_the_customer_keep_it_and_no_label_is_charged(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 3000}))
    ret, item = start_return(shop, "A-13", reason="CR-UNWANTED_ITEM", quantity=1)
    label_paid_by_buyer(container, shop.seller_id, ret, 650)

    body = {"items": [{"item_id": item, "resolution": "keep_item"}]}
    resolved = ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))

    assert resolved["history"][-1]["from_status"] == "authorized"
    assert resolution(shop, ret)["refund"]["amount"] == 2700


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
            "warehouse",
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
    skipped = shop.call("POST", path, "warehouse", json={"status": "shipped_back"})
    assert error_code(skipped, 409) == "illegal_transition"
    ok(shop.call("POST", path, "warehouse", json={"status": "repaired"}))
    shipped = ok(shop.call("POST", path, "warehouse", json={"status": "shipped_back"}))
    assert shipped["status"] == "shipped_back"


def test_resolving_before_the_sellers_trigger_is_a_conflict(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "B-1", reason="CR-DEFECTIVE")
    receive(shop, ret, item)

    early = shop.call("POST", f"/v1/returns/{ret}/resolve", json={})

    assert error_code(early, 409) == "resolution_not_due"
    assert resolution(shop, ret)["refund"] is None


def test_on_receipt_trigger_the_return_resolves_when_it_arrives(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
    ret, item = start_return(shop, "B-2", reason="CR-DEFECTIVE")
    assert error_code(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}), 409) == (
        "resolution_not_due"
    )

    received = receive(shop, ret, item)

    assert received["status"] == "resolved"
    assert [h["action"] for h in received["history"]][-2:] == ["receive", "resolve"]
    assert received["history"][-1]["actor"] == "system:rma"
    assert resolution(shop, ret)["refund"]["amount"] == 5000 + 400 + 806


def test_a_return_resolved_on_receipt_is_still_inspected(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
    ret, item = start_return(shop, "B-5", reason="CR-DEFECTIVE")
    receive(shop, ret, item)

    inspect(shop, ret, item, accepted=1, rejected=1)

    found = ok(shop.call("GET", f"/v1/returns/{ret}"))
    assert found["status"] == "resolved"
    assert found["items"][0]["condition"] == "sellable"
    assert (found["history"][-1]["action"], found["history"][-1]["to_status"]) == (
        "inspect",
        "resolved",
    )
    again = shop.call(
        "POST",
        f"/v1/returns/{ret}/inspect",
        "warehouse",
        json={
            "items": [
                {"item_id": item, "accepted": 2, "condition": "sellable", "disposition": "restock"}
            ]
        },
    )
    assert error_code(again, 409) == "illegal_transition"


def test_keep_item_under_the_sellers_limit_is_refunded_at_authorization(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 3000}))

    ret, _ = start_return(shop, "B-3", reason="CR-DEFECTIVE", quantity=1, resolution="keep_item")

    found = ok(shop.call("GET", f"/v1/returns/{ret}"))
    assert found["status"] == "resolved"
    assert found["items"][0]["resolution"] == "keep_item"
    assert resolution(shop, ret)["refund"]["amount"] == 2500 + 200 + 403


def test_keep_item_above_the_limit_waits_for_the_item(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 1000}))
    ret, item = start_return(shop, "B-4", reason="CR-DEFECTIVE", resolution="keep_item")
    assert ok(shop.call("GET", f"/v1/returns/{ret}"))["status"] == "authorized"
    body = {"items": [{"item_id": item, "resolution": "keep_item"}]}

    refused = shop.call("POST", f"/v1/returns/{ret}/resolve", json=body)

    assert error_code(refused, 422) == "keep_item_over_limit"


def test_resolve_replayed_with_the_same_idempotency_key_creates_one_refund(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "C-1", reason="CR-DEFECTIVE")
    headers = {"Idempotency-Key": "resolve-C-1"}

    first = shop.call("POST", f"/v1/returns/{ret}/resolve", json={}, headers=headers)
    again = shop.call("POST", f"/v1/returns/{ret}/resolve", json={}, headers=headers)
    double = shop.call("POST", f"/v1/returns/{ret}/resolve", json={})

    assert ok(first)["status"] == ok(again)["status"] == "resolved"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert error_code(double, 409) == "illegal_transition"
    assert len(ok(shop.call("GET", "/v1/refunds"))["data"]) == 1


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
