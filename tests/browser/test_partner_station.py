"""The partner station in Chromium: a 3PL receives and inspects its returns, and only those."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from rma.bootstrap import Container
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.partner_support import MIXED_LINES, drain, partnered_shop, supplier_links
from tests.support import ok

pytestmark = ON_SQLITE

SCAN_FIELD = "RMA number"
# The outermost elements reaching past the right edge, to say what made a page too wide.
WIDE_ELEMENTS = """
[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391
    && e.parentElement.getBoundingClientRect().right <= 391)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))
"""


def sign_in(page: Page, key: str) -> None:
    page.goto("/partner")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def fits_390(page: Page) -> None:
    """At a phone's 390 px, nothing makes the page scroll sideways."""
    page.set_viewport_size({"width": 390, "height": 844})
    wide = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(WIDE_ELEMENTS) if wide > 390 else []
    assert wide <= 390, f"the page is {wide} px wide at 390 px: {culprits}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_3pl_receives_and_inspects_through_its_station(page: Page, http: httpx.Client) -> None:
    world = partnered_shop(http, "Shoe & Mug")
    world.shop.order("B-1", lines=MIXED_LINES)
    shoe = ok(world.shop.request_return("B-1", [("3", 1)]), 201)
    own = ok(world.shop.request_return("B-1", [("1", 1)]), 201)  # our own warehouse's
    assert shoe["status"] == "authorized"
    assert shoe["return_address"]["line1"] == "77 Logistics Way"  # the 3PL's facility
    item = shoe["items"][0]["id"]

    sign_in(page, world.keys["3pl"])
    expect(page.get_by_role("heading", name="Returns routed to FastFul")).to_be_visible()
    expect(page.get_by_role("link", name=shoe["rma_number"])).to_be_visible()
    expect(page.get_by_text(own["rma_number"])).to_have_count(0)
    fits_390(page)

    # Our own warehouse's return is not the 3PL's to find, by scan or by address.
    field = page.get_by_label(SCAN_FIELD)
    field.fill(own["rma_number"])
    field.press("Enter")
    expect(page.get_by_role("alert")).to_contain_text("None of your returns")
    missing = page.goto(f"/partner/returns/{own['id']}")
    assert missing is not None
    assert missing.status == 404

    page.goto("/partner")
    field = page.get_by_label(SCAN_FIELD)
    field.fill(shoe["rma_number"])
    field.press("Enter")
    expect(page.get_by_role("heading", name=f"Return {shoe['rma_number']}")).to_be_visible()
    expect(page.get_by_text("Routed to FastFul by rule 2")).to_be_visible()
    fits_390(page)
    screenshot(page, "partner-station-receive")
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("received")

    card = page.locator(f"#item-{item}")
    card.get_by_label("Condition").select_option("sellable")
    card.get_by_label("Disposition").select_option("restock")
    card.get_by_label("Note").fill("Box dented, shoes fine")
    card.get_by_role("button", name="Record the inspection").click()
    expect(page.locator("h1 .badge")).to_have_text("inspected")
    expect(card.get_by_text("Box dented, shoes fine")).to_be_visible()

    seen = ok(world.shop.call("GET", f"/v1/returns/{shoe['id']}"))
    assert seen["status"] == "inspected"
    assert seen["items"][0]["condition"] == "sellable"
    assert seen["history"][-1]["actor"].startswith("partner:")


def test_another_partner_cannot_open_the_3pls_return(
    browser: Browser, page: Page, http: httpx.Client, server_url: str
) -> None:
    world = partnered_shop(http)
    world.shop.order("B-2", lines=MIXED_LINES)
    shoe = ok(world.shop.request_return("B-2", [("3", 1)]), 201)

    sign_in(page, world.keys["other_3pl"])
    expect(page.get_by_text("No return is routed to you yet.")).to_be_visible()
    refused = page.goto(f"/partner/returns/{shoe['id']}")
    assert refused is not None
    assert refused.status == 404
    # Nor may a partner's key open the seller's desk or the warehouse station.
    desk = page.goto("/desk")
    assert desk is not None
    assert desk.status == 403
    ok(world.shop.call("GET", f"/v1/returns/{shoe['id']}"))  # still untouched
    assert ok(world.shop.call("GET", f"/v1/returns/{shoe['id']}"))["status"] == "authorized"


