"""An order carries the customer's shipping address: the label's sender, the RMA page, the CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx

from rma.bootstrap import Container
from tests.e2e.test_cli import run
from tests.physical_support import WAREHOUSE_ADDRESS
from tests.support import error_code, ok, open_shop

HOME = {
    "name": "Ada Lovelace",
    "line1": "12 St James's Square",
    "city": "London",
    "postal_code": "SW1Y 4JH",
    "country": "GB",
}


def _text(pdf: bytes, tmp_path: Path) -> str:
    (tmp_path / "label.pdf").write_bytes(pdf)
    done = subprocess.run(
        ["pdftotext", "-layout", str(tmp_path / "label.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def _authorized(shop: object, number: str) -> dict[str, object]:
    body = {
        "order_number": number,
        "items": [{"line_id": "1", "quantity": 1, "reason_code": "CR-DEFECTIVE"}],
    }
    created: dict[str, object] = ok(shop.call("POST", "/v1/returns", json=body), 201)  # type: ignore[attr-defined]
    return created


def test_the_label_is_sent_from_the_orders_shipping_address(
    http: httpx.Client, tmp_path: Path
) -> None:
    shop = open_shop(http)
    address = {"label": "main", "address": WAREHOUSE_ADDRESS, "make_default": True}
    ok(shop.call("POST", "/v1/return-addresses", json=address), 201)
    order = shop.order("S-1", shipping_address=HOME)
    assert order["shipping_address"]["line1"] == "12 St James's Square"
    ret = _authorized(shop, "S-1")

    label = _text(shop.call("GET", f"/v1/returns/{ret['id']}/label.pdf").content, tmp_path)

    assert "12 St James's Square" in label
    assert "SW1Y 4JH" in label
    assert "(your address)" not in label
    links = ok(shop.call("GET", f"/v1/returns/{ret['id']}/links"))
    page = http.get(links["page_url"].removeprefix("http://127.0.0.1:8000"))
    assert "12 St James&#39;s Square" in page.text


def test_an_order_without_an_address_prints_the_name_not_a_placeholder(
    http: httpx.Client, tmp_path: Path
) -> None:
    shop = open_shop(http)
    shop.order("S-2")
    ret = _authorized(shop, "S-2")
    label = _text(shop.call("GET", f"/v1/returns/{ret['id']}/label.pdf").content, tmp_path)
    assert "(your address)" not in label


def test_the_seller_sets_an_orders_address_and_bad_input_changes_nothing(
    http: httpx.Client,
) -> None:
    shop = open_shop(http)
    shop.order("S-3")
    path = "/v1/orders/S-3/shipping-address"
    bad = {**HOME, "country": "Britain"}
    assert error_code(shop.call("PUT", path, json=bad), 422) == "invalid_input"
    assert ok(shop.call("GET", "/v1/orders/S-3"))["shipping_address"] is None

    ok(shop.call("PUT", path, json=HOME))

    assert ok(shop.call("GET", "/v1/orders/S-3"))["shipping_address"]["city"] == "London"
    assert error_code(shop.call("PUT", "/v1/orders/NOPE/shipping-address", json=HOME), 404)


def test_the_operator_sets_an_orders_address_from_the_command_line(
    container: Container, http: httpx.Client
) -> None:
    shop = open_shop(http)
    shop.order("S-4")
    done = run(
        container,
        *("orders", "address", "S-4", "--seller", shop.seller_id),
        *("--name", "Grace Hopper", "--line1", "1 Navy Yard Ave", "--city", "Arlington"),
        *("--postal-code", "22202", "--country", "us", "--region", "VA"),
    )
    assert done.returncode == 0, done.stderr
    assert "Arlington VA 22202" in done.stdout
    saved = ok(shop.call("GET", "/v1/orders/S-4"))["shipping_address"]
    assert (saved["name"], saved["country"]) == ("Grace Hopper", "US")

    refused = run(container, "orders", "address", "NOPE", "--seller", shop.seller_id,
                  "--name", "X", "--line1", "X", "--city", "X", "--postal-code", "1",
                  "--country", "US")  # fmt: skip
    assert refused.returncode == 2
    assert "order_not_found" in refused.stdout
