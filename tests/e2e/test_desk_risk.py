"""The desk's return-risk pages: rules set in plain words, the held queue, a return's reasons."""

from __future__ import annotations

import httpx

from tests.security.browsing import hidden, sign_in
from tests.support import ok, open_shop


def test_a_seller_sets_a_rule_on_the_desk_and_sees_why_a_return_was_held(
    http: httpx.Client, server_url: str
) -> None:
    shop = open_shop(http)
    with httpx.Client(base_url=server_url) as browser:
        sign_in(browser, shop.keys["seller"])
        page = browser.get("/desk/risk")
        assert page.status_code == 200
        assert "No rules yet" in page.text
        form = {
            "csrf": hidden(page, "csrf"),
            "form_key": hidden(page, "form_key"),
            "code": "return_count",
            "params": "window_days=30, max_returns=1",
            "effect": "",
        }
        saved = browser.post("/desk/risk/rules", data=form, follow_redirects=True)
        assert saved.status_code == 200
        assert "Many returns in a rolling window" in saved.text

        bad = browser.get("/desk/risk")
        refused = browser.post(
            "/desk/risk/rules",
            data={
                "csrf": hidden(bad, "csrf"),
                "form_key": hidden(bad, "form_key"),
                "code": "return_count",
                "params": "window_days=-3, max_returns=1",
            },
        )
        assert refused.status_code == 422

        for number in ("R-1", "R-2"):
            shop.order(number)
            last = ok(shop.request_return(number, [("1", 1)]), 201)
        assert last["status"] == "pending_review"

        queue = browser.get("/desk/risk", params={"reason": "return_count"})
        assert last["id"] in queue.text
        why = browser.get(f"/desk/risk/returns/{last['id']}")
        assert why.status_code == 200
        assert "return number 2 in 30 days" in why.text
        assert "Customer profile" in why.text
        detail = browser.get(f"/desk/returns/{last['id']}")
        assert f"/desk/risk/returns/{last['id']}" in detail.text
