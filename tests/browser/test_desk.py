"""A seller works the desk: the queue, bulk and single decisions, and the settings."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from rma.bootstrap import Container
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.support import Shop, ok, open_shop

pytestmark = ON_SQLITE

NOTE = "<script>alert('x')</script> Worn <b>twice</b>"


def sign_in(page: Page, key: str) -> None:
    page.goto("/desk/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()


def pending(shop: Shop, number: str) -> dict[str, Any]:
    """A return out of policy (asked after the window), waiting for the seller."""
    shop.order(number, delivered_days_ago=45)
    ret: dict[str, Any] = ok(shop.request_return(number, [("1", 1)]), 201)
    assert ret["status"] == "pending_review"
    return ret


def status_of(shop: Shop, return_id: str) -> dict[str, Any]:
    answer: dict[str, Any] = ok(shop.call("GET", f"/v1/returns/{return_id}"))
    return answer


def test_seller_authorizes_a_selection_then_denies_closes_and_reopens(
    page: Page, http: httpx.Client
) -> None:
    dialogs: list[str] = []

    def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", refuse)
    shop = open_shop(http, "Tidy Tees")
    waiting = [pending(shop, f"W-{n}") for n in range(1, 5)]
    shop.order("W-9")
    items = [
        {"line_id": "1", "quantity": 2, "reason_code": "CR-DEFECTIVE"},
        {"line_id": "2", "quantity": 1, "reason_code": "CR-DAMAGED_BY_CARRIER"},
    ]
    body = {"order_number": "W-9", "items": items}
    in_policy = ok(shop.call("POST", "/v1/returns", json=body), 201)

    sign_in(page, shop.keys["seller"])
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_role("img", name="Returned items by reason")).to_be_visible()
    screenshot(page, "desk-dashboard")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Returns").click()
    page.get_by_label("Status").select_option("pending_review")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("table.queue tbody tr")).to_have_count(4)
    for number in ("W-1", "W-2", "W-3"):
        page.get_by_label(f"Select return of order {number}").check()
    screenshot(page, "desk-queue")
    page.get_by_role("button", name="Authorize selected").click()

    expect(page.get_by_role("heading", name="Authorized 3 returns")).to_be_visible()
    statuses = [status_of(shop, ret["id"])["status"] for ret in waiting]
    assert statuses == ["authorized", "authorized", "authorized", "pending_review"]
    # The queue kept its filter: only the one left to decide is listed.
    expect(page.locator("table.queue tbody tr")).to_have_count(1)

    page.locator("table.queue").get_by_role("link", name="Request").click()
    page.get_by_label("Reason").select_option("item_not_eligible")
    page.get_by_label("Note to the customer").fill(NOTE)
    screenshot(page, "desk-return")
    page.get_by_role("button", name="Deny the return").click()
    expect(page.locator("h1 .badge")).to_have_text("denied")
    expect(page.locator("td.note")).to_contain_text([NOTE])
    denied = status_of(shop, waiting[3]["id"])
    assert (denied["status"], denied["customer_note"]) == ("denied", NOTE)
    assert denied["history"][-1]["note"] == NOTE

    page.goto(f"/desk/returns/{in_policy['id']}")
    page.get_by_label("Note", exact=True).fill("Customer kept it; refunded by phone")
    page.get_by_role("button", name="Close the return").click()
    expect(page.locator("h1 .badge")).to_have_text("closed")
    assert status_of(shop, in_policy["id"])["status"] == "closed"
    page.get_by_role("button", name="Reopen the return").click()
    expect(page.locator("h1 .badge")).to_have_text("authorized")
    expect(page.get_by_role("link", name="Label (PDF)")).to_be_visible()
    reopened = status_of(shop, in_policy["id"])
    assert reopened["status"] == "authorized"
    assert [h["to_status"] for h in reopened["history"]][-2:] == ["closed", "authorized"]
    assert dialogs == []


def test_a_custom_rma_number_already_used_is_refused_next_to_the_field(
    page: Page, http: httpx.Client
) -> None:
    shop = open_shop(http)
    first, second = pending(shop, "W-1"), pending(shop, "W-2")
    sign_in(page, shop.keys["seller"])

    page.goto(f"/desk/returns/{first['id']}")
    # What is typed in the field is used: no separate choice to tick.
    page.get_by_label("Your RMA number").fill("spring-42")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator("h1 .rma")).to_have_text("SPRING-42")

    page.goto(f"/desk/returns/{second['id']}")
    page.get_by_label("Your RMA number").fill("SPRING-42")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator("#rma_number-error")).to_contain_text("already used")
    expect(page.get_by_label("Your RMA number")).to_have_value("SPRING-42")
    expect(page.locator("#error-summary")).to_be_focused()

    page.get_by_label("Your RMA number").fill("no spaces!")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator("#rma_number-error")).to_contain_text("A-Z, 0-9")
    assert status_of(shop, second["id"])["status"] == "pending_review"

    page.get_by_label("Your RMA number").fill("SPRING-43")
    page.get_by_label("A new address:").check()
    for label, value in [("Label", "Dock 2"), ("Name", "Tidy Returns"), ("Street", "2 Quay St")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("City").fill("Hull")
    page.get_by_label("Postal code").fill("HU1 1AA")
    page.get_by_label("Country (2 letters)").fill("GB")
    page.get_by_role("button", name="Authorize", exact=True).click()
    expect(page.locator("h1 .rma")).to_have_text("SPRING-43")
    authorized = status_of(shop, second["id"])
    assert authorized["status"] == "authorized"
    assert authorized["return_address"]["line1"] == "2 Quay St"


def test_another_sellers_return_is_not_found_and_the_warehouse_is_kept_out(
    page: Page, http: httpx.Client
) -> None:
    mine, theirs = open_shop(http, "Mine"), open_shop(http, "Theirs")
    foreign = pending(theirs, "T-1")
    sign_in(page, mine.keys["seller"])
    answer = page.goto(f"/desk/returns/{foreign['id']}")
    assert answer is not None
    assert answer.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()

    page.context.clear_cookies()
    sign_in(page, mine.keys["warehouse"])
    expect(page).to_have_url(re.compile(r"/warehouse$"))
    answer = page.goto("/desk/returns")
    assert answer is not None
    assert answer.status == 403


def test_settings_are_saved_and_shown_again(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http, "Tidy Tees", kind="individual")
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/settings")
    page.get_by_label("Authorization").select_option("manual")
    page.get_by_label("Return window (days)").fill("45")
    page.get_by_label("Time zone").fill("Mars/Olympus")
    page.get_by_label("Notification email").fill("returns@tidy.example")
    page.get_by_label("Return requested", exact=True).check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#timezone-error")).to_contain_text("not an IANA time zone")
    expect(page.get_by_label("Return window (days)")).to_have_value("45")

    page.get_by_label("Time zone").fill("Europe/Paris")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_label("Time zone")).to_have_value("Europe/Paris")
    expect(page.get_by_label("Return requested", exact=True)).to_be_checked()
    screenshot(page, "desk-settings")
    settings = ok(shop.call("GET", "/v1/settings"))
    assert settings["authorization_mode"] == "manual"
    assert settings["window_days"] == 45
    assert settings["timezone"] == "Europe/Paris"
    assert settings["notification_email"] == "returns@tidy.example"
    assert "return.requested" in settings["email_preferences"]


def test_set_up_pages_add_an_address_a_policy_and_an_endpoint_and_retire_a_reason(
    page: Page, http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = open_shop(http)
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/addresses")
    page.get_by_label("Label").fill("Main <dock>")
    page.get_by_role("button", name="Add address").click()
    expect(page.locator("#city-error")).to_contain_text("needed")
    expect(page.get_by_label("Label")).to_have_value("Main <dock>")
    for label, value in [("Name", "Tidy Returns"), ("Street", "1 Dock Rd"), ("City", "Leeds")]:
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_label("Postal code").fill("LS1 1AA")
    page.get_by_label("Country (2 letters)").fill("gb")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_role("cell", name="Main <dock>", exact=True)).to_be_visible()
    [saved] = ok(shop.call("GET", "/v1/return-addresses"))["data"]
    assert (saved["label"], saved["address"]["country"]) == ("Main <dock>", "GB")

    page.get_by_role("link", name="Policies", exact=True).click()
    page.get_by_label("Category", exact=True).fill("swimwear")
    page.get_by_label("Window (days)").fill("14")
    page.get_by_label("Items of this category can be returned").uncheck()
    page.get_by_role("button", name="Save policy").click()
    expect(page.get_by_role("cell", name="14 days")).to_be_visible()
    [policy] = ok(shop.call("GET", "/v1/policies"))["data"]
    assert (policy["category"], policy["window_days"], policy["returnable"]) == (
        "swimwear",
        14,
        False,
    )

    page.get_by_role("link", name="Reason codes").click()
    page.get_by_role("button", name="Retire CR-FOUND_BETTER_PRICE").click()
    page.get_by_role("button", name="Retire the reason").click()
    expect(page.get_by_role("button", name="Restore CR-FOUND_BETTER_PRICE")).to_be_visible()

    page.get_by_label("Code", exact=True).fill("wet-<suit>")
    page.get_by_role("button", name="Save reason code").click()
    expect(page.locator("#description-error")).to_contain_text("what the reason means")
    expect(page.locator("#code-error")).to_contain_text("letters, digits")
    expect(page.get_by_label("Code", exact=True)).to_have_value("wet-<suit>")
    page.get_by_label("Code", exact=True).fill("wet-suit")
    page.get_by_label("Description").fill("Too cold for <it>")
    page.get_by_role("button", name="Save reason code").click()
    expect(page.get_by_role("cell", name="Too cold for <it>")).to_be_visible()
    codes = {c["code"]: c["active"] for c in ok(shop.call("GET", "/v1/reason-codes"))["data"]}
    assert (codes["CR-FOUND_BETTER_PRICE"], codes["WET-SUIT"]) == (False, True)

    page.get_by_role("link", name="Webhooks").click()
    page.get_by_label("URL", exact=True).fill("https://127.0.0.1/hooks")
    page.get_by_label("return.denied").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#url-error")).to_contain_text("private or reserved")
    expect(page.get_by_label("return.denied")).to_be_checked()
    monkeypatch.setattr(container.destinations, "allow_private", True)
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("status")).to_contain_text("whsec_")
    [endpoint] = ok(shop.call("GET", "/v1/webhook-endpoints"))["data"]
    assert (endpoint["url"], endpoint["event_types"]) == (
        "https://127.0.0.1/hooks",
        ["return.denied"],
    )


def test_the_queue_pages_on_with_its_filters_kept(page: Page, http: httpx.Client) -> None:
    shop = open_shop(http)
    for n in range(27):
        shop.order(
            f"P-{n:02}", lines=[{"line_id": "1", "sku": "TEE", "quantity": 1, "unit_price": 900}]
        )
        ok(shop.request_return(f"P-{n:02}", [("1", 1)]), 201)
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/returns?sku=TEE&sort=created_at")
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("P-00")
    page.get_by_role("link", name="Next page").click()
    expect(rows).to_have_count(2)
    expect(rows.last).to_contain_text("P-26")
    expect(page.get_by_label("SKU")).to_have_value("TEE")
    expect(page.get_by_role("link", name="Next page")).to_have_count(0)
    # Pages by number too: page 2 directly, and back to page 1.
    page.goto("/desk/returns?sku=TEE&sort=created_at")
    page.get_by_role("link", name="Page 2").click()
    expect(rows).to_have_count(2)
    expect(page.locator(".page-numbers [aria-current=page]")).to_have_text("2")
    page.get_by_role("link", name="Page 1").click()
    expect(rows.first).to_contain_text("P-00")
    page.goto("/desk/returns?cursor=not-a-cursor")
    expect(page.get_by_role("alert")).to_contain_text("page link is broken")
    expect(rows).to_have_count(25)


def test_the_seller_disables_rotates_and_deletes_a_webhook_endpoint(
    page: Page, http: httpx.Client, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(container.destinations, "allow_private", True)
    shop = open_shop(http)
    other = open_shop(http, "Other shop")
    created = ok(
        shop.call("POST", "/v1/webhook-endpoints", json={"url": "https://127.0.0.1/hooks"}), 201
    )
    theirs = ok(
        other.call("POST", "/v1/webhook-endpoints", json={"url": "https://127.0.0.1/theirs"}),
        201,
    )
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/webhooks")

    page.get_by_role("button", name="Disable https://127.0.0.1/hooks").click()
    expect(page.get_by_role("row", name="https://127.0.0.1/hooks")).to_contain_text("Disabled")
    page.get_by_role("button", name="New secret https://127.0.0.1/hooks").click()
    expect(page.get_by_role("status")).to_contain_text("previous one keeps signing")
    [endpoint] = ok(shop.call("GET", "/v1/webhook-endpoints"))["data"]
    assert endpoint["enabled"] is False
    shown = page.get_by_role("status").inner_text()
    assert "whsec_" in shown
    assert created["secret"] not in shown
    screenshot(page, "desk-webhooks")
    page.get_by_role("button", name="Enable https://127.0.0.1/hooks").click()
    expect(page.get_by_role("row", name="https://127.0.0.1/hooks")).to_contain_text("Enabled")
    page.get_by_role("button", name="Delete https://127.0.0.1/hooks").click()
    expect(page.get_by_role("heading", name="Delete this webhook endpoint?")).to_be_visible()
    page.get_by_role("link", name="Keep it").click()
    assert len(ok(shop.call("GET", "/v1/webhook-endpoints"))["data"]) == 1
    page.get_by_role("button", name="Delete https://127.0.0.1/hooks").click()
    page.get_by_role("button", name="Delete the endpoint").click()
    expect(page.get_by_text("No endpoint: add one")).to_be_visible()
    assert ok(shop.call("GET", "/v1/webhook-endpoints"))["data"] == []

    # Another seller's endpoint cannot be touched from this desk, nor its existence learnt.
    forged = page.request.post(
        f"/desk/webhooks/{theirs['id']}/delete",
        form={"csrf": _csrf(page), "form_key": "forged-1", "confirmed": "yes"},
    )
    assert forged.status == 404
    assert [e["id"] for e in ok(other.call("GET", "/v1/webhook-endpoints"))["data"]] == [
        theirs["id"]
    ]


def _csrf(page: Page) -> str:
    page.goto("/desk/webhooks")
    return page.locator("input[name=csrf]").first.input_value()
