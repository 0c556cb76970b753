"""Helpers for the customer's side: a shop with a catalogue, and the portal driven over HTTP."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.physical_support import WAREHOUSE_ADDRESS
from tests.support import Shop, ok, open_shop

HOME = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}

# Two tees at 25.00 + 2.00 tax, a mug at 12.00, a gift card sold as final sale, 9.99 shipping.
LINES = [
    {"line_id": "1", "sku": "TEE-M", "name": "Organic tee", "quantity": 2, "unit_price": 2500,
     "tax_per_unit": 200},
    {"line_id": "2", "sku": "MUG", "name": "Mug", "quantity": 1, "unit_price": 1200},
    {"line_id": "3", "sku": "GIFT-50", "name": "Gift card", "quantity": 1, "unit_price": 5000},
]  # fmt: skip


def catalogue_shop(http: httpx.Client, name: str = "Tidy Tees") -> Shop:
    """A shop with apparel (15% restocking fee), a final-sale gift card and a return address."""
    shop = open_shop(http, name)
    for sku, title, category in (
        ("TEE-M", "Organic tee", "apparel"),
        ("TEE-L", "Organic tee, L", "apparel"),
        ("MUG", "Mug", "kitchen"),
        ("GIFT-50", "Gift card", "gift"),
    ):
        ok(
            shop.call(
                "POST", "/v1/products", json={"sku": sku, "name": title, "category": category}
            ),
            201,
        )
    ok(shop.call("PUT", "/v1/policies/apparel", json={"restocking_fee_percent": 15}))
    ok(shop.call("PUT", "/v1/sku-policies/GIFT-50", json={"returnable": False}))
    address = {"label": "main", "address": WAREHOUSE_ADDRESS, "make_default": True}
    ok(shop.call("POST", "/v1/return-addresses", json=address), 201)
    return shop


def order_with_catalogue(shop: Shop, number: str, **extra: Any) -> dict[str, Any]:
    return shop.order(number, lines=LINES, shipping_amount=999, shipping_address=HOME, **extra)


class Portal:
    """A customer's browser without JavaScript: cookies, CSRF tokens and form keys."""

    def __init__(self, http: httpx.Client, headers: dict[str, str] | None = None):
        self.http = http
        self.headers = headers or {}
        self.page = ""

    def get(self, path: str) -> httpx.Response:
        answer = self.http.get(path, headers=self.headers, follow_redirects=True)
        self.page = answer.text
        return answer

    def post(self, path: str, data: dict[str, str]) -> httpx.Response:
        form = {"csrf": self.field("csrf"), **data}
        if "form_key" not in form and 'name="form_key"' in self.page:
            form["form_key"] = self.field("form_key")
        answer = self.http.post(path, data=form, headers=self.headers, follow_redirects=True)
        self.page = answer.text
        return answer

    def open_order(
        self, number: str, email: str = "ada@example.com", at: str = "/returns"
    ) -> httpx.Response:
        self.get(at)
        return self.post(at, {"order_number": number, "email": email})

    def field(self, name: str) -> str:
        found = re.search(rf'name="{name}" value="([^"]*)"', self.page)
        assert found is not None, f"no {name} on the page"
        return html.unescape(found.group(1))

    def text(self) -> str:
        """What a person reads on the page: its main part, without markup."""
        main = re.search(r"<main.*?</main>", self.page, re.S)
        words = re.sub(r"<[^>]+>", " ", main.group(0) if main else self.page)
        return re.sub(r"\s+", " ", html.unescape(words))
