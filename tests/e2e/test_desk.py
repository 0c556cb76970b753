"""The seller's authorization desk through HTTP: settings, policies, queue, decisions."""

from __future__ import annotations

import httpx
import pytest

from tests.support import Shop, error_code, ok, open_shop

ADDRESS = {
    "name": "Returns dept.",
    "line1": "1 Dock Road",
    "city": "Springfield",
    "postal_code": "12345",
    "country": "US",
}


def statuses(shop: Shop, **params: object) -> list[str]:
    return [r["status"] for r in ok(shop.call("GET", "/v1/returns", params=params))["data"]]


def test_professional_in_policy_request_is_authorized_at_once(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1")
    created = ok(shop.request_return("1", [("1", 1)]), 201)
    assert created["status"] == "authorized"
    assert created["rma_number"]
    assert created["violations"] == []


def test_out_of_policy_request_waits_with_its_violations_until_the_seller_opts_in(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("1", delivered_days_ago=31)
    waiting = ok(shop.request_return("1", [("1", 1)]), 201)
    assert waiting["status"] == "pending_review"
    assert waiting["in_policy"] is False
    assert [(v["code"], v["line_id"]) for v in waiting["violations"]] == [
        ("return_window_ended", "1")
    ]

    settings = ok(shop.call("PUT", "/v1/settings", json={"out_of_policy": "authorize"}))
    assert settings["out_of_policy"] == "authorize"
    opted_in = ok(shop.request_return("1", [("2", 1)]), 201)
    assert opted_in["status"] == "authorized"
    assert opted_in["in_policy"] is False  # still recorded, even though authorized


def test_day_thirty_is_in_and_a_longer_category_window_keeps_it_in(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1", delivered_days_ago=30)
    assert ok(shop.request_return("1", [("1", 1)]), 201)["status"] == "authorized"
    ok(shop.call("PUT", "/v1/policies/kitchen", json={"window_days": 60}))
    ok(
        shop.call(
            "POST", "/v1/products", json={"sku": "MUG", "name": "Mug", "category": "kitchen"}
        ),
        201,
    )
    shop.order("2", delivered_days_ago=45)
    created = ok(shop.request_return("2", [("2", 1)]), 201)
    assert created["status"] == "authorized"


def test_individual_seller_chooses_manual_or_automatic(http: httpx.Client) -> None:
    shop = open_shop(http, kind="individual")
    shop.order("1")
    assert ok(shop.request_return("1", [("1", 1)]), 201)["status"] == "authorized"
    ok(shop.call("PUT", "/v1/settings", json={"authorization_mode": "manual"}))
    assert ok(shop.request_return("1", [("2", 1)]), 201)["status"] == "pending_review"


def test_professional_seller_cannot_choose_manual_authorization(http: httpx.Client) -> None:
    shop = open_shop(http)
    refused = shop.call("PUT", "/v1/settings", json={"authorization_mode": "manual"})
    assert error_code(refused, 422) == "manual_mode_not_allowed"
    assert ok(shop.call("GET", "/v1/settings"))["authorization_mode"] == "automatic"


def test_prepaid_label_exempt_skus_follow_the_mode_chosen_for_them(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(
        shop.call(
            "PUT",
            "/v1/sku-policies/TEE",
            json={"prepaid_label_exempt": True, "exempt_authorization": "manual"},
        )
    )
    shop.order("1")
    assert ok(shop.request_return("1", [("1", 1)]), 201)["status"] == "pending_review"
    assert ok(shop.request_return("1", [("2", 1)]), 201)["status"] == "authorized"

    individual = open_shop(http, "Solo", kind="individual")
    ok(individual.call("PUT", "/v1/settings", json={"authorization_mode": "manual"}))
    ok(
        individual.call(
            "PUT",
            "/v1/sku-policies/MUG",
            json={"prepaid_label_exempt": True, "exempt_authorization": "automatic"},
        )
    )
    individual.order("9")
    assert ok(individual.request_return("9", [("2", 1)]), 201)["status"] == "authorized"
    assert ok(individual.request_return("9", [("1", 1)]), 201)["status"] == "pending_review"


def test_sku_override_makes_one_sku_non_returnable(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/sku-policies/MUG", json={"returnable": False}))
    assert [p["sku"] for p in ok(shop.call("GET", "/v1/sku-policies"))["data"]] == ["MUG"]
    shop.order("1")
    created = ok(shop.request_return("1", [("1", 1), ("2", 1)]), 201)
    assert [i["line_id"] for i in created["invalid_items"]] == ["2"]
    assert shop.call("DELETE", "/v1/sku-policies/MUG").status_code == 204
    assert ok(shop.request_return("1", [("2", 1)]), 201)["status"] == "authorized"


def test_custom_numbers_are_unique_per_seller_whatever_the_case(http: httpx.Client) -> None:
    shop = open_shop(http)
    other = open_shop(http, "Other")
    for s in (shop, other):
        s.order("1", delivered_days_ago=40)
    mine = ok(shop.request_return("1", [("1", 1)]), 201)
    theirs = ok(other.request_return("1", [("1", 1)]), 201)
    path = "/v1/returns/{}/authorize"
    ok(shop.call("POST", path.format(mine["id"]), json={"rma_number": "abc-1"}))
    # Another seller may use the same number: uniqueness is per seller.
    assert (
        ok(other.call("POST", path.format(theirs["id"]), json={"rma_number": "ABC-1"}))[
            "rma_number"
        ]
        == "ABC-1"
    )
    too_long = shop.call("POST", path.format(mine["id"]), json={"rma_number": "X" * 33})
    assert error_code(too_long, 422) == "invalid_rma_number"


@pytest.mark.parametrize("final", ["denied", "closed"])
def test_authorizing_a_finished_return_is_a_conflict_that_changes_nothing(
    http: httpx.Client, final: str
) -> None:
    shop = open_shop(http)
    shop.order("1", delivered_days_ago=40)
    ret = ok(shop.request_return("1", [("1", 1)]), 201)
    if final == "denied":
        ok(shop.call("POST", f"/v1/returns/{ret['id']}/deny", json={"reason": "other"}))
    else:
        ok(shop.call("POST", f"/v1/returns/{ret['id']}/close", json={"note": "spam"}))
    before = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    refused = shop.call("POST", f"/v1/returns/{ret['id']}/authorize")
    assert error_code(refused, 409) == "illegal_transition"
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}")) == before


def test_bulk_authorize_answers_each_id_and_authorizes_the_valid_ones(http: httpx.Client) -> None:
    shop = open_shop(http)
    other = open_shop(http, "Other")
    pending = []
    for n in range(3):
        shop.order(f"{n}", delivered_days_ago=40)
        pending.append(ok(shop.request_return(f"{n}", [("1", 1)]), 201)["id"])
    shop.order("d", delivered_days_ago=40)
    denied = ok(shop.request_return("d", [("1", 1)]), 201)["id"]
    ok(shop.call("POST", f"/v1/returns/{denied}/deny", json={"reason": "other"}))
    other.order("x", delivered_days_ago=40)
    foreign = ok(other.request_return("x", [("1", 1)]), 201)["id"]

    ids = [pending[0], "ret_unknown", denied, foreign, pending[1], pending[2]]
    answer = ok(shop.call("POST", "/v1/returns/authorize", json={"ids": ids}))
    assert answer["authorized"] == 3
    assert answer["failed"] == 3
    by_id = {r["id"]: r for r in answer["results"]}
    assert [r["id"] for r in answer["results"]] == ids
    assert by_id["ret_unknown"]["error"]["code"] == "return_not_found"
    assert by_id[foreign]["error"]["code"] == "return_not_found"
    assert by_id[denied]["error"]["code"] == "illegal_transition"
    numbers = {by_id[i]["rma_number"] for i in pending}
    assert len(numbers) == 3
    assert statuses(shop, status="authorized") == ["authorized"] * 3
    # The other seller's return is untouched.
    assert ok(other.call("GET", f"/v1/returns/{foreign}"))["status"] == "pending_review"


def test_review_queue_filters_searches_sorts_and_pages(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("A", delivered_days_ago=40, email="late@example.com")
    shop.order("B", email="ontime@example.com")
    late = ok(shop.request_return("A", [("1", 1)]), 201)
    on_time = ok(
        shop.call(
            "POST",
            "/v1/returns",
            json={
                "order_number": "B",
                "items": [{"line_id": "2", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
            },
        ),
        201,
    )

    def ids(**params: object) -> list[str]:
        return [r["id"] for r in ok(shop.call("GET", "/v1/returns", params=params))["data"]]

    assert ids(status="pending_review") == [late["id"]]
    assert ids(in_policy="false") == [late["id"]]
    assert ids(violation="return_window_ended") == [late["id"]]
    assert ids(reason_code="CR-DEFECTIVE") == [on_time["id"]]
    assert ids(sku="MUG") == [on_time["id"]]
    assert ids(customer_email="LATE@example.com") == [late["id"]]
    assert ids(q=on_time["rma_number"].lower()) == [on_time["id"]]
    # A search matches any part, in any case: "a" is in both emails, "LATE@" in one.
    assert ids(q="a") == [on_time["id"], late["id"]]
    assert ids(q="LATE@") == [late["id"]]
    assert ids(sort="created_at") == [late["id"], on_time["id"]]
    assert ids(sort="-created_at") == [on_time["id"], late["id"]]

    first = ok(shop.call("GET", "/v1/returns", params={"limit": 1, "sort": "created_at"}))
    assert [r["id"] for r in first["data"]] == [late["id"]]
    second = ok(
        shop.call(
            "GET",
            "/v1/returns",
            params={"limit": 1, "sort": "created_at", "cursor": first["next_cursor"]},
        )
    )
    assert [r["id"] for r in second["data"]] == [on_time["id"]]
    assert second["next_cursor"] is None
    bad = shop.call("GET", "/v1/returns", params={"cursor": "not-a-cursor"})
    assert error_code(bad, 422) == "invalid_cursor"

    counts = ok(shop.call("GET", "/v1/returns/counts"))
    assert counts["counts"]["pending_review"] == 1
    assert counts["counts"]["authorized"] == 1
    assert counts["counts"]["denied"] == 0
    assert counts["total"] == 2


def test_close_with_a_note_then_reopen_restores_the_status(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1", delivered_days_ago=40)
    ret = ok(shop.request_return("1", [("1", 1)]), 201)
    closed = ok(shop.call("POST", f"/v1/returns/{ret['id']}/close", json={"note": "duplicate"}))
    assert closed["history"][-1]["note"] == "duplicate"
    reopened = ok(shop.call("POST", f"/v1/returns/{ret['id']}/reopen", json={"note": "oops"}))
    assert reopened["status"] == "pending_review"
    assert reopened["history"][-1]["action"] == "reopen"
    again = shop.call("POST", f"/v1/returns/{ret['id']}/reopen")
    assert error_code(again, 409) == "illegal_transition"


def test_deny_needs_a_known_reason(http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("1", delivered_days_ago=40)
    ret = ok(shop.request_return("1", [("1", 1)]), 201)
    bad = shop.call("POST", f"/v1/returns/{ret['id']}/deny", json={"reason": "because"})
    assert error_code(bad, 422) == "invalid_input"
    assert ok(shop.call("GET", f"/v1/returns/{ret['id']}"))["status"] == "pending_review"


def test_authorization_uses_the_chosen_new_or_default_address(http: httpx.Client) -> None:
    shop = open_shop(http)
    other = open_shop(http, "Other")
    default = ok(shop.call("POST", "/v1/return-addresses", json={"address": ADDRESS}), 201)
    assert default["is_default"] is True
    foreign = ok(other.call("POST", "/v1/return-addresses", json={"address": ADDRESS}), 201)
    shop.order("1", delivered_days_ago=40)
    shop.order("2")
    pending = ok(shop.request_return("1", [("1", 1)]), 201)
    auto = ok(shop.request_return("2", [("1", 1)]), 201)
    assert auto["return_address_id"] == default["id"]
    assert auto["return_address"]["line1"] == "1 Dock Road"

    path = f"/v1/returns/{pending['id']}/authorize"
    refused = shop.call("POST", path, json={"return_address_id": foreign["id"]})
    assert error_code(refused, 404) == "return_address_not_found"
    new_address = {**ADDRESS, "line1": "9 Other Street"}
    authorized = ok(
        shop.call("POST", path, json={"return_address": {"label": "East", "address": new_address}})
    )
    assert authorized["return_address"]["line1"] == "9 Other Street"
    saved = ok(shop.call("GET", "/v1/return-addresses"))["data"]
    assert sorted(a["label"] for a in saved) == ["", "East"]


def test_reason_codes_are_managed_per_seller_and_filtered_by_sku(http: httpx.Client) -> None:
    shop = open_shop(http)
    ok(
        shop.call(
            "POST", "/v1/products", json={"sku": "KNIFE", "name": "Knife", "category": "kitchen"}
        ),
        201,
    )
    ok(
        shop.call(
            "PUT",
            "/v1/reason-codes/BLUNT",
            json={"description": "Arrived blunt", "fault": "seller", "categories": ["kitchen"]},
        )
    )
    for_knife = {
        c["code"] for c in ok(shop.call("GET", "/v1/reason-codes", params={"sku": "KNIFE"}))["data"]
    }
    for_tee = {
        c["code"] for c in ok(shop.call("GET", "/v1/reason-codes", params={"sku": "TEE"}))["data"]
    }
    assert "BLUNT" in for_knife
    assert "BLUNT" not in for_tee
    assert "CR-DEFECTIVE" in for_tee

    ok(
        shop.call(
            "PUT",
            "/v1/reason-codes/CR-FOUND_BETTER_PRICE",
            json={"description": "Cheaper elsewhere", "fault": "buyer", "active": False},
        )
    )
    shop.order("1")
    retired = shop.call(
        "POST",
        "/v1/returns",
        json={
            "order_number": "1",
            "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-FOUND_BETTER_PRICE"}],
        },
    )
    assert error_code(retired, 422) == "unknown_reason_code"
    other = open_shop(http, "Other")
    theirs = {c["code"] for c in ok(other.call("GET", "/v1/reason-codes"))["data"]}
    assert "BLUNT" not in theirs
