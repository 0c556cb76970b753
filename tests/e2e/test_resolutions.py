"""Resolutions through HTTP: refund amounts, refund confirmation, triggers, keep_item."""

from __future__ import annotations

import httpx

from rma.bootstrap import Container
from tests.returns_flow import (
    inspect,
    inspected_return,
    label_paid_by_buyer,
    receive,
    resolution,
    start_return,
)
from tests.support import Shop, error_code, ok, open_shop


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


def test_on_receipt_an_exchange_waits_for_the_seller_to_name_the_variant(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
    ret, item = start_return(shop, "B-6", reason="CR-DEFECTIVE", resolution="exchange")

    assert receive(shop, ret, item)["status"] == "received"


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


def test_keep_item_above_the_limit_is_refused_at_request_and_at_resolution(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 1000}))
    shop.order("B-4x", lines=[{"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 2500}])
    line = {"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}
    asked = {"order_number": "B-4x", "items": [line], "resolution": "keep_item"}
    # The seller's settings refuse it: said before anything is created (issue 14).
    assert error_code(shop.call("POST", "/v1/returns", json=asked), 422) == (
        "resolution_not_allowed"
    )
    assert ok(shop.call("GET", "/v1/returns"))["data"] == []
    ret, item = start_return(shop, "B-4", reason="CR-DEFECTIVE")
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


def _prepaid_label(shop: Shop, ret: str, cost: int) -> None:
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\nstartxref\n0\n%%EOF\n"
    files = {"file": ("label.pdf", pdf, "application/pdf")}
    ok(shop.call("PUT", f"/v1/returns/{ret}/label", files=files, data={"cost": str(cost)}))


def test_a_policy_charging_the_buyer_for_the_label_takes_its_cost_off_the_refund(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ok(
        shop.call("POST", "/v1/products", json={"sku": "TEE", "name": "Tee", "category": "tops"}),
        201,
    )
    ok(shop.call("PUT", "/v1/policies/tops", json={"label_paid_by": "buyer"}))
    # A defective item is the seller's fault, yet this policy has the buyer pay the label.
    ret, item = start_return(shop, "B-1", reason="CR-DEFECTIVE", quantity=1)
    _prepaid_label(shop, ret, 700)
    receive(shop, ret, item, 1)
    inspect(shop, ret, item, accepted=1)

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    refund = resolution(shop, ret)["refund"]
    breakdown = refund["breakdown"]
    assert breakdown["label_cost"] == 700
    assert refund["amount"] == 2500 + 200 + breakdown["shipping"] - 700


def test_the_seller_pays_the_label_of_a_seller_fault_return_by_default(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "B-2", reason="CR-DEFECTIVE", quantity=1)
    _prepaid_label(shop, ret, 700)
    receive(shop, ret, item, 1)
    inspect(shop, ret, item, accepted=1)

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    assert resolution(shop, ret)["refund"]["breakdown"]["label_cost"] == 0


def test_an_item_disposed_of_at_inspection_gets_no_repair_order(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, item = start_return(shop, "B-3", reason="CR-DEFECTIVE", resolution="repair")
    receive(shop, ret, item)
    body = {
        "items": [
            {
                "item_id": item,
                "accepted": 2,
                "condition": "defective",
                "disposition": "dispose",
            }
        ]
    }
    ok(shop.call("POST", f"/v1/returns/{ret}/inspect", "warehouse", json=body))

    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={}))

    assert resolution(shop, ret)["repair_orders"] == []
    listed = ok(shop.call("GET", "/v1/repair-orders", "warehouse"))["data"]
    assert listed == []