def test_a_supplier_answers_by_link_and_the_seller_reconciles_its_credit(
    page: Page, http: httpx.Client, container: Container
) -> None:
    world = partnered_shop(http, "Mug Shop")
    world.shop.order("B-3", lines=MIXED_LINES)
    made = ok(world.shop.request_return("B-3", [("2", 1)]), 201)
    drain(container)
    [links] = supplier_links(container)

    page.goto(links["Accept the return"])
    expect(page.get_by_role("heading", name="Accept the return of order B-3")).to_be_visible()
    fits_390(page)
    page.get_by_label("Your RMA number").fill("ACME-55")
    page.get_by_role("button", name="Accept the return").click()
    expect(page.get_by_role("heading", name="Return accepted")).to_be_visible()
    expect(page.get_by_text("ACME-55")).to_be_visible()

    ret = ok(world.shop.call("GET", f"/v1/returns/{made['id']}"))
    assert ret["status"] == "authorized"
    assert ret["return_address"]["line1"] == "9 Kiln Road"  # the partner's own, prefilled
    answer = {"outcome": "credit", "credit_memo": "CM-9"}
    ok(
        world.partner_call(
            "supplier", "POST", f"/v1/partner/returns/{made['id']}/resolve", json=answer
        )
    )

    page.goto("/desk/login")
    page.get_by_label("API key").fill(world.shop.keys["seller"])
    page.get_by_role("button", name="Sign in").click()
    page.goto("/desk/partners")
    expect(page.get_by_role("heading", name="Acme Mugs: 10.80 USD open")).to_be_visible()
    expect(page.get_by_text("Dropshipped by Acme")).to_be_visible()
    fits_390(page)
    screenshot(page, "desk-partners")
    page.get_by_label("Amount received").fill("10.8")
    page.get_by_role("button", name="Record").click()
    expect(page.get_by_role("heading", name="Acme Mugs: 0.00 USD open")).to_be_visible()
    [balance] = ok(world.shop.call("GET", "/v1/supplier-credit"))["data"]
    assert (balance["received"], balance["open"]) == (1080, 0)
    export = page.request.get("/desk/partners/credit.csv")
    assert export.headers["content-type"].startswith("text/csv")
    assert "ACME-55" in export.text()


def test_the_customer_sees_one_return_with_a_box_each(page: Page, http: httpx.Client) -> None:
    world = partnered_shop(http, "Mixed Goods")
    lines = [dict(line, name=line["sku"].title()) for line in MIXED_LINES]
    world.shop.order("B-4", lines=lines)

    page.goto("/returns")
    page.get_by_label("Order number").fill("B-4")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    for line in ("1", "2"):
        page.locator(f"#qty_{line}").select_option("1")
        page.locator(f"#reason_{line}").select_option(label="Defective/Does not work properly")
    page.get_by_role("button", name="Request the return").click()

    expect(page.get_by_role("heading", name="Your return goes in 2 boxes")).to_be_visible()
    boxes = page.locator("ol.boxes > li")
    expect(boxes).to_have_count(2)
    expect(boxes.nth(0)).to_contain_text("Send it to Own warehouse, 1 Dock St")
    expect(boxes.nth(1)).to_contain_text("Waiting for an answer")
    fits_390(page)
    page.locator("ol.boxes > li").nth(1).get_by_role("link", name="See this box").click()
    expect(
        page.get_by_role("heading", name="Your request is waiting for the supplier")
    ).to_be_visible()
    fits_390(page)
