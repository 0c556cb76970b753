"""A seller reads the analytics page: SVG charts with tables, a period picker, drill-down."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, Page, expect

from rma.bootstrap import Container
from tests import analytics_world
from tests.browser.conftest import ON_SQLITE, screenshot
from tests.browser.test_desk import sign_in
from tests.support import open_shop

pytestmark = ON_SQLITE


def test_seller_picks_a_period_reads_the_charts_and_drills_down(
    page: Page, http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http, "Tidy Tees")
    analytics_world.build(container, shop.seller_id)
    sign_in(page, shop.keys["seller"])

    page.get_by_role("link", name="Analytics").click()
    page.get_by_label("From", exact=True).fill("2026-02-01")
    page.get_by_label("To", exact=True).fill("2026-03-31")
    page.get_by_label("Group by").select_option("month")
    page.get_by_role("button", name="Show").click()

    trend = page.get_by_role("img", name="Return rate by month")
    expect(trend).to_be_visible()
    expect(page.locator("#trend-desc")).to_contain_text("2026-02-01: 25.0%")
    rates = page.get_by_role("table").first
    expect(rates).to_contain_text("24")
    expect(rates).to_contain_text("27.3%")
    expect(page.get_by_role("img", name="Units returned by reason")).to_be_visible()
    assert page.content().count("<svg") >= 3
    assert "{&#34;" not in page.content()
    assert '{"' not in page.inner_text("main")
    screenshot(page, "desk-analytics")

    page.get_by_role("link", name="CR-DAMAGED_BY_CARRIER").first.click()
    expect(page).to_have_url(
        "/desk/returns?from=2026-02-01&to=2026-03-31&reason=CR-DAMAGED_BY_CARRIER"
    )
    expect(page.get_by_text("RMA-R2")).to_be_visible()


def test_the_page_fits_a_phone_and_bad_input_names_the_field(
    browser: Browser, server_url: str, http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    analytics_world.build(container, shop.seller_id)
    phone = browser.new_context(base_url=server_url, viewport={"width": 390, "height": 844})
    page = phone.new_page()
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/analytics?from=2026-02-01&to=2026-03-31&group_by=week")
    expect(page.get_by_role("img", name="Return rate by week")).to_be_visible()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide}px wide at 390px"

    response = page.goto("/desk/analytics?from=2020-01-01&to=2026-03-31")
    assert response is not None
    assert response.status == 422
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#to-error")).to_contain_text("3 years")

    with page.expect_download() as download:
        page.goto("/desk/analytics")
        page.get_by_role("link", name="CSV").first.click()
    assert download.value.suggested_filename == "returns.csv"
    phone.close()


def test_an_alert_shows_as_a_badge_until_seen(
    page: Page, http: httpx.Client, container: Container
) -> None:
    from rma.services import alerts
    from tests.e2e.test_alerts import weeks_of_returns

    shop = open_shop(http)
    weeks_of_returns(container, shop.seller_id, recent_returned=40, recent_defective=30)
    assert len(alerts.check_alerts(alerts.CheckAlerts(shop.seller_id), container.uow())) == 2
    sign_in(page, shop.keys["seller"])
    page.goto("/desk/analytics")
    expect(page.get_by_role("heading", name="Analytics")).to_contain_text("2 new alerts")
    expect(page.get_by_role("region", name="Alerts")).to_contain_text("LAMP: return rate 40.0%")
    page.get_by_role("button", name="Mark all as seen").click()
    expect(page.get_by_role("heading", name="Analytics", exact=True)).to_be_visible()
    expect(page.get_by_text("new alert")).to_have_count(0)
