"""A customer starts a return in the portal, downloads the label, and can cancel."""

from __future__ import annotations

from pathlib import Path

import httpx
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import ON_SQLITE, screenshot
from tests.returns_flow import inspected_return
from tests.support import ok, open_shop

pytestmark = ON_SQLITE


def test_customer_starts_a_return_and_downloads_the_label(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http, "Tidy Tees")
    shop.order(
        "W-1001",
        email="ada@example.com",
        lines=[
            {
                "line_id": "1",
                "sku": "TEE",
                "name": "Organic tee",
                "quantity": 2,
                "unit_price": 2500,
            },
            {"line_id": "2", "sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": 1200},
        ],
    )

    page.goto("/returns")
    screenshot(page, "portal-find-order")
    page.get_by_label("Order number").fill("W-1001")
    page.get_by_label("Email").fill("ADA@example.com")
    page.get_by_role("button", name="Find my order").click()

    expect(page.get_by_role("heading", name="Order W-1001")).to_be_visible()
    page.locator("#qty_1").select_option("1")
    page.locator("#reason_1").select_option(label="Defective/Does not work properly")
    page.locator("#comment_1").fill("Seam came apart <b>after one wash</b>")
    screenshot(page, "portal-choose-items")
    page.get_by_role("button", name="Request the return").click()

    expect(page.get_by_role("heading", name="Your return is authorized")).to_be_visible()
    rma = page.locator(".rma").first.inner_text()
    # What the customer typed is shown as text, never as markup.
    expect(page.get_by_text("Seam came apart <b>after one wash</b>")).to_be_visible()
    screenshot(page, "portal-authorized")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the label (PDF)").click()
    label = download.value.path().read_bytes()
    assert label.startswith(b"%PDF")

    returns = ok(shop.call("GET", "/v1/returns"))["data"]
    assert [(r["rma_number"], r["status"]) for r in returns] == [(rma, "authorized")]

    page.get_by_role("link", name="Track this return on its RMA page").click()
    expect(page.get_by_role("heading", name=f"Return {rma}")).to_be_visible()
    page.go_back()
    page.get_by_role("button", name="Cancel this return").click()
    expect(page.locator(".badge")).to_have_text("cancelled")


def test_a_wrong_email_finds_nothing_and_says_so_next_to_the_form(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    shop.order("W-2", email="grace@example.com")
    page.goto("/returns")
    page.get_by_label("Order number").fill("W-2")
    page.get_by_label("Email").fill("mallory@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("alert")).to_contain_text("no order with that number and email")
    expect(page.get_by_label("Order number")).to_have_value("W-2")


def test_a_customer_cannot_open_another_orders_return_by_changing_the_url(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    shop.order("W-3", email="ada@example.com")
    shop.order("W-4", email="eve@example.com")
    theirs = ok(shop.request_return("W-4", [("1", 1)]), 201)
    page.goto("/returns")
    page.get_by_label("Order number").fill("W-3")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name="Order W-3")).to_be_visible()
    answer = page.goto(f"/returns/r/{theirs['id']}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_the_return_form_survives_a_double_submit(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http)
    shop.order("W-5", email="ada@example.com")
    page.goto("/returns")
    page.get_by_label("Order number").fill("W-5")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.locator("#qty_1").select_option("1")
    page.locator("#reason_1").select_option("CR-UNWANTED_ITEM")
    # Two submissions of the very same form, as a double click sends them.
    page.evaluate(
        """() => { const f = document.querySelector("form[action='/returns/order']");
                   const data = new FormData(f);
                   return Promise.all([fetch(f.action, {method: 'POST', body: data}),
                                       fetch(f.action, {method: 'POST', body: data})]); }"""
    )
    assert len(ok(shop.call("GET", "/v1/returns"))["data"]) == 1


def test_customer_adds_a_photo_of_the_item_and_a_non_image_is_refused(
    page: Page, http: httpx.Client, tmp_path: Path
) -> None:
    shop = open_shop(http)
    shop.order("W-6", email="ada@example.com")
    page.goto("/returns")
    page.get_by_label("Order number").fill("W-6")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.locator("#qty_2").select_option("1")
    page.locator("#reason_2").select_option("CR-DEFECTIVE")
    page.get_by_role("button", name="Request the return").click()
    expect(page.get_by_role("heading", name="Your return is authorized")).to_be_visible()

    not_a_photo = tmp_path / "notes.txt"
    not_a_photo.write_text("<script>alert(1)</script>")
    page.locator("input[type=file]").set_input_files(str(not_a_photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("alert")).to_contain_text("That file is not a photo")

    photo = tmp_path / "crack.png"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo)
    page.locator("input[type=file]").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("status")).to_contain_text("Photo added")

    ret = ok(shop.call("GET", "/v1/returns"))["data"][0]
    findings = ok(shop.call("GET", f"/v1/returns/{ret['id']}/findings"))
    assert len(findings["photos"]) == 1


def test_a_customer_sees_the_store_credit_a_return_left_them(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    ret, item = inspected_return(shop, "W-3001", reason="CR-UNWANTED_ITEM")
    body = {"items": [{"item_id": item, "resolution": "store_credit"}]}
    ok(shop.call("POST", f"/v1/returns/{ret}/resolve", json=body))
    spend = {"customer_email": "ada@example.com", "currency": "USD", "amount": 1000}
    ok(shop.call("POST", "/v1/store-credit/redemptions", json=spend), 201)

    page.goto("/returns")
    page.get_by_label("Order number").fill("W-3001")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()

    credit = page.get_by_role("region", name="Your store credit")
    expect(credit).to_contain_text("$44.00 to spend with Tidy Tees")
    expect(credit).to_contain_text("$54.00 issued, $10.00 spent")
    screenshot(page, "portal-store-credit")
