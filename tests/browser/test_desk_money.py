"""A return run to the end on the desk: authorized, received and inspected at the station,
resolved with a partial refund, marked paid, topped up and closed; photos, flags, the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import ON_SQLITE, screenshot
from tests.browser.test_warehouse import scan
from tests.browser.test_warehouse import sign_in as station_sign_in
from tests.support import Shop, ok, open_shop

pytestmark = ON_SQLITE

LINES = [
    {
        "line_id": "1",
        "sku": "TEE-ORG-M",
        "name": "Organic tee",
        "quantity": 2,
        "unit_price": 2500,
        "tax_per_unit": 200,
    },
    {
        "line_id": "2",
        "sku": "MUG-BLUE",
        "name": "Blue mug",
        "quantity": 1,
        "unit_price": 1200,
        "tax_per_unit": 96,
    },
]
ADDRESS = {"name": "Tidy Returns", "line1": "1 Dock Road", "city": "Reno", "postal_code": "89501"}


def _picture(tmp_path: Path, name: str, colour: tuple[int, int, int]) -> str:
    path = tmp_path / name
    Image.new("RGB", (64, 48), colour).save(path)
    return str(path)


def _pending_return(shop: Shop) -> dict[str, Any]:
    """Two tees and a mug, asked for after the window: they wait for the seller."""
    body = {"label": "Dock", "address": {**ADDRESS, "country": "US"}, "make_default": True}
    ok(shop.call("POST", "/v1/return-addresses", json=body), 201)
    shop.order("D-1001", lines=LINES, delivered_days_ago=45, shipping_amount=999)
    items = [
        {"line_id": "1", "quantity": 2, "reason_code": "CR-DEFECTIVE"},
        {"line_id": "2", "quantity": 1, "reason_code": "CR-DEFECTIVE"},
    ]
    created: dict[str, Any] = ok(
        shop.call("POST", "/v1/returns", json={"order_number": "D-1001", "items": items}), 201
    )
    assert created["status"] == "pending_review"
    return created


def _customer_adds_a_photo(
    browser: Browser, server_url: str, ret: dict[str, Any], photo: str
) -> None:
    context = browser.new_context(base_url=server_url)
    page = context.new_page()
    page.goto("/returns")
    page.get_by_label("Order number").fill("D-1001")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.goto(f"/returns/r/{ret['id']}")
    page.locator("input[type=file]").first.set_input_files(photo)
    page.get_by_role("button", name="Upload").first.click()
    expect(page.get_by_role("status").filter(has_text="Photo added")).to_be_visible()
    context.close()


def _desk_sign_in(page: Page, key: str) -> None:
    page.goto("/desk/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def _station_receives_and_inspects(
    browser: Browser, server_url: str, shop: Shop, rma: str, ret: dict[str, Any], photo: str
) -> None:
    context = browser.new_context(base_url=server_url)
    page = context.new_page()
    station_sign_in(page, shop)
    scan(page, rma)
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("received")
    tee, mug = ret["items"]
    tee_card = page.locator(f"#item-{tee['id']}")
    tee_card.get_by_label("Add a photo").set_input_files(photo)
    tee_card.get_by_role("button", name="Upload").click()
    expect(tee_card.get_by_role("img", name="Photo 1 of Organic tee")).to_be_visible()
    # Returned as defective, found sellable: the desk sees a reason-mismatch flag.
    tee_card.get_by_label("Condition").select_option("sellable")
    tee_card.get_by_label("Disposition").select_option("restock")
    tee_card.get_by_role("button", name="Record the inspection").click()
    mug_card = page.locator(f"#item-{mug['id']}")
    mug_card.get_by_label("Condition").select_option("defective")
    mug_card.get_by_label("Disposition").select_option("return_to_vendor")
    mug_card.get_by_role("button", name="Record the inspection").click()
    expect(page.locator("h1 .badge")).to_have_text("inspected")
    context.close()


def _refunds(shop: Shop, ret: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = ok(shop.call("GET", f"/v1/returns/{ret['id']}/resolution"))[
        "refunds"
    ]
    return found


def _fits_a_phone(page: Page) -> None:
    """At 390 px the page never scrolls sideways: wide tables scroll inside their box."""
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "() => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 391)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert width <= 390, f"{page.url} is {width} px wide on a phone: {wide}"
    page.set_viewport_size({"width": 1280, "height": 900})


def test_a_return_goes_from_review_to_refunded_and_closed_on_the_desk(
    page: Page, browser: Browser, server_url: str, http: httpx.Client, tmp_path: Path
) -> None:
    shop = open_shop(http, "Tidy Tees")
    ret = _pending_return(shop)
    _customer_adds_a_photo(browser, server_url, ret, _picture(tmp_path, "crack.png", (200, 30, 30)))

    _desk_sign_in(page, shop.keys["seller"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Returns").click()
    page.get_by_label("Search").fill("d-100")  # part of the order number, any case
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    page.locator("table.queue").get_by_role("link", name="Review request").click()
    expect(
        page.get_by_role("img", name="From the customer: photo 1 of Organic tee")
    ).to_be_visible()
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator("h1 .badge")).to_have_text("authorized")
    rma = page.locator("h1 .rma").inner_text()

    _station_receives_and_inspects(
        browser, server_url, shop, rma, ret, _picture(tmp_path, "tee.png", (11, 92, 173))
    )

    page.reload()
    expect(page.locator("h1 .badge")).to_have_text("inspected")
    expect(
        page.get_by_role("img", name="From the warehouse: photo 1 of Organic tee")
    ).to_be_visible()
    expect(page.locator(".flags")).to_contain_text("reason mismatch")
    expect(page.locator(".flags")).to_contain_text("TEE-ORG-M: returned as CR-DEFECTIVE")
    # Who did what, by name: the seller's key, the rules, the warehouse's key.
    history = page.locator("#history-h + .scroll")
    for who in ("Seller key rma_sk_", "Automatic", "Warehouse key rma_sk_"):
        expect(history).to_contain_text(who)
    expect(history).not_to_contain_text("seller:key_")
    # Seller's fault: goods, tax and the shipping share back, no fee, no label charged.
    expect(page.get_by_label("Refund breakdown")).to_contain_text("$62.00")
    expect(page.locator("#refund-total")).to_have_text("$76.95")
    screenshot(page, "desk-resolve")

    page.get_by_label("Refund only part of it (optional)").fill("80")
    page.get_by_role("button", name="Resolve the return").click()
    expect(page.locator("#refund_amount-error")).to_contain_text("at most")
    assert _refunds(shop, ret) == []
    page.get_by_label("Refund only part of it (optional)").fill("50.00")
    form = "document.querySelector('form[action$=\"/resolve\"]')"
    sent = page.evaluate(f"() => Object.fromEntries(new FormData({form}))")
    page.get_by_role("button", name="Resolve the return").click()
    expect(page.locator("h1 .badge")).to_have_text("resolved")
    expect(page.locator("#left-to-refund")).to_have_text("$26.95")
    # The same form sent again (a double click, a reload) resolves and refunds nothing twice.
    again = page.request.post(
        f"/desk/returns/{ret['id']}/resolve", form={**sent, "step": "confirm"}
    )
    assert again.ok
    assert again.url.endswith("?done=resolved")
    assert [r["amount"] for r in _refunds(shop, ret)] == [5000]

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Refunds").click()
    page.get_by_role("link", name="Pending").click()
    expect(page.locator("table.refunds tbody tr")).to_have_count(1)
    expect(page.locator("table.refunds")).to_contain_text("$50.00")
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_role("alert").first).to_contain_text("reference")
    page.get_by_label("Payment reference for refund 1").fill("bank-77")
    screenshot(page, "desk-refunds")
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_role("status")).to_contain_text("Marked as paid")
    assert [(r["status"], r["reference"]) for r in _refunds(shop, ret)] == [
        ("succeeded", "bank-77")
    ]
    # A refund no longer pending is not confirmed again: the page says why, nothing changes.
    paid = _refunds(shop, ret)[0]
    csrf = page.locator("input[name=csrf]").first.get_attribute("value") or ""
    late = page.request.post(
        f"/desk/refunds/{paid['id']}/failed",
        form={"csrf": csrf, "reason": "bank bounced it", "back": "/desk/refunds"},
    )
    assert late.status == 409
    assert "already succeeded" in late.text()
    assert _refunds(shop, ret)[0]["status"] == "succeeded"

    page.locator("table.refunds").get_by_role("link", name=rma).click()
    page.get_by_label("Amount (at most $26.95)").fill("30")
    page.get_by_role("button", name="Refund this amount").click()
    expect(page.locator("#amount-error")).to_contain_text("at most $26.95")
    assert len(_refunds(shop, ret)) == 1
    page.get_by_label("Amount (at most $26.95)").fill("26.95")
    page.get_by_label("Note", exact=True).first.fill("Rest of the refund")
    page.get_by_role("button", name="Refund this amount").click()
    expect(page.get_by_role("status")).to_contain_text("top-up is recorded")
    expect(page.locator("#left-to-refund")).to_have_text("$0.00")
    assert [(r["sequence"], r["amount"]) for r in _refunds(shop, ret)] == [(1, 5000), (2, 2695)]

    page.locator("#close_note").fill("Refunded in full")
    page.get_by_role("button", name="Close the return").click()
    expect(page.locator("h1 .badge")).to_have_text("closed")
    screenshot(page, "desk-return-money")
    _fits_a_phone(page)
    closed = ok(shop.call("GET", f"/v1/returns/{ret['id']}"))
    assert closed["status"] == "closed"

    page.goto("/desk/returns")
    _fits_a_phone(page)
    shown = [
        [cell.strip() for cell in row.locator("td").all_inner_texts()[1:]]
        for row in page.locator("table.queue tbody tr").all()
    ]
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:7] == ["Return", "Order", "Customer", "Status", "Policy", "Items", "Created"]
    assert [row[:7] for row in rows[1:]] == shown
    assert shown[0][:4] == [rma, "D-1001", "ada@example.com", "closed"]


def test_bulk_deny_needs_a_reason_and_bulk_close_takes_everything_the_filter_shows(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http, "Tidy Tees")
    waiting = []
    for n in range(1, 4):
        shop.order(f"B-{n}", delivered_days_ago=45)
        waiting.append(ok(shop.request_return(f"B-{n}", [("1", 1)]), 201))
    _desk_sign_in(page, shop.keys["seller"])
    page.goto("/desk/returns?status=pending_review")
    expect(page.locator("#total")).to_have_text("3")

    page.get_by_label("Select all on this page").check()
    page.get_by_label("Note (to deny or close)").fill("Outside our window")
    page.get_by_role("button", name="Deny selected").click()
    expect(page.locator("#error-summary")).to_contain_text("Choose why the returns are denied")
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Note (to deny or close)")).to_have_value("Outside our window")
    statuses = {ok(shop.call("GET", f"/v1/returns/{r['id']}"))["status"] for r in waiting}
    assert statuses == {"pending_review"}

    page.get_by_label("Select return of order B-1").check()
    page.get_by_label("Reason (to deny)").select_option("return_period_ended")
    page.get_by_role("button", name="Deny selected").click()
    expect(page.get_by_role("heading", name="Denied 1 return")).to_be_visible()
    expect(page.locator("#total")).to_have_text("2")

    page.get_by_label("Note (to deny or close)").fill("Season over")
    page.get_by_role("button", name="Close selected").click()
    expect(page.locator("#error-summary")).to_contain_text("Select at least one return")
    page.get_by_label("Apply to all 2 returns that match the filter").check()
    page.get_by_role("button", name="Close selected").click()
    expect(page.get_by_role("heading", name="Closed 2 returns")).to_be_visible()
    final = [ok(shop.call("GET", f"/v1/returns/{r['id']}")) for r in waiting]
    assert [r["status"] for r in final] == ["denied", "closed", "closed"]
    assert final[2]["history"][-1]["note"] == "Season over"
