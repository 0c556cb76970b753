"""NUL in a form field: a page that says so, never a 500, and the connection keeps working."""

from __future__ import annotations

import httpx
import pytest

from tests.security.browsing import hidden, sign_in
from tests.support import open_shop

NUL = "abc\x00def"


@pytest.fixture
def browser(server_url: str, http: httpx.Client) -> httpx.Client:
    """A seller signed in to the desk, over one keep-alive connection."""
    shop = open_shop(http)
    shop.order("N-1")
    ret = shop.request_return("N-1", [("1", 1)]).json()
    client = httpx.Client(base_url=server_url, timeout=30)
    sign_in(client, shop.keys["seller"])
    client.headers["x-test-return"] = ret["id"]
    return client


def _refused(answer: httpx.Response) -> None:
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "cannot be stored" in answer.text


def test_portal_search(browser: httpx.Client) -> None:
    form = browser.get("/returns")
    data = {"csrf": hidden(form, "csrf"), "order_number": NUL, "email": "a@example.com"}

    _refused(browser.post("/returns", data=data))
    assert browser.get("/returns").status_code == 200  # the same connection, still fine


def test_deny_note(browser: httpx.Client) -> None:
    ret = browser.headers["x-test-return"]
    page = browser.get(f"/desk/returns/{ret}")
    data = {
        "csrf": hidden(page, "csrf"),
        "form_key": hidden(page, "form_key"),
        "reason": "other",
        "note": NUL,
    }

    _refused(browser.post(f"/desk/returns/{ret}/deny", data=data))
    assert browser.get(f"/desk/returns/{ret}").status_code == 200


def test_warehouse_scan(browser: httpx.Client) -> None:
    page = browser.get("/warehouse")

    _refused(browser.post("/warehouse", data={"csrf": hidden(page, "csrf"), "code": NUL}))
    assert browser.get("/warehouse").status_code == 200


def test_desk_webhook_form(browser: httpx.Client) -> None:
    page = browser.get("/desk/webhooks")
    data = {
        "csrf": hidden(page, "csrf"),
        "form_key": hidden(page, "form_key"),
        "url": "https://example.com/h",
        "description": NUL,
    }

    _refused(browser.post("/desk/webhooks", data=data))
    _refused(browser.post("/desk/webhooks", files={"description": (None, NUL)}, data=data))
    assert browser.get("/desk/webhooks").status_code == 200
