"""The desk's other money pages: exchanges and repairs moved on, store credit spent, stock."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import Page, expect

from rma.bootstrap import Container
from rma.worker import EventWorker
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.returns_flow import inspect, inspected_return, receive, start_return
from tests.support import ok, open_shop

pytestmark = ON_SQLITE


def _sign_in(page: Page, key: str) -> None:
    page.goto("/desk/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def test_an_exchange_is_resolved_on_the_desk_then_sent_and_credit_is_spent(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    for sku, name in (("TEE", "Tee, medium"), ("TEE-L", "Tee, large")):
        body = {"sku": sku, "name": name, "category": "tops"}
        ok(shop.call("POST", "/v1/products", json=body), 201)
    exchanged, _ = inspected_return(shop, "X-1", reason="CR-UNWANTED_ITEM", resolution="exchange")
    credited, item = inspected_return(shop, "X-2", reason="CR-UNWANTED_ITEM")
    body = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"/v1/returns/{credited}/resolve", json=body))
    repaired, item = start_return(shop, "X-3", reason="CR-DEFECTIVE", resolution="repair")
    receive(shop, repaired, item)
    inspect(shop, repaired, item)
    ok(shop.call("POST", f"/v1/returns/{repaired}/resolve", json={}))

    _sign_in(page, shop.keys["seller"])
    page.goto(f"/desk/returns/{exchanged}")
    expect(page.get_by_text("name the variant to send")).to_be_visible()
    page.get_by_label("Exchange Tee, medium for").select_option("TEE-L")
    page.get_by_role("button", name="Update the amounts").click()
    expect(page.get_by_label("Refund breakdown")).to_contain_text("Orders to send")
    page.get_by_role("button", name="Resolve the return").click()
    expect(page.locator("h1 .badge")).to_have_text("resolved")
    expect(page.locator("#money-h + p")).to_contain_text("Exchange order")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Orders", exact=True
    ).click()
    page.get_by_role("button", name="Mark cancelled").click()
    expect(page.get_by_role("heading", name="Cancel this order?")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    expect(page.locator("table.orders").first).to_contain_text("pending")
    page.get_by_role("button", name="Mark submitted").click()
    expect(page.get_by_role("status")).to_contain_text("next step")
    page.get_by_role("button", name="Mark shipped").click()
    expect(page.locator("table.orders").first).to_contain_text("shipped")
    page.get_by_role("button", name="Mark repaired").click()
    expect(page.locator("table.orders").nth(1)).to_contain_text("repaired")
    screenshot(page, "desk-orders")
    assert ok(shop.call("GET", "/v1/outbound-orders"))["data"][0]["lines"][0]["sku"] == "TEE-L"

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Credit").click()
    page.get_by_role("link", name="ada@example.com").click()
    expect(page.locator(".balance")).to_have_text("$54.00")
    page.get_by_label("Amount (at most $54.00)").fill("60")
    page.get_by_role("button", name="Redeem").click()
    expect(page.locator("#amount-error")).to_contain_text("balance")
    expect(page.locator(".balance")).to_have_text("$54.00")
    page.get_by_label("Amount (at most $54.00)").fill("10.50")
    page.get_by_label("Note").fill("Order X-9 paid with credit")
    page.get_by_role("button", name="Redeem").click()
    expect(page.get_by_role("status")).to_contain_text("redeemed")
    expect(page.locator(".balance")).to_have_text("$43.50")
    screenshot(page, "desk-store-credit")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Stock").click()
    page.get_by_label("SKU", exact=True).fill("TEE")
    page.get_by_role("button", name="Apply").click()
    row = page.locator("table.stock tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("TEE")
    expect(page.locator("table.ledger tbody tr")).to_have_count(3)
    screenshot(page, "desk-stock")
    page.get_by_label("From", exact=True).fill("2001-01-01")
    page.get_by_label("To", exact=True).fill("2001-01-31")
    page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("No movements match.")).to_be_visible()
    answer = page.goto("/desk/stock?from=2001-13-01")
    assert answer is not None
    assert answer.status == 422
    expect(page.locator("#from-error")).to_contain_text("YYYY-MM-DD")


def test_money_settings_save_whole_or_not_at_all_and_the_gateway_secret_shows_once(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    _sign_in(page, shop.keys["seller"])
    page.goto("/desk/settings")
    page.get_by_label("Store-credit bonus (%)").fill("10")
    page.get_by_label("Let customers keep items worth at most").fill("15.50")
    page.get_by_label("Refund or resolve").select_option("receipt")
    page.get_by_label("Refunds are paid").select_option("webhook")
    page.get_by_role("button", name="Save settings").click()
    # The webhook gateway needs an address: nothing of this save is kept.
    expect(page.locator("#payment_webhook_url-error")).to_contain_text("payment_webhook_url")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Store-credit bonus (%)")).to_have_value("10")
    kept = ok(shop.call("GET", "/v1/settings"))
    assert (kept["store_credit_bonus_percent"], kept["payment_gateway"]) == (0, "manual")

    page.get_by_label("Payment system address (for the webhook gateway)").fill(
        "https://93.184.215.14/refunds"  # a public address: the SSRF guard lets it through
    )
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#payment-secret")).to_have_text(re.compile(r"^\S{16,}$"))
    saved = ok(shop.call("GET", "/v1/settings"))
    assert saved["store_credit_bonus_percent"] == 10
    assert saved["keep_item_max_value"] == 1550
    assert saved["resolution_trigger"] == "receipt"
    assert saved["payment_gateway"] == "webhook"
    page.goto("/desk/settings")
    expect(page.locator("#payment-secret")).to_have_count(0)
    expect(page.get_by_label("Let customers keep items worth at most")).to_have_value("15.50")


def test_a_failing_endpoint_shows_each_attempt_and_a_delivery_is_replayed(
    page: Page, http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    monkeypatch.setattr(container.settings, "webhook_retry_schedule", [0])
    monkeypatch.setattr(container.settings, "webhook_timeout_seconds", 1.0)
    shop = open_shop(http, "Tidy Tees")
    # Nothing listens there: every attempt fails without an answer.
    hook = {"url": "http://127.0.0.1:65533/hook"}
    endpoint = ok(shop.call("POST", "/v1/webhook-endpoints", json=hook), 201)
    ret, _ = start_return(shop, "H-1", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/close", json={"note": "an event to send"}))
    worker = EventWorker(container)
    try:
        worker.drain()
    finally:
        worker.close()

    _sign_in(page, shop.keys["seller"])
    page.goto("/desk/webhooks")
    page.get_by_role("link", name="Delivery log of http://127.0.0.1:65533/hook").click()
    rows = page.locator("table.deliveries tbody tr")
    expect(rows.first).to_contain_text("return.closed")
    expect(rows.first).to_contain_text("failed")
    expect(rows.first.locator("ol.attempts li")).to_have_count(2)
    expect(rows.first).to_contain_text("no answer")
    screenshot(page, "desk-deliveries")
    rows.first.get_by_role("button", name="Replay delivery").click()
    expect(page.get_by_role("status")).to_contain_text("sent again")
    listed = ok(shop.call("GET", f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"))["data"]
    closed = next(d for d in listed if d["event_type"] == "return.closed")
    assert closed["status"] == "pending"


def test_a_sku_policy_exempts_a_sku_from_prepaid_labels_and_is_deleted_once_confirmed(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    _sign_in(page, shop.keys["seller"])
    page.goto("/desk/sku-policies")
    page.get_by_label("SKU", exact=True).fill("SOFA-XL")
    page.get_by_label("Window (days)").fill("ninety")
    page.get_by_role("button", name="Save SKU policy").click()
    expect(page.locator("#window_days-error")).to_contain_text("whole number")
    expect(page.get_by_label("SKU", exact=True)).to_have_value("SOFA-XL")
    assert ok(shop.call("GET", "/v1/sku-policies"))["data"] == []

    page.get_by_label("Window (days)").fill("90")
    page.get_by_label("Label paid by").select_option("seller")
    page.get_by_label("This SKU is exempt").check()
    page.get_by_label("Requests for an exempt SKU are authorized").select_option("automatic")
    page.get_by_role("button", name="Save SKU policy").click()
    expect(page.locator("table.sku-policies")).to_contain_text("Exempt: authorized automatic")
    [saved] = ok(shop.call("GET", "/v1/sku-policies"))["data"]
    assert (saved["window_days"], saved["label_paid_by"], saved["returnable"]) == (
        90,
        "seller",
        None,
    )
    assert (saved["prepaid_label_exempt"], saved["exempt_authorization"]) == (True, "automatic")

    page.get_by_role("button", name="Delete the policy of SOFA-XL").click()
    expect(page.get_by_role("heading", name="Delete this SKU policy?")).to_be_visible()
    page.get_by_role("button", name="Delete the SKU policy").click()
    expect(page.get_by_text("No SKU has its own rules.")).to_be_visible()
    assert ok(shop.call("GET", "/v1/sku-policies"))["data"] == []


def test_addresses_are_edited_made_default_and_deleted_and_a_policy_is_deleted(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    place = {"name": "Returns", "line1": "1 Dock Road", "city": "Reno", "postal_code": "89501"}
    for label in ("Reno", "Hull"):
        body = {"label": label, "address": {**place, "country": "US"}}
        ok(shop.call("POST", "/v1/return-addresses", json=body), 201)
    ok(shop.call("PUT", "/v1/policies/tops", json={"window_days": 45}))
    _sign_in(page, shop.keys["seller"])
    page.goto("/desk/addresses")

    page.get_by_role("link", name="Edit Hull").click()
    expect(page.get_by_label("Street", exact=True)).to_have_value("1 Dock Road")
    page.get_by_label("Street", exact=True).fill("2 Quay Street")
    page.get_by_label("Country (2 letters)").fill("GBR")
    page.get_by_role("button", name="Save the address").click()
    expect(page.locator("#country-error")).to_contain_text("two-letter")
    page.get_by_label("Country (2 letters)").fill("gb")
    page.get_by_role("button", name="Save the address").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.locator("table.addresses")).to_contain_text("2 Quay Street")

    page.get_by_role("button", name="Make Hull the default").click()
    expect(page.get_by_role("row", name="Hull")).to_contain_text("Default")
    page.get_by_role("button", name="Delete Hull").click()
    expect(page.get_by_role("heading", name="Delete this return address?")).to_be_visible()
    page.get_by_role("button", name="Delete the return address").click()
    expect(page.get_by_role("status")).to_contain_text("deleted")
    listed = ok(shop.call("GET", "/v1/return-addresses"))["data"]
    assert [a["label"] for a in listed] == ["Reno"]

    page.goto("/desk/policies")
    page.get_by_role("button", name="Delete the policy of tops").click()
    page.get_by_role("button", name="Delete the category policy").click()
    expect(page.get_by_text("No category policy")).to_be_visible()
    assert ok(shop.call("GET", "/v1/policies"))["data"] == []


def test_no_desk_page_scrolls_sideways_on_a_phone(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http, "Tidy Tees")
    ret, _ = inspected_return(shop, "M-1", reason="CR-DEFECTIVE")
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json={"refund_amount": 1000}))
    _sign_in(page, shop.keys["seller"])
    expect(page.locator("#refunds-to-pay")).to_have_text("1 refund waiting to be paid")
    page.set_viewport_size({"width": 390, "height": 844})
    for path in (
        "/desk",
        "/desk/returns",
        f"/desk/returns/{ret}",
        "/desk/refunds",
        "/desk/orders",
        "/desk/store-credit",
        "/desk/stock",
        "/desk/settings",
        "/desk/addresses",
        "/desk/policies",
        "/desk/sku-policies",
        "/desk/reason-codes",
        "/desk/webhooks",
    ):
        page.goto(path)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide on a phone"
