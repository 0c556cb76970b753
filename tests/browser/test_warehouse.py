"""The warehouse station: scan a box, receive and inspect its return, queue unknown boxes."""

from __future__ import annotations

import io
import re
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Dialog, Page, expect

from rma.domain.rma_numbers import ALPHABET
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.support import Shop, ok, open_shop

pytestmark = ON_SQLITE

SCAN_FIELD = "RMA number, tracking number or packing-slip code"
SCRIPT = "<script>alert(1)</script>"
LINES = [
    {"line_id": "1", "sku": "TEE-ORG-M", "name": "Organic tee", "quantity": 2, "unit_price": 2500},
    {"line_id": "2", "sku": "MUG-BLUE", "name": "Blue mug", "quantity": 1, "unit_price": 1200},
]


def authorized(shop: Shop, number: str) -> dict[str, Any]:
    """An order of a tee (2) and a mug, all of it authorized for return."""
    shop.order(number, lines=LINES)
    created: dict[str, Any] = ok(shop.request_return(number, [("1", 2), ("2", 1)]), 201)
    assert created["status"] == "authorized"
    return created


def sign_in(page: Page, shop: Shop) -> None:
    page.goto("/warehouse")
    page.get_by_label("API key").fill(shop.keys["warehouse"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Scan a box")).to_be_visible()


def scan(page: Page, code: str) -> None:
    """Type the code as a keyboard-wedge scanner does: characters, then Enter."""
    field = page.get_by_label(SCAN_FIELD)
    expect(field).to_be_focused()
    field.fill(code)
    field.press("Enter")


def no_dialogs(page: Page) -> list[str]:
    """Every dialog the page opens (a script that ran); dismissed, and the test fails on it."""
    opened: list[str] = []

    def record(dialog: Dialog) -> None:
        opened.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)
    return opened


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (48, 48), (11, 92, 173)).save(buffer, "PNG")
    return buffer.getvalue()


def test_a_scanned_box_is_received_and_each_item_inspected(page: Page, http: httpx.Client) -> None:
    dialogs = no_dialogs(page)
    shop = open_shop(http, "Tidy Tees")
    ret = authorized(shop, "W-1001")
    tee, mug = ret["items"]

    sign_in(page, shop)
    # Scanners and people type it in any case, with or without the dashes.
    scan(page, ret["rma_number"].replace("-", "").lower())
    expect(page.get_by_role("heading", name=f"Return {ret['rma_number']}")).to_be_visible()
    expect(page.get_by_role("cell", name="Organic tee TEE-ORG-M")).to_be_visible()
    expect(page.get_by_label("Units of Organic tee in this box")).to_have_value("2")
    expect(page.get_by_label("Units of Blue mug in this box")).to_have_value("1")
    screenshot(page, "warehouse-receive")
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("received")

    tee_card = page.locator(f"#item-{tee['id']}")
    tee_card.get_by_label("Add a photo").set_input_files(
        {"name": "tee.png", "mimeType": "image/png", "buffer": b"<svg onload=alert(1)>"}
    )
    tee_card.get_by_role("button", name="Upload").click()
    expect(tee_card.get_by_role("alert")).to_contain_text("not a photo")
    tee_card.get_by_label("Add a photo").set_input_files(
        {"name": "tee.png", "mimeType": "image/png", "buffer": png()}
    )
    tee_card.get_by_role("button", name="Upload").click()
    expect(tee_card.get_by_role("img", name="Photo 1 of Organic tee")).to_be_visible()
    tee_card.get_by_label("Condition").select_option("sellable")
    tee_card.get_by_label("Disposition").select_option("restock")
    tee_card.get_by_label("Note").fill(f"Tags on {SCRIPT}")
    tee_card.get_by_role("button", name="Record the inspection").click()
    expect(tee_card.get_by_text(f"Tags on {SCRIPT}")).to_be_visible()

    mug_card = page.locator(f"#item-{mug['id']}")
    mug_card.get_by_label("Accepted units").fill("0")
    mug_card.get_by_label("Condition").select_option("customer_damaged")
    mug_card.get_by_label("Disposition").select_option("dispose")
    mug_card.get_by_role("button", name="Record the inspection").click()
    expect(mug_card.get_by_role("alert")).to_have_text(
        "Accepted and rejected units must add up to those received."
    )
    expect(mug_card.get_by_label("Condition")).to_have_value("customer_damaged")
    mug_card.get_by_label("Rejected units").fill("1")
    mug_card.get_by_label("Note").fill("Handle snapped off")
    screenshot(page, "warehouse-inspect")
    mug_card.get_by_role("button", name="Record the inspection").click()
    expect(page.locator("h1 .badge")).to_have_text("inspected")

    seen = ok(shop.call("GET", f"/v1/returns/{ret['id']}", "warehouse"))
    assert seen["status"] == "inspected"
    judged = {i["sku"]: (i["accepted_quantity"], i["condition"]) for i in seen["items"]}
    assert judged == {"TEE-ORG-M": (2, "sellable"), "MUG-BLUE": (0, "customer_damaged")}
    assert dialogs == []


