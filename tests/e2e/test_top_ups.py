"""A partial refund, then a top-up as its own refund; resolving previewed before it is done."""

from __future__ import annotations

import httpx

from tests.returns_flow import inspected_return, resolution
from tests.support import Shop, error_code, ok, open_shop


def _refunds(shop: Shop, ret: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = resolution(shop, ret)["refunds"]
    return found


def test_a_partial_refund_is_topped_up_by_a_second_refund_capped_at_what_is_owed(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "T-1", reason="CR-UNWANTED_ITEM")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={"refund_amount": 3000}))
    first = resolution(shop, ret)["refund"]
    body = {"status": "succeeded", "reference": "bank-1"}
    ok(shop.call("POST", f"/v1/refunds/{first['id']}/confirm", json=body))
    assert resolution(shop, ret)["left_to_refund"] == 5400 - 3000

    too_much = shop.call("POST", f"/v1/returns/{ret}/refunds", json={"amount": 2401})
    assert error_code(too_much, 422) == "refund_above_paid"
    assert too_much.json()["error"]["details"] == [{"field": "amount", "max": 2400}]
    assert len(_refunds(shop, ret)) == 1
    zero = shop.call("POST", f"/v1/returns/{ret}/refunds", json={"amount": 0})
    assert error_code(zero, 422) == "invalid_input"

    key = {"Idempotency-Key": "top-up-1"}
    path = f"/v1/returns/{ret}/refunds"
    top_up = ok(shop.call("POST", path, json={"amount": 2400}, headers=key), 201)
    again = ok(shop.call("POST", path, json={"amount": 2400}, headers=key), 201)

    assert again["id"] == top_up["id"]
    assert (top_up["amount"], top_up["sequence"], top_up["status"]) == (2400, 2, "pending")
    assert [r["id"] for r in _refunds(shop, ret)] == [first["id"], top_up["id"]]
    assert resolution(shop, ret)["left_to_refund"] == 0
    history = ok(shop.call("GET", f"/v1/returns/{ret}"))["history"]
    assert history[-1]["action"] == "refund_top_up"
    assert "$24.00" in history[-1]["note"]
    more = shop.call("POST", path, json={"amount": 1})
    assert error_code(more, 422) == "refund_above_paid"
    late = shop.call("POST", f"/v1/refunds/{first['id']}/confirm", json={"status": "failed"})
    assert error_code(late, 409) == "refund_already_succeeded"


def test_a_failed_refund_leaves_its_amount_to_top_up(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, _ = inspected_return(shop, "T-2", reason="CR-UNWANTED_ITEM")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={"refund_amount": 1000}))
    first = resolution(shop, ret)["refund"]
    ok(shop.call("POST", f"/v1/refunds/{first['id']}/confirm", json={"status": "failed"}))

    assert resolution(shop, ret)["left_to_refund"] == 5400


def test_only_a_resolved_return_with_a_refund_is_topped_up(http: httpx.Client) -> None:
    shop = open_shop(http)
    ret, item = inspected_return(shop, "T-3", reason="CR-UNWANTED_ITEM")
    early = shop.call("POST", f"/v1/returns/{ret}/refunds", json={"amount": 100})
    assert error_code(early, 409) == "return_not_resolved"

    credited = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=credited))
    none = shop.call("POST", f"/v1/returns/{ret}/refunds", json={"amount": 100})
    assert error_code(none, 409) == "no_refund_to_top_up"
    other = open_shop(http, "Other").call("POST", f"/v1/returns/{ret}/refunds", json={"amount": 1})
    assert other.status_code == 404


def test_the_preview_shows_what_resolving_would_refund_and_records_nothing(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    ret, item = inspected_return(shop, "T-4", reason="CR-DEFECTIVE")
    path = f"/v1/returns/{ret}/resolution-preview"

    preview = ok(shop.call("POST", path, json={"refund_amount": 2000}))

    assert preview["refund"]["total"] == 5000 + 400 + 806
    assert (preview["refund_amount"], preview["refundable"]) == (2000, 6206)
    assert preview["label_paid_by"] == "seller"
    assert ok(shop.call("GET", f"/v1/returns/{ret}"))["status"] == "inspected"
    assert _refunds(shop, ret) == []
    exchange = {"items": [{"item_id": item, "resolution": "exchange"}]}
    missing = shop.call("POST", path, json=exchange)
    assert error_code(missing, 422) == "exchange_sku_required"
    too_much = shop.call("POST", path, json={"refund_amount": 6207})
    assert error_code(too_much, 422) == "refund_above_paid"
