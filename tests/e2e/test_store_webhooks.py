"""Stores push orders: Shopify and WooCommerce webhooks, from their documented payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from rma.adapters import orm
from rma.bootstrap import Container
from rma.domain.store_orders import sign
from tests.support import Shop, ok, open_shop

FIXTURES = Path(__file__).parent.parent / "fixtures" / "stores"
SECRET = "shpss_0123456789abcdef0123456789"


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def source(shop: Shop, kind: str) -> dict[str, Any]:
    body = {"kind": kind, "name": kind.title(), "secret": SECRET}
    created: dict[str, Any] = ok(shop.call("POST", "/v1/store-sources", json=body), 201)
    return created


def deliver(
    http: httpx.Client,
    source_id: str,
    kind: str,
    topic: str,
    payload: dict[str, Any],
    *,
    secret: str = SECRET,
) -> httpx.Response:
    body = json.dumps(payload).encode()
    if kind == "shopify":
        headers = {
            "X-Shopify-Topic": topic,
            "X-Shopify-Hmac-Sha256": sign(secret, body),
            "X-Shopify-Shop-Domain": "jsmith.myshopify.com",
            "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
        }
    else:
        headers = {
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Signature": sign(secret, body),
            "X-WC-Webhook-Source": "https://example.com/",
            "X-WC-Webhook-Resource": "order",
        }
    return http.post(
        "/v1/store-events",
        params={"source": source_id},
        content=body,
        headers={"Content-Type": "application/json", **headers},
    )


def order_count(container: Container) -> int:
    with container.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(orm.orders)).scalar_one()


def now_iso(minutes_ago: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()


def test_shopify_orders_are_created_fulfilled_and_delivered(http: httpx.Client) -> None:
    shop = open_shop(http)
    store = source(shop, "shopify")
    assert store["webhook_url"].endswith(f"/v1/store-events?source={store['id']}")
    payload = fixture("shopify_orders_create.json")
    payload["updated_at"] = now_iso()

    created = ok(deliver(http, store["id"], "shopify", "orders/create", payload))
    assert created == {"outcome": "created", "order_number": "9999"}
    order = ok(shop.call("GET", "/v1/orders/9999"))
    assert order["customer_email"] == "jon@example.com"
    assert order["customer_name"] == "John Smith"
    assert order["shipping_amount"] == 1000
    assert [(x["line_id"], x["sku"], x["unit_price"]) for x in order["lines"]] == [
        ("866550311766439020", "IPOD2008PINK", 19900),
        ("141249953214522974", "IPOD2008BLACK", 19900),
    ]

    # orders/fulfilled: a fulfillment as Shopify documents it, with its tracking.
    payload["fulfillments"] = [
        {
            "id": 255858046,
            "order_id": payload["id"],
            "status": "success",
            "created_at": now_iso(1),
            "updated_at": now_iso(1),
            "tracking_company": "USPS",
            "tracking_number": "1Z2345",
            "shipment_status": None,
            "line_items": [{"id": 866550311766439020, "quantity": 1}],
        }
    ]
    payload["updated_at"] = now_iso()
    fulfilled = ok(deliver(http, store["id"], "shopify", "orders/fulfilled", payload))
    assert fulfilled["outcome"] == "updated"
    order = ok(shop.call("GET", "/v1/orders/9999"))
    (shipment,) = order["shipments"]
    assert (shipment["carrier"], shipment["tracking_number"]) == ("USPS", "1Z2345")
    assert shipment["delivered_at"] is None

    payload["fulfillments"][0]["shipment_status"] = "delivered"
    payload["fulfillments"][0]["updated_at"] = now_iso()
    payload["updated_at"] = now_iso()
    assert ok(deliver(http, store["id"], "shopify", "orders/updated", payload))["outcome"] == (
        "updated"
    )
    order = ok(shop.call("GET", "/v1/orders/9999"))
    assert order["shipments"][0]["delivered_at"] is not None
    assert len(order["shipments"]) == 1

    replay = ok(deliver(http, store["id"], "shopify", "orders/updated", payload))
    assert replay["outcome"] == "unchanged"
    other = ok(deliver(http, store["id"], "shopify", "products/update", {"id": 1}))
    assert other["outcome"] == "ignored"


def test_forged_or_stale_shopify_deliveries_are_refused_and_store_nothing(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    store = source(shop, "shopify")
    payload = fixture("shopify_orders_create.json")
    payload["updated_at"] = now_iso()

    forged = deliver(http, store["id"], "shopify", "orders/create", payload, secret="x" * 20)
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "bad_signature"
    stale = {**payload, "updated_at": now_iso(minutes_ago=6)}
    old = deliver(http, store["id"], "shopify", "orders/create", stale)
    assert old.status_code == 401
    assert old.json()["error"]["code"] == "signature_expired"
    unsigned = http.post(
        "/v1/store-events",
        params={"source": store["id"]},
        json=payload,
        headers={"X-Shopify-Topic": "orders/create"},
    )
    assert unsigned.status_code == 401
    unknown = deliver(http, "ssrc_nothing", "shopify", "orders/create", payload)
    assert unknown.status_code == 401
    assert order_count(container) == 0


def test_woocommerce_orders_are_created_and_completed(
    http: httpx.Client, container: Container
) -> None:
    shop = open_shop(http)
    store = source(shop, "woocommerce")
    ping = http.post(
        "/v1/store-events",
        params={"source": store["id"]},
        content=b"webhook_id=42",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert ok(ping)["outcome"] == "ignored"

    payload = fixture("woocommerce_order_created.json")
    payload["date_modified_gmt"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    created = ok(deliver(http, store["id"], "woocommerce", "order.created", payload))
    assert created == {"outcome": "created", "order_number": "727"}
    order = ok(shop.call("GET", "/v1/orders/727"))
    assert order["customer_email"] == "john.doe@example.com"
    assert order["customer_name"] == "John Doe"
    assert order["shipping_amount"] == 1000
    assert [(x["line_id"], x["sku"], x["quantity"], x["unit_price"]) for x in order["lines"]] == [
        ("315", "woo-product-93", 2, 300),
        ("316", "Bar3", 1, 1200),
    ]
    assert order["shipments"] == []

    payload["status"] = "completed"
    payload["date_completed_gmt"] = payload["date_modified_gmt"]
    payload["meta_data"].append(
        {
            "id": 13107,
            "key": "_wc_shipment_tracking_items",
            "value": [{"tracking_provider": "UPS", "tracking_number": "1Z999AA1"}],
        }
    )
    completed = ok(deliver(http, store["id"], "woocommerce", "order.updated", payload))
    assert completed["outcome"] == "updated"
    order = ok(shop.call("GET", "/v1/orders/727"))
    assert [line["shipped_quantity"] for line in order["lines"]] == [2, 1]
    assert order["shipments"][0]["tracking_number"] == "1Z999AA1"

    forged = deliver(
        http, store["id"], "woocommerce", "order.created", {**payload, "number": "728"},
        secret="y" * 20,
    )  # fmt: skip
    assert forged.status_code == 401
    stale = {**payload, "number": "729", "date_modified_gmt": "2017-03-22T19:28:08"}
    assert deliver(http, store["id"], "woocommerce", "order.created", stale).status_code == 401
    assert order_count(container) == 1


def test_store_sources_are_the_sellers_own(http: httpx.Client) -> None:
    ours, theirs = open_shop(http, "Ours"), open_shop(http, "Theirs")
    source(ours, "shopify")
    assert ok(theirs.call("GET", "/v1/store-sources"))["data"] == []
    listed = ok(ours.call("GET", "/v1/store-sources"))["data"]
    assert [s["kind"] for s in listed] == ["shopify"]
    assert "secret" not in listed[0]
