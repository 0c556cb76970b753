"""The portal over HTTP, on both databases: eligibility, offers, the estimate, bad input."""

from __future__ import annotations

import re

import httpx

from tests.customer_support import HOME, Portal, catalogue_shop, order_with_catalogue
from tests.support import bearer, customer_token, error_code, ok, open_shop


def _returns(shop: object) -> list[dict[str, object]]:
    data: list[dict[str, object]] = ok(shop.call("GET", "/v1/returns"))["data"]  # type: ignore[attr-defined]
    return data


def test_every_line_says_before_submitting_whether_and_until_when_it_can_go_back(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-1")
    portal = Portal(http)

    portal.open_order("P-1")

    text = portal.text()
    assert "Organic tee $25.00 each 2 units can be returned Return by" in text
    assert (
        "Gift card $50.00 each Cannot be returned. Final sale: this item cannot be returned."
        in text
    )
    # The final-sale line offers nothing to choose: no units, no reason.
    assert 'name="qty_3"' not in portal.page
    assert 'name="qty_1"' in portal.page
    # Reasons valid for the SKU, the price, and the address the box leaves from.
    assert "12 St James&#39;s Square" in portal.page


def test_a_tampered_request_for_an_ineligible_line_is_refused_and_creates_nothing(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-2")
    portal = Portal(http)
    portal.open_order("P-2")

    answer = portal.post(
        "/returns/order",
        {"qty_3": "1", "reason_3": "CR-UNWANTED_ITEM", "resolution": "refund", "step": "request"},
    )

    assert answer.status_code == 422
    assert "Final sale: this item cannot be returned." in portal.text()
    assert 'id="error-summary"' in portal.page
    assert 'href="#qty_3"' in portal.page
    assert _returns(shop) == []


def test_the_estimate_is_what_the_resolution_pays(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-3")
    portal = Portal(http)
    portal.open_order("P-3")
    choice = {"qty_1": "2", "reason_1": "CR-UNWANTED_ITEM", "resolution": "refund"}

    portal.post("/returns/order", {**choice, "step": "estimate"})
    # 50.00 goods + 4.00 tax - 7.50 restocking fee (15%, the customer's own reason).
    estimate = re.search(r'id="estimate-total">([^<]+)<', portal.page)
    assert estimate is not None
    assert estimate.group(1) == "$46.50"
    assert _returns(shop) == []  # an estimate asks nothing

    portal.post("/returns/order", {**choice, "step": "request"})
    [ret] = _returns(shop)
    item = ret["items"][0]["id"]  # type: ignore[index]
    receive = {"items": [{"item_id": item, "quantity": 2}]}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/receive", "warehouse", json=receive))
    inspect = {
        "items": [
            {"item_id": item, "accepted": 2, "condition": "sellable", "disposition": "restock"}
        ]
    }
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json=inspect))
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/resolve", json={}))
    paid = ok(shop.call("GET", f"/v1/returns/{ret['id']}/resolution"))["refund"]["amount"]
    assert paid == 4650


def test_keep_item_and_exchange_are_offered_only_as_the_seller_allows(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-4")
    portal = Portal(http)
    portal.open_order("P-4")
    # keep_item_max_value is 0: nobody keeps anything; the tee has a variant, so exchange.
    assert 'value="keep_item"' not in portal.page
    assert 'value="exchange"' in portal.page
    assert '<option value="TEE-L">Organic tee, L</option>' in portal.page

    ok(shop.call("PUT", "/v1/settings", json={"keep_item_max_value": 3000}))
    portal.get("/returns/order")
    assert 'value="keep_item"' in portal.page  # every returnable line is worth <= 30.00


def test_the_api_refuses_a_resolution_or_variant_the_seller_does_not_allow(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-5")
    token = customer_token(http, "P-5")

    def ask(resolution: str, **item: str) -> httpx.Response:
        line = {"line_id": "1", "quantity": 1, "reason_code": "CR-UNWANTED_ITEM", **item}
        body = {"order_number": "P-5", "items": [line], "resolution": resolution}
        return http.post("/v1/returns", json=body, headers=bearer(token))

    assert error_code(ask("keep_item"), 422) == "resolution_not_allowed"
    assert error_code(ask("exchange", exchange_sku="NOPE"), 422) == "exchange_sku_unknown"
    assert error_code(ask("exchange", exchange_sku="MUG"), 422) == "exchange_not_a_variant"
    assert _returns(shop) == []

    created = ok(ask("exchange", exchange_sku="TEE-L"), 201)
    assert created["items"][0]["exchange_sku"] == "TEE-L"


def test_an_exchange_chosen_in_the_portal_sends_the_variant_asked_for(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-6")
    portal = Portal(http)
    portal.open_order("P-6")

    missing = portal.post(
        "/returns/order",
        {"qty_1": "1", "reason_1": "CR-DEFECTIVE", "resolution": "exchange", "step": "request"},
    )
    assert missing.status_code == 422
    assert "Choose what you would like instead." in portal.text()
    assert _returns(shop) == []

    portal.post(
        "/returns/order",
        {
            "qty_1": "1",
            "reason_1": "CR-DEFECTIVE",
            "variant_1": "TEE-L",
            "resolution": "exchange",
            "step": "request",
        },
    )
    [ret] = _returns(shop)
    item = ret["items"][0]["id"]  # type: ignore[index]
    receive = {"items": [{"item_id": item, "quantity": 1}]}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/receive", "warehouse", json=receive))
    judged = {"item_id": item, "accepted": 1, "condition": "defective", "disposition": "dispose"}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json={"items": [judged]}))
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/resolve", json={}))
    outbound = ok(shop.call("GET", f"/v1/returns/{ret['id']}/resolution"))["outbound_orders"]
    assert [line["sku"] for line in outbound[0]["lines"]] == ["TEE-L"]
    assert outbound[0]["ship_to"]["line1"] == "12 St James's Square"  # the order's address


def test_empty_and_bad_form_submits_answer_a_page_with_what_to_fix(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-7")
    portal = Portal(http)
    portal.get("/returns")

    empty = portal.post("/returns", {})
    assert empty.status_code == 422
    assert empty.headers["content-type"].startswith("text/html")
    assert "Enter your order number." in portal.text()
    field = re.search(r'<input[^>]*id="order_number"[^>]*>', portal.page)
    assert field is not None
    assert 'aria-invalid="true"' in field.group(0)

    portal.open_order("P-7")
    nothing = portal.post("/returns/order", {"step": "request", "resolution": "refund"})
    assert nothing.status_code == 422
    assert "Choose at least one item and how many units to send back." in portal.text()
    no_reason = portal.post(
        "/returns/order", {"qty_1": "1", "resolution": "refund", "step": "request"}
    )
    assert no_reason.status_code == 422
    assert 'href="#reason_1"' in portal.page
    assert _returns(shop) == []


def test_every_html_route_answers_a_page_and_the_api_keeps_json(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-8")
    pages = (
        "/nowhere",
        "/rma/K7QX-M4TP-HW",
        "/rma/K7QX-M4TP-HW?t=forged.token",
        "/returns/r/ret_nope/cancel/more",
        "/s/no-such-shop/returns",
        "/rma/X/label.pdf",
    )
    for path in pages:
        answer = http.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "Start or track a return" in answer.text, path
    assert http.post("/returns/order", data={}).headers["content-type"].startswith("text/html")
    assert http.get("/actions/" + "x" * 1200).headers["content-type"].startswith("text/html")

    api = http.get("/v1/nowhere")
    assert api.headers["content-type"] == "application/json"
    assert error_code(api, 404) == "not_found"


def test_a_tampered_rma_page_link_shows_nothing_of_the_return(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-9")
    body = {
        "order_number": "P-9",
        "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
    }
    ret = ok(shop.call("POST", "/v1/returns", json=body), 201)
    link = ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))["page_url"]
    path = link.removeprefix("http://127.0.0.1:8000")
    tampered = path[:-3] + ("AAA" if not path.endswith("AAA") else "BBB")

    answer = http.get(tampered)

    assert answer.status_code == 404
    assert "Organic tee" not in answer.text
    assert "12 St James" not in answer.text
    assert "Organic tee" in http.get(path).text


def test_a_tracking_number_typed_twice_is_recorded_once(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-10")
    portal = Portal(http)
    portal.open_order("P-10")
    portal.post(
        "/returns/order",
        {"qty_2": "1", "reason_2": "CR-DEFECTIVE", "resolution": "refund", "step": "request"},
    )
    [ret] = _returns(shop)
    page = f"/returns/r/{ret['id']}"

    for typed in ("1z 999 aa1", "1Z999AA1"):
        portal.get(page)
        key = re.search(r'name="form_key" value="([^"]+t)"', portal.page)
        assert key is not None
        portal.post(
            f"{page}/tracking",
            {"carrier": "UPS", "tracking_number": typed, "form_key": key.group(1)},
        )
        assert "Thank you: we will follow your parcel." in portal.text()

    found = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert (found["carrier"], found["tracking_number"]) == ("UPS", "1Z999AA1")
    assert [h["to_status"] for h in found["history"]] == ["requested", "authorized"]

    portal.get(page)
    portal.post(f"{page}/tracking", {"carrier": "", "tracking_number": "", "form_key": "k2"})
    assert "Enter the carrier, such as UPS or DHL." in portal.text()
    assert 'aria-invalid="true"' in portal.page


def test_the_customer_corrects_the_address_the_box_leaves_from(http: httpx.Client) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-11")
    portal = Portal(http)
    portal.open_order("P-11")
    portal.post(
        "/returns/order",
        {"qty_2": "1", "reason_2": "CR-DEFECTIVE", "resolution": "refund", "step": "request"},
    )
    [ret] = _returns(shop)
    page = f"/returns/r/{ret['id']}"
    portal.get(page)
    moved = {f"from_{k}": v for k, v in {**HOME, "line1": "5 New Road", "country": "gb"}.items()}

    portal.post(f"{page}/address", {**moved, "form_key": "addr-1"})

    assert "The address is updated; the label now shows it." in portal.text()
    assert "5 New Road" in portal.text()


def test_a_shop_portal_finds_orders_of_that_shop_only(http: httpx.Client) -> None:
    first, second = open_shop(http, "First"), open_shop(http, "Second")
    first.order("SAME-1", email="ada@example.com")
    second.order("SAME-1", email="ada@example.com")
    ok(second.call("PUT", "/v1/portal-settings", json={"shop_handle": "Second-Shop"}))
    taken = first.call("PUT", "/v1/portal-settings", json={"shop_handle": "second-shop"})
    assert error_code(taken, 409) == "shop_handle_taken"
    assert error_code(first.call("PUT", "/v1/portal-settings", json={"shop_handle": "no way"}), 422)

    plain = Portal(http)
    plain.open_order("SAME-1")
    assert "Several shops have this order number" in plain.text()

    shop_portal = Portal(http)
    answer = shop_portal.open_order("SAME-1", at="/s/second-shop/returns")
    assert answer.status_code == 200
    assert "Order SAME-1" in shop_portal.text()
    assert "Second" in shop_portal.page
    assert 'name="seller_id"' not in shop_portal.page


def test_a_gift_card_is_refused_for_being_final_sale_not_for_a_closed_window(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    # As in the demo: a category that is neither returnable nor has any window left.
    ok(shop.call("PUT", "/v1/policies/gift", json={"window_days": 0, "returnable": False}))
    assert shop.call("DELETE", "/v1/sku-policies/GIFT-50").status_code == 204
    order_with_catalogue(shop, "P-12")
    portal = Portal(http)
    portal.open_order("P-12")
    assert "Gift card $50.00 each Cannot be returned. Items of this kind cannot be returned." in (
        portal.text()
    )

    portal.post(
        "/returns/order",
        {"qty_3": "1", "reason_3": "CR-UNWANTED_ITEM", "resolution": "refund", "step": "request"},
    )

    assert "Items of this kind cannot be returned." in portal.text()
    assert "window" not in portal.text().split("There is a problem")[1].split("Organic tee")[0]
    assert _returns(shop) == []


def test_once_the_box_arrived_the_rma_page_no_longer_says_to_print_and_ship(
    http: httpx.Client,
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "P-13")
    body = {
        "order_number": "P-13",
        "items": [{"line_id": "2", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
    }
    ret = ok(shop.call("POST", "/v1/returns", json=body), 201)
    page = ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))["page_url"]
    path = page.removeprefix("http://127.0.0.1:8000")
    assert "Print the label" in http.get(path).text
    item = ret["items"][0]["id"]
    receive = {"items": [{"item_id": item, "quantity": 1}]}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/receive", "warehouse", json=receive))
    judged = {"item_id": item, "accepted": 1, "condition": "defective", "disposition": "dispose"}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json={"items": [judged]}))

    inspected = http.get(path).text

    assert "Print the label" not in inspected
    assert "Ship it by" not in inspected
    assert "Download the label" not in inspected
    assert 'aria-current="step"' in inspected
    assert "Your return has been inspected." in inspected