def test_a_mistyped_rma_number_says_its_check_character_is_wrong(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    ret = authorized(shop, "W-2")
    first = ret["rma_number"][0]
    typo = ALPHABET[(ALPHABET.index(first) + 1) % len(ALPHABET)] + ret["rma_number"][1:]

    sign_in(page, shop)
    scan(page, typo)
    expect(page.get_by_role("alert")).to_contain_text("check character does not match")
    expect(page.get_by_label(SCAN_FIELD)).to_have_value(typo)
    # The next scan replaces the wrong code rather than adding to it.
    expect(page.get_by_label(SCAN_FIELD)).to_be_focused()
    screenshot(page, "warehouse-scan")


def test_an_unknown_box_is_queued_with_its_note_then_matched_by_hand(
    page: Page, http: httpx.Client
) -> None:
    dialogs = no_dialogs(page)
    shop = open_shop(http)
    ret = authorized(shop, "W-3")

    sign_in(page, shop)
    scan(page, "1Z999AA10123456784")
    expect(page.get_by_role("heading", name="No return matches 1Z999AA10123456784")).to_be_visible()
    page.get_by_label("Note about the box").fill(f"Blue tee, no slip {SCRIPT}")
    page.get_by_role("button", name="Add to the unannounced queue").click()
    expect(page.get_by_role("status")).to_contain_text("unannounced queue")
    expect(page.get_by_label(SCAN_FIELD)).to_be_focused()

    page.get_by_role("link", name="Unannounced boxes").first.click()
    row = page.get_by_role("row", name=re.compile("1Z999AA10123456784"))
    expect(row.get_by_text(f"Blue tee, no slip {SCRIPT}")).to_be_visible()
    screenshot(page, "warehouse-unannounced")
    row.get_by_label("RMA number for the box 1Z999AA10123456784").fill("NOT-A-RETURN")
    row.get_by_role("button", name="Match").click()
    expect(page.get_by_role("alert")).to_contain_text("No return of yours")

    row = page.get_by_role("row", name=re.compile("1Z999AA10123456784"))
    row.get_by_label("RMA number for the box 1Z999AA10123456784").fill(ret["rma_number"].lower())
    row.get_by_role("button", name="Match").click()
    expect(page.get_by_role("heading", name=f"Return {ret['rma_number']}")).to_be_visible()
    expect(page.locator("h1 .badge")).to_have_text("received")

    page.goto("/warehouse/unannounced")
    expect(page.get_by_text("No unannounced boxes")).to_be_visible()
    queue = ok(shop.call("GET", "/v1/receipts", "warehouse", params={"status": "matched_by_hand"}))
    assert [r["scan"] for r in queue["data"]] == ["1Z999AA10123456784"]
    assert dialogs == []


def test_a_short_box_and_an_extra_unit_are_received_as_counted_and_flagged(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    ret = authorized(shop, "W-6")
    sign_in(page, shop)
    scan(page, ret["id"])  # the packing-slip code
    page.get_by_label("Units of Organic tee in this box").fill("1")
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("partially received")
    expect(page.get_by_label("Units of Organic tee in this box")).to_have_value("1")
    expect(page.get_by_label("Units of Blue mug in this box")).to_have_value("0")

    page.get_by_label("Units of Organic tee in this box").fill("2")
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("received")
    flags = page.get_by_role("region", name="Flags")
    expect(flags).to_contain_text("partial receipt")
    expect(flags).to_contain_text("TEE-ORG-M: 3 received, more than the 2 authorized")


def test_a_seller_who_resolves_on_receipt_is_resolved_when_the_station_receives(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    ok(shop.call("PUT", "/v1/settings", json={"resolution_trigger": "receipt"}))
    ret = authorized(shop, "W-9")
    sign_in(page, shop)
    scan(page, ret["rma_number"])
    page.get_by_role("button", name="Receive these units").click()
    expect(page.locator("h1 .badge")).to_have_text("resolved")
    # Resolved early, the items are still inspected at the station.
    expect(page.get_by_role("button", name="Record the inspection")).to_have_count(2)


def test_the_receive_form_survives_a_double_submit(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized(shop, "W-8")
    sign_in(page, shop)
    page.goto(f"/warehouse/returns/{ret['id']}")
    page.get_by_label("Units of Organic tee in this box").fill("1")
    # Two submissions of the very same form, as a double click sends them.
    page.evaluate(
        """() => { const f = document.querySelector("form[action$='/receive']");
                   const data = new FormData(f);
                   return Promise.all([fetch(f.action, {method: 'POST', body: data}),
                                       fetch(f.action, {method: 'POST', body: data})]); }"""
    )
    seen = ok(shop.call("GET", f"/v1/returns/{ret['id']}", "warehouse"))
    assert [i["received_quantity"] for i in seen["items"]] == [1, 1]
    receipts = ok(shop.call("GET", "/v1/receipts", "warehouse"))["data"]
    assert len(receipts) == 1


def test_the_scan_page_works_without_javascript(
    browser: Browser, server_url: str, http: httpx.Client
) -> None:
    shop = open_shop(http)
    ret = authorized(shop, "W-7")
    context = browser.new_context(base_url=server_url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, shop)
    scan(page, ret["rma_number"])
    expect(page.get_by_role("heading", name=f"Return {ret['rma_number']}")).to_be_visible()
    context.close()


def test_another_sellers_box_is_neither_matched_nor_shown(page: Page, http: httpx.Client) -> None:
    mine, theirs = open_shop(http, "Mine"), open_shop(http, "Theirs")
    own = authorized(mine, "W-4")
    other = authorized(theirs, "W-4-THEIRS")

    sign_in(page, mine)
    scan(page, other["rma_number"])
    expect(page.get_by_role("heading", name=re.compile("No return matches"))).to_be_visible()
    expect(page.get_by_text("W-4-THEIRS")).to_have_count(0)

    for ref in (other["id"], other["rma_number"]):
        answer = page.goto(f"/warehouse/returns/{ref}")
        assert answer is not None
        assert answer.status == 404
    # A receive form of our own return, sent to theirs: not found, and nothing is queued.
    page.goto(f"/warehouse/returns/{own['id']}")
    status = page.evaluate(
        """(target) => { const f = document.querySelector("form[action$='/receive']");
                         return fetch(target, {method: 'POST', body: new FormData(f)})
                           .then(r => r.status); }""",
        f"/warehouse/returns/{other['id']}/receive",
    )
    assert status == 404
    assert ok(theirs.call("GET", f"/v1/returns/{other['id']}"))["status"] == "authorized"
    assert ok(mine.call("GET", "/v1/receipts", "warehouse"))["data"] == []


def test_a_customer_session_opens_nothing_at_the_station(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http)
    ret = authorized(shop, "W-5")
    page.goto("/returns")
    page.get_by_label("Order number").fill("W-5")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name="Order W-5")).to_be_visible()

    page.goto(f"/warehouse/returns/{ret['id']}")
    expect(page).to_have_url(re.compile(r"/warehouse/login\?next="))
    expect(page.get_by_label("API key")).to_be_visible()
