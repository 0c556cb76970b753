"""A customer's return from start to refund in Chromium, on a desktop and on a phone."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from rma.bootstrap import Container
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.customer_support import catalogue_shop, order_with_catalogue
from tests.e2e.test_customer_emails import clear_mail, delivered, text_of
from tests.support import Shop, ok

pytestmark = ON_SQLITE

PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def empty_mail_folder(container: Container) -> Iterator[None]:
    """What a test reads in the mail folder is what it sent; it leaves the folder empty."""
    clear_mail(container)
    yield
    clear_mail(container)


@pytest.fixture
def phone(browser: Browser, server_url: str, http: httpx.Client) -> Iterator[BrowserContext]:
    """A phone-sized browser with a touch screen."""
    ctx = browser.new_context(
        base_url=server_url, viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True
    )
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def german(browser: Browser, server_url: str, http: httpx.Client) -> Iterator[BrowserContext]:
    """A browser whose Accept-Language asks for German."""
    ctx = browser.new_context(base_url=server_url, locale="de-DE", viewport=PHONE)
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def no_sideways_scroll(page: Page) -> None:
    """Nothing on the page is wider than the screen."""
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: {widths}"


def _find_order(page: Page, number: str, email: str) -> None:
    page.goto("/returns")
    page.get_by_label("Order number").fill(number)
    page.get_by_label("Email").fill(email)
    page.get_by_role("button", name="Find my order").click()
    expect(page.get_by_role("heading", name=f"Order {number}")).to_be_visible()


def _walk_the_return(
    page: Page, shop: Shop, container: Container, email: str, *, shots: str = ""
) -> None:
    checks = no_sideways_scroll if shots == "phone" else (lambda page: None)
    number = f"J-{email.split('@')[0].upper()}"
    order_with_catalogue(shop, number, email=email)
    _find_order(page, number, email)
    checks(page)

    # The gift card says why it cannot go back before anything is submitted.
    gift = page.get_by_role("group", name="Gift card")
    expect(gift).to_contain_text("Final sale: this item cannot be returned.")
    expect(gift.locator("select")).to_have_count(0)
    tee = page.get_by_role("group", name="Organic tee")
    expect(tee).to_contain_text("$25.00 each")
    expect(tee).to_contain_text("Return by")
    tee.get_by_label("Units to send back").select_option("2")
    tee.get_by_label("Reason").select_option(label="No longer needed/wanted")
    page.get_by_role("button", name="See what I get back").click()
    estimate = page.get_by_role("region", name="What you will get back")
    expect(estimate).to_contain_text("$46.50")
    expect(page.get_by_role("heading", name="What you will get back")).to_be_focused()
    checks(page)
    if shots:
        screenshot(page, f"portal-{shots}-estimate")

    page.get_by_role("button", name="Request the return").click()
    expect(page.get_by_role("heading", name="Your return is authorized")).to_be_visible()
    checks(page)
    if shots:
        screenshot(page, f"portal-{shots}-authorized")
    rma = page.locator(".rma").first.inner_text()

    # The email carries the label and the RMA page; both work.
    [authorized] = [m for m in delivered(container, email) if "authorized" in m["Subject"]]
    text = text_of(authorized)
    base = container.settings.base_url.rstrip("/")
    label = next(w for w in text.split() if "/label.pdf?t=" in w).removeprefix(base)
    link = next(w for w in text.split() if w.startswith(f"{base}/rma/") and "label" not in w)
    assert page.request.get(label).body().startswith(b"%PDF-")
    page.goto(link.removeprefix(base))
    expect(page.get_by_role("heading", name=f"Return {rma}")).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_contain_text("Authorized")
    checks(page)

    page.get_by_label("Carrier", exact=True).fill("UPS")
    page.get_by_label("Tracking number", exact=True).fill("1z 999 aa1 0123")
    page.get_by_role("button", name="Save tracking").click()
    expect(page.get_by_text("Thank you: we will follow your parcel.")).to_be_visible()
    ret = ok(shop.call("GET", f"/v1/returns/{rma}"))
    assert ret["tracking_number"] == "1Z999AA10123"

    # The warehouse receives the box: the label and "ship by" go, the step moves.
    item = ret["items"][0]["id"]
    receive = {"items": [{"item_id": item, "quantity": 2}]}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/receive", "warehouse", json=receive))
    page.reload()
    expect(page.locator("[aria-current=step]")).to_contain_text("Delivered to the warehouse")
    expect(page.get_by_role("heading", name="Send it back")).to_have_count(0)
    expect(page.get_by_text("Ship it by")).to_have_count(0)
    if shots:
        screenshot(page, f"rma-page-{shots}-received")

    judged = {"item_id": item, "accepted": 2, "condition": "sellable", "disposition": "restock"}
    ok(shop.call("POST", f"/v1/returns/{ret['id']}/inspect", "warehouse", json={"items": [judged]}))
    page.reload()
    expect(page.locator("[aria-current=step]")).to_contain_text("Inspected")
    expect(page.get_by_text("Print the label")).to_have_count(0)

    ok(shop.call("POST", f"/v1/returns/{ret['id']}/resolve", json={}))
    page.reload()
    expect(page.locator("[aria-current=step]")).to_contain_text("Refunded")
    expect(page.get_by_text("Refund of $46.50: on its way to you.")).to_be_visible()
    paid = ok(shop.call("GET", f"/v1/returns/{ret['id']}/resolution"))["refund"]["amount"]
    assert paid == 4650  # the estimate, to the cent
    checks(page)
    if shots:
        screenshot(page, f"rma-page-{shots}-refunded")


def test_a_customer_goes_from_eligibility_to_refund(
    page: Page, http: httpx.Client, container: Container
) -> None:
    shop = catalogue_shop(http)
    _walk_the_return(page, shop, container, "ada@example.com", shots="desktop")


def test_the_same_journey_on_a_phone_never_scrolls_sideways(
    phone: BrowserContext, http: httpx.Client, container: Container
) -> None:
    shop = catalogue_shop(http)
    page = phone.new_page()
    _walk_the_return(page, shop, container, "phil@example.com", shots="phone")
    for path in ("/returns", "/nowhere", "/s/nope/returns"):
        page.goto(path)
        no_sideways_scroll(page)


def test_a_failed_submit_focuses_the_error_summary_and_marks_the_fields(
    phone: BrowserContext, http: httpx.Client
) -> None:
    page = phone.new_page()
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "J-ERR")
    page.goto("/returns")
    page.get_by_role("button", name="Find my order").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.get_by_label("Order number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    no_sideways_scroll(page)
    screenshot(page, "portal-phone-errors")

    _find_order(page, "J-ERR", "ada@example.com")
    tee = page.get_by_role("group", name="Organic tee")
    tee.get_by_label("Units to send back").select_option("1")
    page.get_by_role("button", name="Request the return").click()
    expect(page.locator("#error-summary")).to_be_focused()
    expect(tee.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    page.get_by_role("link", name="Choose why you are returning this item.").click()
    expect(tee.get_by_label("Reason")).to_be_focused()
    assert ok(shop.call("GET", "/v1/returns"))["data"] == []


def test_the_focus_ring_stands_out_at_least_three_to_one(page: Page, http: httpx.Client) -> None:
    page.goto("/returns")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")
    ratio = page.evaluate(
        """() => {
          const el = document.activeElement, style = getComputedStyle(el);
          const rgb = s => s.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
          const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
              return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          let bg = el.parentElement;
          const clear = e => getComputedStyle(e).backgroundColor === 'rgba(0, 0, 0, 0)';
          while (bg && clear(bg)) bg = bg.parentElement;
          const ring = lum(rgb(style.outlineColor));
          const behind = lum(rgb(getComputedStyle(bg || document.body).backgroundColor));
          const [hi, lo] = ring > behind ? [ring, behind] : [behind, ring];
          return {ratio: (hi + 0.05) / (lo + 0.05), width: parseFloat(style.outlineWidth),
                  style: style.outlineStyle};
        }"""
    )
    assert ratio["style"] != "none"
    assert ratio["width"] >= 2
    assert ratio["ratio"] >= 3, ratio


def test_german_accept_language_gets_german_pages_and_emails(
    german: BrowserContext, http: httpx.Client, container: Container
) -> None:
    shop = catalogue_shop(http)
    order_with_catalogue(shop, "J-DE", email="greta@example.com")
    page = german.new_page()
    page.goto("/returns")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", name="Rücksendung starten")).to_be_visible()
    page.get_by_label("Bestellnummer").fill("J-DE")
    page.get_by_label("E-Mail").fill("greta@example.com")
    page.get_by_role("button", name="Meine Bestellung finden").click()
    tee = page.get_by_role("group", name="Organic tee")
    expect(tee).to_contain_text("25,00")
    expect(page.get_by_role("group", name="Gift card")).to_contain_text("Schlussverkauf")
    tee.get_by_label("Stück zurücksenden").select_option("1")
    tee.get_by_label("Grund").select_option(label="Nicht mehr benötigt/gewünscht")
    page.get_by_role("button", name="Rücksendung anfordern").click()
    expect(page.get_by_role("heading", name="Ihre Rücksendung ist genehmigt")).to_be_visible()
    no_sideways_scroll(page)
    screenshot(page, "portal-de-authorized")

    emails = delivered(container, "greta@example.com")
    authorized = next(m for m in emails if "genehmigt" in m["Subject"])
    assert re.search(r"Ihre Rücksendung \S+ ist genehmigt", authorized["Subject"])
    body = text_of(authorized)
    assert "Nicht mehr benötigt/gewünscht" in body
    assert "Etikett drucken" in body
