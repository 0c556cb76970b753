"""The queue's power through HTTP: bulk deny and close with one note, and search."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import Shop, error_code, ok, open_shop


def _pending(shop: Shop, number: str, **order: Any) -> dict[str, Any]:
    shop.order(number, delivered_days_ago=45, **order)
    made: dict[str, Any] = ok(shop.request_return(number, [("1", 1)]), 201)
    assert made["status"] == "pending_review"
    return made


def _status(shop: Shop, return_id: str) -> str:
    status: str = ok(shop.call("GET", f"/v1/returns/{return_id}"))["status"]
    return status


def test_bulk_deny_needs_a_reason_and_denies_each_that_can_be(http: httpx.Client) -> None:
    shop = open_shop(http)
    first, second = _pending(shop, "Q-1"), _pending(shop, "Q-2")
    shop.order("Q-3")
    authorized = ok(shop.request_return("Q-3", [("1", 1)]), 201)
    ids = [first["id"], second["id"], authorized["id"], "ret_unknown"]

    refused = shop.call("POST", "/v1/returns/deny", json={"ids": ids, "note": "no"})
    assert error_code(refused, 422) == "deny_reason_required"
    assert [_status(shop, i) for i in ids[:3]] == ["pending_review", "pending_review", "authorized"]

    body = {"ids": ids, "reason": "item_not_eligible", "note": "Worn, tags removed"}
    answer = ok(shop.call("POST", "/v1/returns/deny", json=body))

    assert (answer["done"], answer["failed"]) == (2, 2)
    errors = {r["id"]: r["error"]["code"] for r in answer["results"] if not r["ok"]}
    assert errors == {authorized["id"]: "illegal_transition", "ret_unknown": "return_not_found"}
    denied = ok(shop.call("GET", f"/v1/returns/{first['id']}"))
    assert (denied["status"], denied["customer_note"]) == ("denied", "Worn, tags removed")


def test_bulk_close_closes_with_one_note(http: httpx.Client) -> None:
    shop = open_shop(http)
    ids = [_pending(shop, f"C-{n}")["id"] for n in range(3)]

    answer = ok(shop.call("POST", "/v1/returns/close", json={"ids": ids, "note": "Season over"}))

    assert answer["done"] == 3
    for return_id in ids:
        closed = ok(shop.call("GET", f"/v1/returns/{return_id}"))
        assert (closed["status"], closed["history"][-1]["note"]) == ("closed", "Season over")
    empty = shop.call("POST", "/v1/returns/close", json={"ids": []})
    assert error_code(empty, 422) == "invalid_input"


def test_search_finds_part_of_an_rma_number_in_any_case_an_email_and_a_name(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("S-1", email="grace.hopper@example.com")
    found = ok(shop.request_return("S-1", [("1", 1)]), 201)
    other = _pending(shop, "S-2", email="ada@example.com")
    rma = found["rma_number"]

    def search(term: str) -> list[str]:
        listed = ok(shop.call("GET", "/v1/returns", params={"q": term}))["data"]
        return [r["id"] for r in listed]

    assert search(rma[5:9].lower()) == [found["id"]]
    assert search("GRACE.HOP") == [found["id"]]
    assert search("s-2") == [other["id"]]
    assert search("nothing-like-it") == []
    assert ok(open_shop(http, "Other").call("GET", "/v1/returns", params={"q": "s-"}))["data"] == []


def test_search_finds_the_middle_of_each_field_in_any_case_and_nothing_else(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("ORD-77341-X", email="grace.hopper@navy.example", customer_name="Grace Brewster")
    found = ok(shop.request_return("ORD-77341-X", [("1", 1)]), 201)
    tracking = {"carrier": "UPS", "tracking_number": "1Z999AA10123456784"}
    ok(shop.call("PUT", f"/v1/returns/{found['id']}/tracking", json=tracking))
    shop.order("ORD-10000-Y", email="ada@example.com", customer_name="Ada Lovelace")
    ok(shop.request_return("ORD-10000-Y", [("1", 1)]), 201)

    def search(term: str) -> list[str]:
        listed = ok(shop.call("GET", "/v1/returns", params={"q": term}))["data"]
        return [r["id"] for r in listed]

    middles = {
        "rma number": found["rma_number"][3:8].lower(),  # across the hyphen
        "order number": "7734",
        "tracking number": "aa1012",
        "customer email": "E.HOPP",
        "customer name": "rewst",
    }
    for field, term in middles.items():
        assert search(term) == [found["id"]], field
    # LIKE's wildcards are plain characters to search: they match no return here.
    assert search("%") == []
    assert search("_") == []
    assert search("ORD-%-X") == []
